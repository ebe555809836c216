"""The datasets we know: their files, folders, mirrors and published checksums."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Both datasets use the same four file names; each split needs two of them.
SPLITS: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
ALL_FILES: tuple[str, ...] = SPLITS["train"] + SPLITS["test"]


@dataclass(frozen=True)
class DatasetSpec:
    """Everything needed to find, fetch and check one dataset.

    `gz_sha256` are the digests of the published .gz files (what a download
    must match); `idx_sha256` are the digests of the decompressed IDX bytes,
    which also identify files that were decompressed or recompressed, like the
    Debian package's. `label_counts` are the per-class counts of each full
    split: a cheap fingerprint that tells MNIST and Fashion-MNIST apart, since
    their files have identical names and shapes.
    """

    name: str
    folder_names: tuple[str, ...]
    mirrors: tuple[str, ...]
    gz_sha256: dict[str, str]
    idx_sha256: dict[str, str]
    label_counts: dict[str, tuple[int, ...]]
    system_dirs: tuple[Path, ...] = field(default=())


MNIST = DatasetSpec(
    name="mnist",
    folder_names=("mnist", "MNIST"),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    gz_sha256={
        "train-images-idx3-ubyte": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    idx_sha256={
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    label_counts={
        "train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
        "test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
    },
)

FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    folder_names=("fashion-mnist", "fashion_mnist", "FashionMNIST"),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    # SHA-256 of the upstream .gz files (upstream publishes only MD5s; these digests
    # are the ones several independent loaders pin for the same files).
    gz_sha256={
        "train-images-idx3-ubyte": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        "train-labels-idx1-ubyte": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        "t10k-images-idx3-ubyte": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        "t10k-labels-idx1-ubyte": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
    },
    # Debian's dataset-fashion-mnist recompresses the files (different .gz digests),
    # but its decompressed bytes match these published IDX digests.
    idx_sha256={
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    label_counts={"train": (6000,) * 10, "test": (1000,) * 10},
    # Installed by the Debian/Ubuntu package dataset-fashion-mnist (the canonical .gz names).
    system_dirs=(Path("/usr/share/datasets/fashion-mnist"),),
)

SPECS: dict[str, DatasetSpec] = {spec.name: spec for spec in (MNIST, FASHION_MNIST)}
DATASETS: tuple[str, ...] = tuple(SPECS)


def get_spec(name: str) -> DatasetSpec:
    """The spec for `name`; case and '_' versus '-' do not matter ('Fashion_MNIST' works)."""
    key = name.strip().lower().replace("_", "-")
    if key == "fashionmnist":
        key = "fashion-mnist"
    try:
        return SPECS[key]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}") from None


def check_split(split: str) -> str:
    """'train' or 'test' ('t10k' is accepted as the file-name spelling of 'test')."""
    key = "test" if split == "t10k" else split
    if key not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use 'train' or 'test'")
    return key
