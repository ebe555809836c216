"""minigan/data/datasets.py: lookup order, folder layouts, validation and the in-memory cache."""

import dataclasses
import gzip
import hashlib
import os

import numpy as np
import pytest

from minigan.data import DATASETS, DataError, find_dataset_files, load_dataset, write_fake_dataset, write_idx
from minigan.data import catalog, datasets


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No test sees the real cache, $MINIGAN_DATA_DIR or /usr/share/datasets."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINIGAN_DATA_DIR", raising=False)
    for name, spec in catalog.SPECS.items():
        monkeypatch.setitem(catalog.SPECS, name, _replace(spec, system_dirs=()))
    datasets.clear_cache()
    yield
    datasets.clear_cache()


def _replace(spec, **changes):
    return dataclasses.replace(spec, **changes)


def _fake(folder, seed, **kwargs):
    return write_fake_dataset(folder, train_size=6, test_size=4, seed=seed, **kwargs)


def test_names():
    assert DATASETS == ("mnist", "fashion-mnist")


def test_loads_fake_split_from_data_dir(tmp_path):
    written = _fake(tmp_path / "d", seed=1)
    for split in ("train", "test"):
        images, labels = load_dataset("mnist", split, data_dir=tmp_path / "d", download=False)
        assert images.dtype == np.uint8 and images.shape == written[split][0].shape
        assert labels.dtype == np.uint8 and labels.shape == (len(images),)
        np.testing.assert_array_equal(images, written[split][0])
        np.testing.assert_array_equal(labels, written[split][1])


def test_data_dir_beats_env_beats_cache(tmp_path, monkeypatch):
    explicit, env = tmp_path / "explicit", tmp_path / "env"
    cache = tmp_path / "xdg" / "minigan" / "mnist"
    wanted = {folder: _fake(folder, seed=i)["train"][0] for i, folder in enumerate((explicit, env, cache))}
    monkeypatch.setenv("MINIGAN_DATA_DIR", str(env))

    def loaded(**kwargs):
        datasets.clear_cache()
        return load_dataset("mnist", download=False, **kwargs)[0]

    np.testing.assert_array_equal(loaded(data_dir=explicit), wanted[explicit])
    np.testing.assert_array_equal(loaded(), wanted[env])
    monkeypatch.delenv("MINIGAN_DATA_DIR")
    np.testing.assert_array_equal(loaded(), wanted[cache])


def test_cache_defaults_to_home_dot_cache_without_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    written = _fake(tmp_path / "home" / ".cache" / "minigan" / "fashion-mnist", seed=3)
    images, _ = load_dataset("fashion-mnist", download=False)
    np.testing.assert_array_equal(images, written["train"][0])


def test_relative_xdg_cache_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    assert datasets.cache_dir("mnist") == tmp_path / "home" / ".cache" / "minigan" / "mnist"


def test_env_with_one_subfolder_per_dataset(tmp_path, monkeypatch):
    mnist = _fake(tmp_path / "data" / "mnist", seed=1)
    fashion = _fake(tmp_path / "data" / "fashion_mnist", seed=2)
    monkeypatch.setenv("MINIGAN_DATA_DIR", str(tmp_path / "data"))
    np.testing.assert_array_equal(load_dataset("mnist", download=False)[0], mnist["train"][0])
    np.testing.assert_array_equal(load_dataset("Fashion_MNIST", download=False)[0], fashion["train"][0])


def test_subfolder_layout_also_works_for_data_dir(tmp_path):
    fashion = _fake(tmp_path / "data" / "fashion-mnist", seed=2)
    images, _ = load_dataset("fashion-mnist", "test", data_dir=tmp_path / "data", download=False)
    np.testing.assert_array_equal(images, fashion["test"][0])


def test_flat_folder_named_mnist_is_not_used_for_fashion(tmp_path, monkeypatch):
    _fake(tmp_path / "mnist", seed=1)
    monkeypatch.setenv("MINIGAN_DATA_DIR", str(tmp_path / "mnist"))
    assert find_dataset_files("mnist") is not None
    assert find_dataset_files("fashion-mnist") is None


def test_system_dir_is_last(tmp_path, monkeypatch):
    system = tmp_path / "usr-share"
    written = _fake(system, seed=4)
    monkeypatch.setitem(catalog.SPECS, "fashion-mnist", _replace(catalog.FASHION_MNIST, system_dirs=(system,)))
    np.testing.assert_array_equal(load_dataset("fashion-mnist", download=False)[0], written["train"][0])
    assert datasets.search_dirs("fashion-mnist")[-1] == system


