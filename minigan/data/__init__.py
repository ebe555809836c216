"""Datasets for minigan: IDX files, MNIST and Fashion-MNIST, downloads, and batching.

PyTorch's torch.utils.data, by the same names: Dataset, TensorDataset, ConcatDataset, Subset,
random_split, IterableDataset, the samplers, DataLoader and default_collate; MNIST and FashionMNIST
as torchvision gives them (ToTensor'd)::

    for x, y in DataLoader(MNIST("data", train=False), batch_size=256):   # every test image once
        ...                                                              # x: (256, 1, 28, 28) in [0, 1]

The GAN trainer's loader, ImageLoader, keeps the whole image set on the device and resumes mid-epoch
(shuffle and drop_last are on by default there)::

    images, labels = load_dataset("mnist", split="train")   # (60000, 28, 28) uint8, (60000,) uint8
    for x, y in ImageLoader((images, labels), batch_size=64, seed=0, device="cuda"):
        ...                                                  # x: (64, 1, 28, 28) float32 in [-1, 1]

The loaders use the engine below them (Tensor, `minigan.backend.to_device`); everything else is
NumPy and the standard library.
"""

from .catalog import DATASETS
from .datasets import cache_dir, dataset_folder, find_dataset_files, load_dataset, search_dirs
from .download import download_file, sha256_file, verify_file
from .errors import ChecksumError, DataError, DownloadError
from .fake import write_fake_dataset
from .idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx, write_idx
from .dataloader import DataLoader, default_collate, default_convert
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .epoch_loader import EpochLoader
from .image_loader import ImageLoader
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .vision import MNIST, FashionMNIST

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DATASETS",
    "Dataset",
    "EpochLoader",
    "FashionMNIST",
    "ImageLoader",
    "IterableDataset",
    "MNIST",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "random_split",
    "ChecksumError",
    "DataError",
    "DataLoader",
    "DownloadError",
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "cache_dir",
    "dataset_folder",
    "download_file",
    "find_dataset_files",
    "load_dataset",
    "read_idx",
    "search_dirs",
    "sha256_file",
    "verify_file",
    "write_fake_dataset",
    "write_idx",
]
