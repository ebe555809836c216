"""SyncBatchNorm in one process: BatchNorm exactly; its Function checked to second order.

The two-rank equivalence (2 ranks x b == one process x 2b) is in
tests/distributed/test_multi_rank.py.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigan
from minigan import nn
from minigan.distributed import Communicator
from minigan.nn.sync_batchnorm import SyncBatchNormFunction
from minigan.testing import check_op


def _reference_batch_norm(x, gamma, beta, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


@given(shape=st.sampled_from([(4, 3), (3, 2, 5), (2, 3, 3, 2)]), seed=st.integers(0, 2**16))
def test_the_function_on_one_rank_passes_check_op(device, shape, seed):
    rng = np.random.default_rng(seed)
    c = shape[1]
    arrays = [rng.standard_normal(shape) * 2 + 1, rng.standard_normal(c) + 1.5, rng.standard_normal(c)]
    check_op(lambda x, g, b: SyncBatchNormFunction(1e-5, Communicator())(x, g, b), arrays, _reference_batch_norm,
             device, rtol=1e-7, atol=1e-9)


def test_one_rank_is_batchnorm_exactly():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 4, 4)).astype(np.float32)
    bn, sync = nn.BatchNorm2d(3, momentum=None), nn.SyncBatchNorm(3, momentum=None)
    for step in range(2):
        xb, xs = minigan.tensor(x, requires_grad=True), minigan.tensor(x, requires_grad=True)
        yb, ys = bn(xb), sync(xs)
        (yb * yb).sum().backward()
        (ys * ys).sum().backward()
    np.testing.assert_array_equal(ys.numpy(), yb.numpy())
    np.testing.assert_array_equal(xs.grad.numpy(), xb.grad.numpy())
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(sync.state_dict()[key], value, err_msg=key)
    sync.eval()
    bn.eval()
    np.testing.assert_array_equal(sync(minigan.tensor(x)).numpy(), bn(minigan.tensor(x)).numpy())


def test_convert_sync_batchnorm_replaces_every_batchnorm_and_shares_its_tensors():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Sequential(nn.Flatten(), nn.BatchNorm1d(8)))
    model.eval()
    old = model[1]
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model
    assert type(model[1]) is nn.SyncBatchNorm and type(model[2][1]) is nn.SyncBatchNorm
    assert model[1].weight is old.weight and model[1].running_mean is old.running_mean
    assert not model[1].training
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                        "1.running_var", "1.num_batches_tracked", "2.1.weight", "2.1.bias",
                                        "2.1.running_mean", "2.1.running_var", "2.1.num_batches_tracked"]
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(4, affine=False))
    assert type(single) is nn.SyncBatchNorm and single.weight is None


def test_a_copy_shares_the_process_group():
    world = Communicator(node="here")
    layer = nn.SyncBatchNorm(3, process_group=world)
    assert copy.deepcopy(layer).process_group is world


def test_bad_input():
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        nn.SyncBatchNorm(3)(minigan.tensor(np.ones(3, np.float32)))
