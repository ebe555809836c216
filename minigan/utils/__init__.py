"""PyTorch's ``torch.utils`` path, so ``import minigan.utils.data`` finds what ``torch.utils.data`` holds."""
from . import data

__all__ = ["data"]
