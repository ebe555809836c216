"""The unconditional families (dcgan, mlp): family.py registers them, models.py holds their G and D."""
