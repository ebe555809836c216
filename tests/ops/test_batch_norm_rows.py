"""minigan/ops/batch_norm_rows.py: batch norm's channel-row passes in cache blocks on threads give the same
bits as one thread in one block, the right values, and float32 throughout."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_parallel import serial_and_threaded

from minigan.ops import batch_norm_rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(c=st.integers(1, 9), m=st.integers(2, 300), block=st.integers(1, 700), seed=st.integers(0, 999),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_threads_and_blocks_give_the_same_bits(monkeypatch, c, m, block, seed, dtype):
    rng = np.random.default_rng(seed)
    x2 = (rng.standard_normal((c, m)) * 3 + 1).astype(dtype)
    g2 = rng.standard_normal((c, m)).astype(dtype)
    gamma, beta = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)

    def run():
        y, mean, var, inv_std = batch_norm_rows.forward_rows(x2, gamma, beta, 1e-5)
        return (y, mean, var, inv_std) + batch_norm_rows.grad_rows(g2, x2, mean, gamma, inv_std)

    serial, threaded = serial_and_threaded(run, monkeypatch, block, (batch_norm_rows, "BLOCK_ELEMENTS"))
    for a, b in zip(serial, threaded):
        assert a.dtype == dtype and np.array_equal(a, b)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 2e-4)])
def test_values_match_the_formulas(dtype, tol):
    rng = np.random.default_rng(1)
    x2 = rng.standard_normal((5, 200)) * 2 + 3
    g2 = rng.standard_normal((5, 200))
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    y, mean, var, inv_std = batch_norm_rows.forward_rows(*(a.astype(dtype) for a in (x2, gamma, beta)), 1e-5)
    ref_xhat = (x2 - x2.mean(1, keepdims=True)) / np.sqrt(x2.var(1, keepdims=True) + 1e-5)
    for got, ref in ((y, ref_xhat * gamma[:, None] + beta[:, None]), (mean, x2.mean(1)), (var, x2.var(1)),
                     (inv_std, 1 / np.sqrt(x2.var(1) + 1e-5))):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    gx, ggamma, gbeta = batch_norm_rows.grad_rows(g2.astype(dtype), x2.astype(dtype), mean, gamma.astype(dtype),
                                                  inv_std)
    ref_gx = (gamma / np.sqrt(x2.var(1) + 1e-5))[:, None] * (
        g2 - g2.mean(1, keepdims=True) - ref_xhat * (g2 * ref_xhat).mean(1, keepdims=True))
    for got, ref in ((gx, ref_gx), (ggamma, (g2 * ref_xhat).sum(1)), (gbeta, g2.sum(1))):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * 10)
