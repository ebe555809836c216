"""minigan/data/vision.py: MNIST / FashionMNIST as Datasets (ToTensor'd samples) over the IDX loading."""
import dataclasses

import numpy as np
import pytest

import minigan as mg
from minigan.data import MNIST, DataError, DataLoader, FashionMNIST, write_fake_dataset
from minigan.data import catalog, datasets


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINIGAN_DATA_DIR", raising=False)
    datasets.clear_cache()
    arrays = write_fake_dataset(tmp_path / "mnist", train_size=20, test_size=9, seed=1)
    yield tmp_path, arrays
    datasets.clear_cache()


def test_samples_are_float_images_in_0_1_with_int_labels(fake_root):
    root, arrays = fake_root
    test = MNIST(str(root), train=False)
    images, labels = arrays["test"]
    assert len(test) == 9
    image, label = test[4]
    assert isinstance(image, mg.Tensor) and image.shape == (1, 28, 28) and image.dtype == np.float32
    np.testing.assert_allclose(image.numpy()[0], images[4] / 255.0, rtol=1e-6)
    assert isinstance(label, int) and label == int(labels[4])


def test_a_test_set_loop_sees_every_image_once(fake_root):
    root, arrays = fake_root
    seen = 0
    for x, y in DataLoader(MNIST(str(root), train=False), batch_size=4):
        assert x.shape[1:] == (1, 28, 28) and y.dtype == np.int64
        seen += x.shape[0]
    assert seen == 9


def test_transforms_apply_to_the_tensor_and_the_label(fake_root):
    root, _ = fake_root
    ds = MNIST(str(root), train=True, transform=lambda x: x * 2 - 1, target_transform=lambda y: y + 100)
    image, label = ds[0]
    assert image.numpy().min() >= -1 and image.numpy().max() <= 1 and label >= 100


def test_missing_files_without_download_is_a_data_error(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINIGAN_DATA_DIR", raising=False)
    for name, spec in catalog.SPECS.items():  # not the system folders either
        monkeypatch.setitem(catalog.SPECS, name, dataclasses.replace(spec, system_dirs=()))
    with pytest.raises(DataError, match="empty"):   # names the folder it looked in
        FashionMNIST(str(tmp_path / "empty"), download=False)
