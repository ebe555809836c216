"""minigan/data/image_loader.py (ImageLoader): batches, scaling, seeded per-epoch shuffles, resuming, device placement."""

import json

import numpy as np
import pytest

from minigan.data import ImageLoader
from minigan.data import image_loader as loader_module

N = 50


@pytest.fixture
def dataset():
    """Images whose pixels all equal the sample index, labels equal to the index: batches show their origin."""
    images = np.broadcast_to(np.arange(N, dtype=np.uint8)[:, None, None], (N, 28, 28)).copy()
    return images, np.arange(N, dtype=np.uint8)


def _indices(batches):
    return [labels.tolist() for _, labels in batches]


def test_shapes_dtypes_and_range(dataset):
    loader = ImageLoader(dataset, batch_size=8, seed=0)
    images, labels = next(iter(loader))
    assert images.shape == (8, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (8,) and labels.dtype == np.int64
    assert images.min() >= -1 and images.max() <= 1
    # Pixel value = sample index, so each image maps back to its label exactly.
    np.testing.assert_array_equal(images[:, 0, 0, 0], labels.astype(np.float32) / 127.5 - 1)


def test_scaling_endpoints():
    images = np.array([0, 255, 128], np.uint8).reshape(3, 1, 1)
    x, _ = next(iter(ImageLoader((images, np.zeros(3, np.uint8)), batch_size=3, shuffle=False)))
    assert x.ravel().tolist()[:2] == [-1.0, 1.0]  # exact at the ends, as tanh outputs can be
    assert x.ravel()[2] == pytest.approx(128 / 127.5 - 1, abs=1e-7)


def test_channel_axis_is_kept_for_nchw_input():
    images = np.zeros((4, 3, 5, 5), np.uint8)
    x, _ = next(iter(ImageLoader((images, np.zeros(4)), batch_size=2)))
    assert x.shape == (2, 3, 5, 5)


def test_len_and_drop_last(dataset):
    assert len(ImageLoader(dataset, batch_size=8)) == 6
    assert [len(y) for _, y in ImageLoader(dataset, batch_size=8)] == [8] * 6
    keep = ImageLoader(dataset, batch_size=8, drop_last=False)
    assert len(keep) == 7
    assert [len(y) for _, y in keep] == [8] * 6 + [2]
    assert len(ImageLoader(dataset, batch_size=64)) == 0


def test_epoch_is_a_permutation_without_shuffle_in_order(dataset):
    shuffled = sum(_indices(ImageLoader(dataset, batch_size=10, seed=3)), [])
    assert sorted(shuffled) == list(range(N)) and shuffled != list(range(N))
    ordered = sum(_indices(ImageLoader(dataset, batch_size=10, shuffle=False)), [])
    assert ordered == list(range(N))


def test_shuffle_reproducible_from_seed_and_different_across_epochs(dataset):
    a, b, c = (ImageLoader(dataset, batch_size=10, seed=seed) for seed in (7, 7, 8))
    epochs_a = [_indices(a) for _ in range(3)]
    epochs_b = [_indices(b) for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert _indices(c) != epochs_a[0]
    assert a.epoch == 3


def test_iter_epoch_is_a_pure_function_of_seed_and_epoch(dataset):
    loader = ImageLoader(dataset, batch_size=10, seed=5)
    full = _indices(loader.iter_epoch(4))
    assert _indices(loader.iter_epoch(4, start_batch=2)) == full[2:]
    assert _indices(ImageLoader(dataset, batch_size=10, seed=5).iter_epoch(4)) == full
    assert loader.epoch == 0  # iter_epoch does not move the loader


def test_resume_from_state_dict_mid_epoch(dataset):
    original = ImageLoader(dataset, batch_size=7, seed=11)
    _indices(original)  # epoch 0
    seen = []
    for step, (_, labels) in enumerate(original):  # epoch 1, interrupted after 3 batches
        seen.append(labels.tolist())
        if step == 2:
            state = json.loads(json.dumps(original.state_dict()))
            break
    assert state["epoch"] == 1 and state["batch"] == 3
    rest_of_epoch = _indices(original)
    next_epoch = _indices(original)

    resumed = ImageLoader(dataset, batch_size=7, seed=0)  # the seed comes from the state
    resumed.load_state_dict(state)
    assert _indices(resumed) == rest_of_epoch
    assert _indices(resumed) == next_epoch
    assert seen + rest_of_epoch == _indices(ImageLoader(dataset, batch_size=7, seed=11).iter_epoch(1))


def test_break_after_last_batch_moves_to_next_epoch(dataset):
    loader = ImageLoader(dataset, batch_size=25, seed=1)
    for step, _ in enumerate(loader):
        if step == 1:
            break
    assert _indices(loader) == _indices(loader.iter_epoch(1))


def test_load_state_dict_refuses_different_batches(dataset):
    state = ImageLoader(dataset, batch_size=7).state_dict()
    with pytest.raises(ValueError, match="batch_size=7"):
        ImageLoader(dataset, batch_size=8).load_state_dict(state)


def test_batches_do_not_alias_the_stored_dataset(dataset):
    loader = ImageLoader(dataset, batch_size=5, shuffle=False)
    x, _ = next(iter(loader))
    x[...] = 99
    assert loader.images.max() <= 1 and not loader.images.flags.writeable


def test_bad_inputs(dataset):
    images, labels = dataset
    with pytest.raises(TypeError, match="uint8"):
        ImageLoader((images.astype(np.float32), labels))
    with pytest.raises(ValueError, match="labels"):
        ImageLoader((images, labels[:-1]))
    with pytest.raises(ValueError, match="batch_size"):
        ImageLoader(dataset, batch_size=0)


def test_gpu_device_moves_the_dataset_once(dataset, monkeypatch):
    calls = []

    def to_device(array, device):
        calls.append((array.shape, array.dtype, device))
        return np.array(array)  # a stand-in "device" copy

    monkeypatch.setattr(loader_module, "to_device", to_device)
    loader = ImageLoader(dataset, batch_size=5, seed=2, device="cuda:1")
    assert calls == [((N, 1, 28, 28), np.float32, "cuda:1"), ((N,), np.int64, "cuda:1")]
    for _ in range(2):
        batches = list(loader)
    assert len(batches) == 10
    # One extra transfer per epoch, the permutation; none per batch.
    assert calls[2:] == [((N,), np.int64, "cuda:1")] * 2


def test_as_tensor_wraps_batches(dataset, monkeypatch):
    made = []

    def tensor(data, device=None):
        made.append((data.shape, device))
        return ("tensor", data)

    monkeypatch.setattr(loader_module, "tensor", tensor)
    images, labels = next(iter(ImageLoader(dataset, batch_size=4, as_tensor=True)))
    assert images[0] == "tensor" and labels[0] == "tensor"
    assert made == [((4, 1, 28, 28), "cpu"), ((4,), "cpu")]
