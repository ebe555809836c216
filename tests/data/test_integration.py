"""Real MNIST / Fashion-MNIST from $MINIGAN_DATA_DIR (skipped when it is unset or lacks them).

Run with: MINIGAN_DATA_DIR=/path/to/data python -m pytest -m integration tests/data/test_integration.py
"""

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from minigan.data import ImageLoader, find_dataset_files, load_dataset
from minigan.data import datasets

pytestmark = pytest.mark.integration

# Typed in here rather than imported, so a wrong digest in the package cannot make this test agree with it.
CANONICAL = {
    "mnist": {
        "gz": {
            "t10k-images-idx3-ubyte": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "train-images-idx3-ubyte": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        },
        "idx": {
            "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        },
    },
    "fashion-mnist": {
        "gz": {
            "t10k-images-idx3-ubyte": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
            "t10k-labels-idx1-ubyte": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
            "train-images-idx3-ubyte": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
            "train-labels-idx1-ubyte": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        },
        "idx": {
            "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        },
    },
}


def _files_in_env(name):
    root = os.environ.get("MINIGAN_DATA_DIR")
    if not root:
        pytest.skip("MINIGAN_DATA_DIR is not set")
    files = find_dataset_files(name, root)
    # Only the env folder counts here: a hit in the user's cache or /usr/share is not what was asked for.
    if files is None or not all(Path(root) in p.parents for p in files.values()):
        pytest.skip(f"MINIGAN_DATA_DIR={root} does not hold {name}")
    return files


@pytest.fixture(autouse=True)
def fresh():
    datasets.clear_cache()
    yield
    datasets.clear_cache()


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_files_match_the_canonical_sha256(name):
    for base, path in _files_in_env(name).items():
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b" and hashlib.sha256(data).hexdigest() == CANONICAL[name]["gz"][base]:
            continue
        # Decompressed or recompressed copies are checked by their IDX bytes instead.
        payload = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        assert hashlib.sha256(payload).hexdigest() == CANONICAL[name]["idx"][base], path


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_real_splits_load_with_the_right_shapes(name):
    _files_in_env(name)
    for split, size in (("train", 60000), ("test", 10000)):
        images, labels = load_dataset(name, split, download=False, verify=True)
        assert images.shape == (size, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (size,) and labels.dtype == np.uint8
        assert set(np.unique(labels).tolist()) == set(range(10))


def test_real_mnist_first_labels_and_a_loader_epoch():
    _files_in_env("mnist")
    images, labels = load_dataset("mnist", "train", download=False)
    assert labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the well-known first digits
    loader = ImageLoader((images, labels), batch_size=128, seed=0)
    assert len(loader) == 60000 // 128
    x, y = next(iter(loader))
    assert x.shape == (128, 1, 28, 28) and x.dtype == np.float32 and -1 <= x.min() < x.max() <= 1
