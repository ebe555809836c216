"""minigan/ops/erf.py: erf against math.erf over a wide range, special values, gradients of every order."""
import math

import numpy as np
from conftest import arrays, make_tensor, shapes
from hypothesis import given, settings

import minigan as mg
from minigan.ops.erf import erf, erf_array
from minigan.testing import check_op


def test_erf_matches_math_erf_to_roundoff():
    x = np.concatenate([np.linspace(-40, 40, 20001), np.geomspace(1e-300, 8, 3000), -np.geomspace(1e-300, 8, 3000),
                        [0.0, 1.5, -1.5, np.nextafter(1.5, 0), 30.0, -30.0]])
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf_array(x), ref, rtol=2e-15, atol=0)  # a few ulps: libm need not round alike


def test_erf_special_values_and_dtypes():
    out = erf_array(np.array([np.inf, -np.inf, np.nan, 0.0, -0.0]))
    assert out[0] == 1 and out[1] == -1 and np.isnan(out[2]) and out[3] == 0
    assert erf_array(np.float32([0.5])).dtype == np.float32
    assert mg.erf(mg.tensor([1, 2])).dtype == np.float32  # integers promote, as torch.erf


@settings(max_examples=15, deadline=None)
@given(x=shapes(max_dims=2).flatmap(lambda s: arrays(s, -3.0, 3.0)))
def test_erf_check_op(device, x):
    check_op(erf, [x], lambda a: np.vectorize(math.erf)(a), device, rtol=1e-14, atol=1e-15)


def test_erf_tensor_method_and_gradient(device):
    x = make_tensor([-1.0, 0.0, 0.5], device, requires_grad=True)
    x.erf().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 / math.sqrt(math.pi) * np.exp(-np.array([-1.0, 0.0, 0.5]) ** 2),
                               rtol=1e-15)