def test_uncompressed_and_dotted_names(tmp_path):
    folder = tmp_path / "d"
    written = _fake(folder, seed=5, gzip=False)
    os.rename(folder / "train-images-idx3-ubyte", folder / "train-images.idx3-ubyte")
    images, _ = load_dataset("mnist", data_dir=folder, download=False)
    np.testing.assert_array_equal(images, written["train"][0])


def test_split_only_needs_its_own_files(tmp_path):
    folder = tmp_path / "d"
    _fake(folder, seed=6)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    assert find_dataset_files("mnist", folder) is None
    assert set(find_dataset_files("mnist", folder, split="train")) == {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}
    load_dataset("mnist", "train", data_dir=folder, download=False)
    with pytest.raises(DataError):
        load_dataset("mnist", "test", data_dir=folder, download=False)


def test_not_found_says_which_files_go_where(tmp_path):
    with pytest.raises(DataError) as info:
        load_dataset("mnist", download=False)
    message = str(info.value)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert name in message
    assert "MINIGAN_DATA_DIR" in message and "--data-dir" in message
    assert str(tmp_path / "xdg" / "minigan" / "mnist") in message
    assert "download=False" in message


def test_unknown_names():
    with pytest.raises(ValueError, match="known datasets: mnist, fashion-mnist"):
        load_dataset("cifar10")
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_dataset("mnist", split="validation")


def _write_split(folder, images, labels):
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "train-images-idx3-ubyte.gz", images)
    write_idx(folder / "train-labels-idx1-ubyte.gz", labels)
    return folder


def test_wrong_image_size_names_file(tmp_path):
    folder = _write_split(tmp_path / "d", np.zeros((3, 27, 28), np.uint8), np.zeros(3, np.uint8))
    with pytest.raises(DataError, match="27x28") as info:
        load_dataset("mnist", data_dir=folder, download=False)
    assert str(folder / "train-images-idx3-ubyte.gz") in str(info.value)


def test_count_mismatch_names_both_files(tmp_path):
    folder = _write_split(tmp_path / "d", np.zeros((3, 28, 28), np.uint8), np.zeros(4, np.uint8))
    with pytest.raises(DataError, match="3 images .* 4 labels") as info:
        load_dataset("mnist", data_dir=folder, download=False)
    assert "train-images-idx3-ubyte.gz" in str(info.value) and "train-labels-idx1-ubyte.gz" in str(info.value)


def test_label_out_of_range(tmp_path):
    folder = _write_split(tmp_path / "d", np.zeros((3, 28, 28), np.uint8), np.array([1, 10, 2], np.uint8))
    with pytest.raises(DataError, match="label 10 at index 1") as info:
        load_dataset("mnist", data_dir=folder, download=False)
    assert "train-labels-idx1-ubyte.gz" in str(info.value)


