"""minigan/data/dataloader.py, dataset.py, sampler.py: PyTorch's DataLoader semantics without torch."""
import collections
import warnings

import numpy as np
import pytest

import minigan as mg
from minigan.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                          SequentialSampler, Subset, TensorDataset, default_collate, default_convert, random_split)


def _range_dataset(n):
    return TensorDataset(mg.tensor(np.arange(n, dtype=np.int64)))


def _order(loader):
    return [int(v) for (batch,) in loader for v in batch.numpy()]


# ---- default_collate, type by type ------------------------------------------------------------------------


def test_collate_stacks_tensors_on_a_new_first_axis():
    batch = default_collate([mg.tensor(np.full((2, 3), i, np.float32)) for i in range(4)])
    assert isinstance(batch, mg.Tensor) and batch.shape == (4, 2, 3) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch.numpy()[:, 0, 0], [0, 1, 2, 3])


def test_collate_keeps_the_graph_of_tensors_that_require_grad():
    leaves = [mg.tensor(np.ones(2), requires_grad=True) for _ in range(3)]
    default_collate(leaves).sum().backward()
    assert all(np.array_equal(t.grad.numpy(), np.ones(2)) for t in leaves)


def test_collate_turns_numpy_arrays_and_scalars_into_tensors_of_their_dtype():
    arrays = default_collate([np.full((2,), i, np.uint8) for i in range(3)])
    assert isinstance(arrays, mg.Tensor) and arrays.shape == (3, 2) and arrays.dtype == np.uint8
    scalars = default_collate([np.float32(0.5), np.float32(1.5)])
    assert isinstance(scalars, mg.Tensor) and scalars.dtype == np.float32 and scalars.shape == (2,)


def test_collate_turns_python_numbers_into_float64_int64_and_bool_tensors():
    floats, ints, bools = default_collate([0.5, 1.5]), default_collate([1, 2, 3]), default_collate([True, False])
    assert floats.dtype == np.float64 and ints.dtype == np.int64 and bools.dtype == np.bool_
    np.testing.assert_array_equal(ints.numpy(), [1, 2, 3])


def test_collate_leaves_strings_as_a_list():
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_collate_goes_into_dicts_tuples_namedtuples_and_lists():
    Point = collections.namedtuple("Point", "x y")
    batch = default_collate([{"image": np.zeros((1, 2)), "meta": (i, float(i)), "p": Point(i, [i, i + 1])}
                             for i in range(3)])
    assert set(batch) == {"image", "meta", "p"} and batch["image"].shape == (3, 1, 2)
    assert isinstance(batch["meta"], list)  # a tuple becomes a list, as in PyTorch
    np.testing.assert_array_equal(batch["meta"][0].numpy(), [0, 1, 2])
    assert isinstance(batch["p"], Point) and isinstance(batch["p"].y, list)
    np.testing.assert_array_equal(batch["p"].y[1].numpy(), [1, 2, 3])


def test_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                                           r"and \[3\] at entry 1"):
        default_collate([mg.tensor(np.zeros(2)), mg.tensor(np.zeros(3))])
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
                                        "object"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert_converts_without_stacking():
    out = default_convert((np.arange(3), "name", {"y": np.int64(2)}))
    assert isinstance(out, list) and isinstance(out[0], mg.Tensor) and out[0].shape == (3,)
    assert out[1] == "name" and isinstance(out[2]["y"], mg.Tensor)


# ---- datasets ----------------------------------------------------------------------------------------------


