"""minigan.nn.init and the layers' default initialisation: PyTorch's formulas, in place, seeded."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan
from minigan import nn
from minigan.nn import init


def big(*shape, dtype=np.float32):
    return nn.Parameter(minigan.zeros(*shape, dtype=dtype))


def test_calculate_gain_matches_pytorch_table():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("conv_transpose2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swishy")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "a")


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(big(4, 3)) == (3, 4)  # Linear (out, in)
    assert init._calculate_fan_in_and_fan_out(big(64, 1, 4, 4)) == (16, 1024)  # Conv2d (out, in, k, k)
    # ConvTranspose2d weight is (in, out, k, k): PyTorch's fan_in comes from dim 1, i.e. out * k * k.
    assert init._calculate_fan_in_and_fan_out(big(128, 64, 4, 4)) == (64 * 16, 128 * 16)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(big(5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_is_in_place_and_keeps_the_dtype(dtype):
    p = big(30, 20, dtype=dtype)
    array = p.array
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
               init.kaiming_normal_, init.zeros_, init.ones_, init.orthogonal_, init.trunc_normal_):
        out = fn(p)
        assert out is p and p.array is array and p.dtype == dtype, fn.__name__
    init.constant_(p, 0.25)
    assert np.all(p.array == 0.25)
    init.eye_(p)
    np.testing.assert_array_equal(p.array, np.eye(30, 20))
    assert p.requires_grad and p.is_leaf


def test_uniform_and_normal_statistics():
    minigan.manual_seed(0)
    p = big(400, 500)
    init.uniform_(p, -2.0, 3.0)
    assert p.array.min() >= -2.0 and p.array.max() < 3.0
    assert p.array.mean() == pytest.approx(0.5, abs=0.02)
    init.normal_(p, 1.0, 2.0)
    assert p.array.mean() == pytest.approx(1.0, abs=0.02) and p.array.std() == pytest.approx(2.0, rel=0.01)
    init.trunc_normal_(p, 0.0, 1.0, -1.0, 1.5)
    assert p.array.min() >= -1.0 and p.array.max() <= 1.5


@settings(max_examples=25, deadline=None)
@given(fan_out=st.integers(40, 200), fan_in=st.integers(40, 200), k=st.sampled_from([1, 3, 4]),
       a=st.sampled_from([0.0, 0.2, math.sqrt(5)]), mode=st.sampled_from(["fan_in", "fan_out"]))
def test_kaiming_uniform_bound_and_variance(fan_out, fan_in, k, a, mode):
    p = big(fan_out, fan_in, k, k)
    init.kaiming_uniform_(p, a=a, mode=mode)
    fan = (fan_in if mode == "fan_in" else fan_out) * k * k
    bound = math.sqrt(2 / (1 + a * a)) * math.sqrt(3 / fan)
    assert np.abs(p.array).max() <= bound * (1 + 1e-6)
    assert np.abs(p.array).max() > 0.9 * bound  # the range is really used
    assert p.array.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)


def test_kaiming_normal_and_xavier_std_on_a_big_tensor():
    minigan.manual_seed(1)
    p = big(256, 128, 3, 3)
    fan_in, fan_out = 128 * 9, 256 * 9
    init.kaiming_normal_(p, mode="fan_out", nonlinearity="relu")
    assert p.array.std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.01)
    assert abs(p.array.mean()) < 0.01 * math.sqrt(2 / fan_out) * 10
    init.xavier_normal_(p, gain=2.0)
    assert p.array.std() == pytest.approx(2.0 * math.sqrt(2 / (fan_in + fan_out)), rel=0.01)
    init.xavier_uniform_(p)
    a = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(p.array).max() <= a and np.abs(p.array).max() > 0.99 * a
    assert p.array.std() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.01)


def test_orthogonal_rows_are_orthonormal():
    p = big(8, 20)
    init.orthogonal_(p)
    np.testing.assert_allclose(p.array @ p.array.T, np.eye(8), atol=1e-5)


def test_manual_seed_makes_model_init_reproducible():
    def build():
        return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 2), nn.Embedding(4, 3),
                             nn.Conv2d(2, 3, 3), nn.ConvTranspose2d(3, 2, 4), nn.BatchNorm2d(3))

    minigan.manual_seed(123)
    a = build().state_dict()
    minigan.manual_seed(123)
    b = build().state_dict()
    minigan.manual_seed(124)
    c = build().state_dict()
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["0.weight"], c["0.weight"])


def test_layer_default_bounds_follow_pytorch():
    minigan.manual_seed(0)
    lin = nn.Linear(300, 400)
    bound = 1 / math.sqrt(300)
    for t in (lin.weight, lin.bias):
        assert t.dtype == np.float32
        assert np.abs(t.array).max() <= bound and np.abs(t.array).max() > 0.95 * bound
    conv = nn.Conv2d(16, 64, 3)
    bound = 1 / math.sqrt(16 * 9)
    assert np.abs(conv.weight.array).max() <= bound and np.abs(conv.weight.array).max() > 0.95 * bound
    assert np.abs(conv.bias.array).max() <= bound
    # ConvTranspose2d(128, 64, 4): weight (128, 64, 4, 4), fan_in = 64 * 16 (weight dim 1), as PyTorch.
    convt = nn.ConvTranspose2d(128, 64, 4)
    assert convt.weight.shape == (128, 64, 4, 4)
    bound = 1 / math.sqrt(64 * 16)
    assert np.abs(convt.weight.array).max() <= bound and np.abs(convt.weight.array).max() > 0.95 * bound
    assert np.abs(convt.bias.array).max() <= bound
    bn = nn.BatchNorm2d(6)
    assert np.all(bn.weight.array == 1) and np.all(bn.bias.array == 0)
    emb = nn.Embedding(1000, 50, padding_idx=3)
    assert emb.weight.array.std() == pytest.approx(1.0, rel=0.05) and np.all(emb.weight.array[3] == 0)


def test_layers_take_dtype_and_never_drift_to_float64():
    lin = nn.Linear(3, 2, dtype="float64")
    assert lin.weight.dtype == np.float64 and lin.bias.dtype == np.float64
    for m in (nn.Linear(3, 2), nn.Conv2d(1, 2, 3), nn.ConvTranspose2d(2, 1, 3), nn.BatchNorm1d(3), nn.Embedding(3, 2)):
        for p in m.parameters():
            assert p.dtype == np.float32, m
        m.apply(lambda mod: [init.normal_(p) for p in mod.parameters(recurse=False)])
        for p in m.parameters():
            assert p.dtype == np.float32, m


def test_init_rejects_non_tensors():
    with pytest.raises(TypeError, match="minigan Tensor"):
        init.normal_(np.zeros(3))
