"""minigan/creation.py: PyTorch's factory signatures and dtypes, the seeded random ones, and
tensor()'s checks on its data."""
import numpy as np
import pytest

import minigan as mg


def test_deterministic_factories(device):
    assert mg.empty(2, 3, device=device).shape == (2, 3) and mg.empty((2,), dtype=mg.int64).dtype == np.int64
    assert mg.full((2,), 1).dtype == np.int64 and mg.full((2,), 1.0).dtype == np.float32
    assert mg.full(3, True, device=device).dtype == np.bool_
    np.testing.assert_allclose(mg.linspace(0, 1, 5, device=device).numpy(), np.linspace(0, 1, 5))
    assert mg.linspace(0, 10, 5, dtype=mg.int64).numpy().tolist() == [0, 2, 5, 7, 10]
    np.testing.assert_allclose(mg.logspace(0, 2, 3).numpy(), [1, 10, 100])
    np.testing.assert_array_equal(mg.eye(2, 3, device=device).numpy(), np.eye(2, 3))
    assert mg.eye(3).shape == (3, 3) and mg.arange(4).dtype == np.int64 and mg.arange(1.0).dtype == np.float32
    like = mg.ones(2, dtype=mg.int32, device=device)
    assert mg.full_like(like, 2.7).numpy().tolist() == [2, 2] and mg.empty_like(like).dtype == np.int32
    assert mg.zeros_like(like, dtype=mg.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="arange: step must be nonzero"):
        mg.arange(0, 3, 0)


def test_random_factories_draw_from_the_seeded_generator(device):
    def draw():
        mg.manual_seed(11)
        return [mg.randint(0, 5, (50,), device=device), mg.randint(7, (3,)), mg.randperm(6, device=device),
                mg.normal(1.0, 2.0, (4,), device=device), mg.bernoulli(mg.full((20,), 0.5, device=device)),
                mg.multinomial(mg.tensor([0.0, 1.0, 3.0], device=device), 2),
                mg.rand_like(mg.ones(3, device=device)), mg.randint_like(mg.ones(3), 2, 4)]

    first, second = draw(), draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    ints, small, perm, normal, coins, picks, uniform, like = first
    assert ints.dtype == np.int64 and 0 <= ints.numpy().min() and ints.numpy().max() < 5 and ints.device.type == \
        mg.device(device).type
    assert small.numpy().max() < 7 and sorted(perm.numpy().tolist()) == list(range(6))
    assert normal.dtype == np.float32 and set(coins.numpy().tolist()) <= {0.0, 1.0}
    assert picks.dtype == np.int64 and sorted(picks.numpy().tolist()) == [1, 2]  # weight 0 is never drawn
    assert uniform.numpy().min() >= 0 and uniform.numpy().max() < 1
    assert like.dtype == np.float32 and set(like.numpy().tolist()) <= {2.0, 3.0}
    assert mg.initial_seed() == 11


def test_normal_and_multinomial_forms():
    mean = mg.tensor([0.0, 100.0])
    sample = mg.normal(mean, 0.01)
    assert sample.shape == (2,) and abs(sample[1].item() - 100) < 1 and not sample.requires_grad
    assert mg.normal(mean, mg.ones(3, 1)).shape == (3, 2)
    rows = mg.multinomial(mg.tensor([[1.0, 0.0], [0.0, 1.0]]), 3, replacement=True)
    assert rows.numpy().tolist() == [[0, 0, 0], [1, 1, 1]]
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        mg.multinomial(mg.tensor([0.0, 1.0]), 2)
    with pytest.raises(RuntimeError, match="element < 0"):
        mg.multinomial(mg.tensor([-1.0, 1.0]), 1)
    with pytest.raises(RuntimeError, match=r"bernoulli: expected all probabilities in \[0, 1\]"):
        mg.bernoulli(mg.tensor([2.0]))
    with pytest.raises(RuntimeError, match="randint: expected low < high"):
        mg.randint(3, 3, (2,))


def test_rng_state_round_trips_at_top_level():
    state = mg.get_rng_state()
    a = mg.randn(3)
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(3).numpy(), a.numpy())
    chosen = mg.seed()
    assert mg.initial_seed() == chosen
    mg.manual_seed(0)


@pytest.mark.parametrize("data, error, message", [
    ("abc", TypeError, "tensor\\(\\): invalid data type 'str'"),
    (["a", "b"], TypeError, "invalid data type 'str'"),
    (None, RuntimeError, "could not infer dtype of NoneType"),
    ([1, None], RuntimeError, "could not infer dtype of NoneType"),
    (object(), RuntimeError, "could not infer dtype of object"),
    ([[1, 2], [3]], ValueError, "ragged"),
])
def test_tensor_rejects_bad_data(data, error, message):
    with pytest.raises(error, match=message):
        mg.tensor(data)


def test_tensor_dtypes_and_sharing():
    assert mg.tensor([1, 2]).dtype == np.int64 and mg.tensor([1.5]).dtype == np.float32
    assert mg.tensor([True]).dtype == np.bool_
    array = np.array([1, 2], dtype=np.int32)
    shared = mg.from_numpy(array)
    array[0] = 9
    assert shared.dtype == np.int32 and shared.numpy().tolist() == [9, 2]
    assert mg.as_tensor(array).array is array and mg.as_tensor(array, dtype=mg.int64).array is not array
    assert mg.as_tensor(shared) is shared and mg.as_tensor([1.0]).dtype == np.float32
    assert mg.tensor(array).array is not array
    assert mg.is_tensor(shared) and not mg.is_tensor(array)
    assert mg.is_floating_point(mg.ones(1)) and not mg.is_floating_point(shared)
    with pytest.raises(TypeError, match=r"from_numpy: expected np.ndarray \(got list\)"):
        mg.from_numpy([1, 2])
