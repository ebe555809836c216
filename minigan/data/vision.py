"""MNIST and Fashion-MNIST as map-style Datasets, torchvision style, over `load_dataset`'s IDX loading.

    train = MNIST("data", train=True, download=True)
    image, label = train[0]                 # (1, 28, 28) float32 Tensor in [0, 1], int
    loader = DataLoader(train, batch_size=64, shuffle=True)

A sample is what torchvision gives after ``transforms.ToTensor()``; `transform` then receives that
Tensor (torchvision hands it a PIL image: minigan has no image library). The files are found as
`load_dataset` finds them: `root` first (root/mnist/ or root itself), then $MINIGAN_DATA_DIR and the
download cache.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import Tensor
from .datasets import load_dataset
from .dataset import Dataset

__all__ = ["MNIST", "FashionMNIST"]


class MNIST(Dataset):
    """The MNIST digits: ``data`` (N, 28, 28) uint8 and ``targets`` (N,) of one split (60000 train, 10000
    test); sample i is ``(transform(image), target_transform(label))``."""

    dataset_name = "mnist"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: str | None = None, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False):
        self.root, self.train = root, bool(train)
        self.transform, self.target_transform = transform, target_transform
        self.data, self.targets = load_dataset(self.dataset_name, "train" if self.train else "test", data_dir=root,
                                               download=download)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = self.data[index]
        if image.ndim != 2:
            raise TypeError(f"{type(self).__name__}: index with an int, got {type(index).__name__}")
        scaled = image.astype(np.float32)[None]  # (1, 28, 28), ToTensor's channel axis
        scaled /= 255.0
        sample: Any = Tensor(scaled)
        target: Any = int(self.targets[index])
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(split={'train' if self.train else 'test'}, {len(self)} images)"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format, ten kinds of clothing."""

    dataset_name = "fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
