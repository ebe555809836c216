"""Datasets for minigan: IDX files, MNIST and Fashion-MNIST, downloads, and batching.

    images, labels = load_dataset("mnist", split="train")   # (60000, 28, 28) uint8, (60000,) uint8
    for x, y in DataLoader((images, labels), batch_size=64, seed=0, device="cuda"):
        ...                                                  # x: (64, 1, 28, 28) float32 in [-1, 1]

The loader uses the engine below it (`minigan.backend.to_device` for GPU devices,
`minigan.tensor` for ``as_tensor=True``); everything else is NumPy and the standard library.
"""

from .catalog import DATASETS
from .datasets import cache_dir, dataset_folder, find_dataset_files, load_dataset, search_dirs
from .download import download_file, sha256_file, verify_file
from .errors import ChecksumError, DataError, DownloadError
from .fake import write_fake_dataset
from .idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx, write_idx
from .loader import DataLoader

__all__ = [
    "DATASETS",
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