def test_swapped_files_give_bad_magic(tmp_path):
    folder = _write_split(tmp_path / "d", np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8))
    os.rename(folder / "train-images-idx3-ubyte.gz", folder / "tmp")
    os.rename(folder / "train-labels-idx1-ubyte.gz", folder / "train-images-idx3-ubyte.gz")
    os.rename(folder / "tmp", folder / "train-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match="bad magic") as info:
        load_dataset("mnist", data_dir=folder, download=False)
    assert "train-images-idx3-ubyte.gz" in str(info.value)


def test_full_size_labels_of_the_other_dataset_are_refused(tmp_path):
    # 10000 labels, 1000 per class: Fashion-MNIST's test split, not MNIST's.
    folder = tmp_path / "d"
    folder.mkdir()
    write_idx(folder / "t10k-images-idx3-ubyte", np.zeros((10000, 28, 28), np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte", np.repeat(np.arange(10, dtype=np.uint8), 1000))
    with pytest.raises(DataError, match="not mnist test labels.*look like fashion-mnist"):
        load_dataset("mnist", "test", data_dir=folder, download=False)
    images, _ = load_dataset("fashion-mnist", "test", data_dir=folder, download=False)
    assert images.shape == (10000, 28, 28)


def test_repeated_loads_are_cached_and_read_only(tmp_path):
    _fake(tmp_path / "d", seed=7)
    first = load_dataset("mnist", data_dir=tmp_path / "d", download=False)
    second = load_dataset("mnist", data_dir=tmp_path / "d", download=False)
    assert first[0] is second[0] and first[1] is second[1]
    assert not first[0].flags.writeable


def test_replaced_file_is_parsed_again(tmp_path):
    folder = tmp_path / "d"
    _fake(folder, seed=8)
    load_dataset("mnist", data_dir=folder, download=False)
    new = _fake(folder, seed=9)
    stamp = (folder / "train-images-idx3-ubyte.gz").stat().st_mtime_ns + 10**9
    os.utime(folder / "train-images-idx3-ubyte.gz", ns=(stamp, stamp))
    np.testing.assert_array_equal(load_dataset("mnist", data_dir=folder, download=False)[0], new["train"][0])


def test_verify_checks_local_files(tmp_path, monkeypatch):
    folder = tmp_path / "d"
    _fake(folder, seed=10)
    digests = {}
    for base in catalog.ALL_FILES:
        raw = (folder / f"{base}.gz").read_bytes()
        digests[base] = (hashlib.sha256(raw).hexdigest(), hashlib.sha256(gzip.decompress(raw)).hexdigest())
    spec = _replace(catalog.MNIST, gz_sha256={b: d[0] for b, d in digests.items()},
                    idx_sha256={b: d[1] for b, d in digests.items()})
    monkeypatch.setitem(catalog.SPECS, "mnist", spec)
    load_dataset("mnist", data_dir=folder, download=False, verify=True)

    # A decompressed copy matches through the IDX digest.
    raw_folder = tmp_path / "raw"
    raw_folder.mkdir()
    for base in catalog.SPLITS["train"]:
        (raw_folder / base).write_bytes(gzip.decompress((folder / f"{base}.gz").read_bytes()))
    load_dataset("mnist", data_dir=raw_folder, download=False, verify=True)

    # The stock spec's digests are the real MNIST ones: the fake files fail, naming file and digests.
    monkeypatch.setitem(catalog.SPECS, "mnist", catalog.MNIST)
    with pytest.raises(DataError, match="SHA-256 mismatch") as info:
        load_dataset("mnist", data_dir=folder, download=False, verify=True)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert catalog.MNIST.gz_sha256["train-images-idx3-ubyte"] in message
    assert digests["train-images-idx3-ubyte"][0] in message


def _no_download(*args, **kwargs):
    raise AssertionError("a folder the user named must not fall through to a download")


@pytest.mark.parametrize("via", ["data_dir", "env"])
@pytest.mark.parametrize("problem, message", [
    ("missing", "does not exist"),
    ("file", "is a file, not a folder"),
    ("empty", "does not hold mnist's train split: expected train-images-idx3-ubyte.gz and "
              "train-labels-idx1-ubyte.gz (or uncompressed, without .gz) in it or in its subfolder mnist/"),
])
def test_a_named_folder_that_is_wrong_is_an_error_not_a_download(tmp_path, monkeypatch, via, problem, message):
    _fake(tmp_path / "xdg" / "minigan" / "mnist", seed=1)  # the cache holds the data: it must not be used
    monkeypatch.setattr(datasets, "download_file", _no_download)
    folder = tmp_path / "typo"
    if problem == "file":
        folder.write_text("")
    elif problem == "empty":
        folder.mkdir()
        _fake(folder / "fashion-mnist", seed=2)  # another dataset's subfolder is not this one
    kwargs = {"data_dir": folder} if via == "data_dir" else {}
    if via == "env":
        monkeypatch.setenv("MINIGAN_DATA_DIR", str(folder))
    with pytest.raises(DataError) as info:
        load_dataset("mnist", **kwargs)
    named = "(--data-dir, data_dir=)" if via == "data_dir" else "$MINIGAN_DATA_DIR"
    assert str(folder) in str(info.value) and named in str(info.value) and message in str(info.value)


def test_dataset_folder_says_where_the_data_is_read_from(tmp_path, monkeypatch):
    _fake(tmp_path / "data" / "mnist", seed=1)
    assert datasets.dataset_folder("mnist") is None
    monkeypatch.setenv("MINIGAN_DATA_DIR", str(tmp_path / "data"))
    assert datasets.dataset_folder("mnist", "test") == tmp_path / "data" / "mnist"
    cache = tmp_path / "xdg" / "minigan" / "fashion-mnist"
    _fake(cache, seed=2)
    monkeypatch.delenv("MINIGAN_DATA_DIR")
    assert datasets.dataset_folder("fashion-mnist") == cache
    explicit = tmp_path / "explicit"
    _fake(explicit, seed=3)
    assert datasets.dataset_folder("mnist", data_dir=explicit) == explicit
