"""The InfoGAN family: family.py registers it; models.py holds G, D with its code head Q, and the loss;
step.py the step."""
