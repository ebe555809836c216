"""``minigan.utils.data``: PyTorch's ``torch.utils.data`` names, which live in `minigan.data`.

    from minigan.utils.data import DataLoader, TensorDataset     # as with torch.utils.data
"""
from ..data.dataloader import DataLoader, default_collate, default_convert
from ..data.dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from ..data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "Dataset", "IterableDataset", "TensorDataset",
           "ConcatDataset", "Subset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "BatchSampler"]
