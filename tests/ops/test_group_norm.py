"""Per-sample normalisation (minigan/ops/group_norm.py, nn.GroupNorm, nn.InstanceNorm2d) and LayerNorm:
values against NumPy, running statistics, first and second derivatives in float64 under hypothesis."""
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigan as mg
from minigan import nn
from minigan.nn import functional as F
from minigan.testing import check_op


def _ref_group_norm(x, groups, weight=None, bias=None, eps=1e-5):
    n, c = x.shape[:2]
    blocks = x.reshape(n, groups, -1)
    y = ((blocks - blocks.mean(-1, keepdims=True)) / np.sqrt(blocks.var(-1, keepdims=True) + eps)).reshape(x.shape)
    bshape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y


def _ref_layer_norm(x, k, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return y * weight + bias if weight is not None else y


# ---- group norm ---------------------------------------------------------------------------


@given(n=st.integers(1, 3), groups=st.integers(1, 3), per_group=st.integers(1, 2),
       spatial=st.sampled_from([(), (3,), (2, 2), (1, 3)]), affine=st.booleans(), seed=st.integers(0, 999))
def test_group_norm_gradchecks(device, n, groups, per_group, spatial, affine, seed):
    c = groups * per_group
    if per_group * int(np.prod(spatial)) < 2:  # a one-element group normalises to 0: nothing to check
        spatial = (2,)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c) + spatial) * 2 + 0.5
    if affine:
        w, b = rng.standard_normal(c), rng.standard_normal(c)
        check_op(lambda x, w, b: F.group_norm(x, groups, w, b), [x, w, b],
                 lambda x, w, b: _ref_group_norm(x, groups, w, b), device)
    else:
        check_op(lambda x: F.group_norm(x, groups), [x], lambda x: _ref_group_norm(x, groups), device)


def test_group_norm_module_state_and_errors():
    norm = nn.GroupNorm(2, 4, dtype="float64")
    assert list(norm.state_dict()) == ["weight", "bias"]
    assert repr(norm) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert list(nn.GroupNorm(2, 4, bias=False).state_dict()) == ["weight"]
    assert list(nn.GroupNorm(2, 4, affine=False).state_dict()) == []
    x = np.random.default_rng(0).standard_normal((3, 4, 2, 2))
    norm.weight.array[...] = [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_allclose(norm(mg.tensor(x)).numpy(), _ref_group_norm(x, 2, norm.weight.array, norm.bias.array),
                               rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"expected \(N, 4, \*\)"):
        norm(mg.tensor(np.zeros((2, 3, 2))))
    with pytest.raises(ValueError, match="num_groups=3"):
        F.group_norm(mg.tensor(x), 3)
    with pytest.raises(ValueError, match="weight has shape"):
        F.group_norm(mg.tensor(x), 2, mg.tensor(np.ones(3)))


def test_group_norm_is_per_sample():
    """A sample's output does not depend on the rest of the batch (why a GP critic may use it)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 4, 3, 3))
    whole = F.group_norm(mg.tensor(x), 2).numpy()
    alone = F.group_norm(mg.tensor(x[1:2]), 2).numpy()
    np.testing.assert_allclose(whole[1:2], alone, rtol=1e-12, atol=1e-12)


# ---- instance norm ------------------------------------------------------------------------


@given(n=st.integers(1, 3), c=st.integers(1, 3), spatial=st.sampled_from([(2,), (2, 2), (1, 3), (3, 2)]),
       affine=st.booleans(), seed=st.integers(0, 999))
def test_instance_norm_gradchecks(device, n, c, spatial, affine, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c) + spatial) * 2 - 0.3
    if affine:
        w, b = rng.standard_normal(c), rng.standard_normal(c)
        check_op(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [x, w, b],
                 lambda x, w, b: _ref_group_norm(x, c, w, b), device)
    else:
        check_op(lambda x: F.instance_norm(x), [x], lambda x: _ref_group_norm(x, c), device)


def test_instance_norm_running_stats_and_eval():
    rng = np.random.default_rng(2)
    norm = nn.InstanceNorm2d(3, affine=True, track_running_stats=True, dtype="float64")
    assert list(norm.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 2, 3)) * 3 + 1
        norm(mg.tensor(x))
        rm = 0.9 * rm + 0.1 * x.mean((2, 3)).mean(0)
        rv = 0.9 * rv + 0.1 * x.var((2, 3), ddof=1).mean(0)
    np.testing.assert_allclose(norm.running_mean.numpy(), rm, rtol=1e-12)
    np.testing.assert_allclose(norm.running_var.numpy(), rv, rtol=1e-12)
    assert int(norm.num_batches_tracked.item()) == 0  # kept but not counted, as PyTorch
    norm.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    ref = (x - rm.reshape(1, 3, 1, 1)) / np.sqrt(rv.reshape(1, 3, 1, 1) + 1e-5)
    np.testing.assert_allclose(norm(mg.tensor(x)).numpy(), ref, rtol=1e-10)
    # without running statistics eval mode still uses the instance's own
    plain = nn.InstanceNorm2d(3).eval()
    assert list(plain.state_dict()) == []
    np.testing.assert_allclose(plain(mg.tensor(x)).numpy(), _ref_group_norm(x, 3), rtol=1e-10)


def test_instance_norm_unbatched_and_errors():
    x = np.random.default_rng(3).standard_normal((3, 2, 2))
    norm = nn.InstanceNorm2d(3)
    np.testing.assert_allclose(norm(mg.tensor(x)).numpy(), _ref_group_norm(x[None], 3)[0], rtol=1e-10)
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        norm(mg.tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="match num_features"):
        nn.InstanceNorm2d(4, affine=True)(mg.tensor(x))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.InstanceNorm2d(4)(mg.tensor(x))
    assert any("does not match num_features" in str(w.message) for w in caught)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(mg.tensor(np.zeros((2, 3, 1, 1))))
    with pytest.raises(ValueError, match="must be given"):
        F.instance_norm(mg.tensor(x[None]), use_input_stats=False)


# ---- layer norm (existing; checked to the same standard) ------------------------------------


@given(lead=st.sampled_from([(1,), (3,), (2, 2)]), norm_shape=st.sampled_from([(2,), (3,), (2, 3), (1, 3)]),
       affine=st.booleans(), seed=st.integers(0, 999))
def test_layer_norm_gradchecks(device, lead, norm_shape, affine, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + norm_shape) * 2 + 0.5
    k = len(norm_shape)
    if affine:
        w, b = rng.standard_normal(norm_shape), rng.standard_normal(norm_shape)
        check_op(lambda x, w, b: F.layer_norm(x, norm_shape, w, b), [x, w, b],
                 lambda x, w, b: _ref_layer_norm(x, k, w, b), device)
    else:
        check_op(lambda x: F.layer_norm(x, norm_shape), [x], lambda x: _ref_layer_norm(x, k), device)


def test_layer_norm_module_variants():
    assert list(nn.LayerNorm(3, bias=False).state_dict()) == ["weight"]
    with pytest.raises(ValueError, match="does not match the trailing dimensions"):
        nn.LayerNorm(4)(mg.tensor(np.zeros((2, 3))))