def test_tensor_dataset_indexes_every_tensor_and_checks_sizes():
    x, y = mg.tensor(np.arange(12.0).reshape(4, 3)), np.arange(4)
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    row, label = ds[2]
    np.testing.assert_array_equal(row.numpy(), [6.0, 7.0, 8.0]) and label == 2
    with pytest.raises(ValueError, match=r"Size mismatch between tensors: first dimensions \[4, 3\]"):
        TensorDataset(x, np.arange(3))
    with pytest.raises(ValueError, match="0-d tensor"):
        TensorDataset(mg.tensor(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_concat_and_subset():
    a, b = _range_dataset(3), TensorDataset(mg.tensor(np.arange(10, 14)))
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert [int(both[i][0]) for i in range(7)] == [0, 1, 2, 10, 11, 12, 13] and int(both[-1][0]) == 13
    sub = Subset(both, [6, 0, 3])
    assert len(sub) == 3 and [int(sub[i][0]) for i in range(3)] == [13, 0, 10]
    assert _order(DataLoader(sub, batch_size=2)) == [13, 0, 10]


def test_random_split_by_lengths_and_fractions_is_a_seeded_partition():
    ds = _range_dataset(10)
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=3)
    assert [len(p) for p in parts] == [5, 3, 2]
    assert sorted(i for p in parts for i in p.indices) == list(range(10))
    again = random_split(ds, [5, 3, 2], generator=np.random.default_rng(3))
    assert [p.indices for p in parts] == [p.indices for p in again]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
        random_split(ds, [4, 4])


# ---- DataLoader --------------------------------------------------------------------------------------------


def test_defaults_are_torchs_every_sample_once_in_order_batch_of_one():
    loader = DataLoader(_range_dataset(5))
    assert loader.batch_size == 1 and not loader.drop_last and isinstance(loader.sampler, SequentialSampler)
    assert len(loader) == 5 and _order(loader) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("drop_last, sizes", [(False, [128, 128, 44]), (True, [128, 128])])
def test_drop_last_both_ways(drop_last, sizes):
    loader = DataLoader(_range_dataset(300), batch_size=128, drop_last=drop_last)
    assert len(loader) == len(sizes) and [len(b[0]) for b in loader] == sizes
    assert _order(loader) == list(range(sum(sizes)))


def test_shuffle_is_a_permutation_reproducible_by_manual_seed():
    ds = _range_dataset(50)
    mg.manual_seed(7)
    first = [_order(DataLoader(ds, batch_size=8, shuffle=True)) for _ in range(2)]
    mg.manual_seed(7)
    second = [_order(DataLoader(ds, batch_size=8, shuffle=True)) for _ in range(2)]
    assert first == second and sorted(first[0]) == list(range(50))
    assert first[0] != first[1] and first[0] != list(range(50))  # a new order each epoch


def test_shuffle_with_a_seed_generator_repeats_run_to_run_and_changes_per_epoch():
    ds = _range_dataset(40)
    a, b = DataLoader(ds, batch_size=5, shuffle=True, generator=11), DataLoader(ds, batch_size=5, shuffle=True,
                                                                                generator=11)
    epochs_a, epochs_b = [_order(a), _order(a)], [_order(b), _order(b)]
    assert epochs_a == epochs_b and epochs_a[0] != epochs_a[1]
    c = DataLoader(ds, batch_size=5, shuffle=True, generator=np.random.default_rng(11))
    assert _order(c) == epochs_a[0]
    with pytest.raises(TypeError, match="generator must be an int seed or a numpy.random.Generator"):
        DataLoader(ds, shuffle=True, generator="seed")


def test_loop_over_float_data_visits_each_sample_once():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((37, 3)).astype(np.float32), rng.standard_normal(37)
    total, count = np.zeros(3), 0
    for xb, yb in DataLoader(TensorDataset(mg.tensor(x), mg.tensor(y, dtype=np.float64)), batch_size=10,
                             shuffle=True):
        assert xb.dtype == np.float32 and yb.dtype == np.float64 and xb.shape[0] == yb.shape[0]
        total += xb.numpy().sum(axis=0)
        count += xb.shape[0]
    assert count == 37
    np.testing.assert_allclose(total, x.sum(axis=0), rtol=1e-5)


def test_map_dataset_of_numpy_samples_and_a_custom_collate():
    class Squares(Dataset):
        def __getitem__(self, i):
            return {"x": np.array([i, i * i], dtype=np.float32), "i": i}

        def __len__(self):
            return 5

    batches = list(DataLoader(Squares(), batch_size=2))
    assert [b["x"].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    np.testing.assert_array_equal(batches[1]["i"].numpy(), [2, 3])
    assert list(DataLoader(Squares(), batch_size=3, collate_fn=len)) == [3, 2]
    unbatched = list(DataLoader(Squares(), batch_size=None))
    assert len(unbatched) == 5 and unbatched[4]["x"].shape == (2,)


def test_samplers_and_batch_sampler_argument():
    ds = _range_dataset(10)
    batches = BatchSampler(SequentialSampler(ds), batch_size=4, drop_last=False)
    assert list(batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(batches) == 3
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 3, True))
    assert len(loader) == 3 and _order(loader) == list(range(9))
    draws = list(RandomSampler(ds, replacement=True, num_samples=25, generator=0))
    assert len(draws) == 25 and set(draws) <= set(range(10))
    more = list(RandomSampler(ds, num_samples=15, generator=0))  # a full permutation, then part of another
    assert sorted(more[:10]) == list(range(10)) and len(set(more[10:])) == 5


def test_iterable_dataset_is_batched_in_order():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.numpy().tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.numpy().tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(TypeError):
        len(DataLoader(Stream(), batch_size=3))
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(), shuffle=True)


def test_num_workers_runs_in_process_with_a_warning():
    with pytest.warns(UserWarning, match="num_workers=2 runs in the main process"):
        loader = DataLoader(_range_dataset(6), batch_size=4, num_workers=2)
    assert _order(loader) == list(range(6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DataLoader(_range_dataset(6), pin_memory=True)


@pytest.mark.parametrize("kwargs, message", [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(drop_last=1), "drop_last should be a boolean value, but got drop_last=1"),
])
def test_bad_arguments_give_torchs_one_line_errors(kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        DataLoader(_range_dataset(4), **kwargs)
    assert "\n" not in str(info.value)
