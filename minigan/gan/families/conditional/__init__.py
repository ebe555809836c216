"""The class-conditional families (cgan, cgan-concat, acgan): family.py registers them; models, losses,
labels and the step are theirs."""
