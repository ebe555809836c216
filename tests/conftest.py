"""Shared test fixtures: the `device` parameter, tensor builders, hypothesis profiles and strategies.

The op checks (check_op) live in `minigan.testing`, public for custom ops too.

Every test that takes `device` runs once on "cpu" and once on "cuda"; the cuda run
is skipped (not failed) where CuPy or a GPU is missing; MINIGAN_CUPY_STANDIN=1 runs it on the
NumPy stand-in for CuPy (minigan/_cupy_standin), which raises where CuPy would. Hypothesis runs the modest
"ci" profile unless HYPOTHESIS_PROFILE=thorough asks for the long one.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minigan

settings.register_profile(
    "ci", max_examples=20, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile(
    "thorough", max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CUDA_SKIP = pytest.mark.skipif(not minigan.cuda.is_available(), reason="CuPy/GPU not available")


def pytest_report_header(config) -> str:
    if minigan.backend.cupy_standin_requested():
        return "cuda: the NumPy stand-in for CuPy (MINIGAN_CUPY_STANDIN=1): CUDA paths run on the CPU"
    return f"cuda: {'available' if minigan.cuda.is_available() else 'not available (CUDA tests skip)'}"


@pytest.fixture(scope="session", params=["cpu", pytest.param("cuda", marks=CUDA_SKIP)])
def device(request) -> str:
    """The device a test runs on: "cpu", and "cuda" where a GPU is usable."""
    return request.param


def make_tensor(data, device: str = "cpu", dtype=np.float64, requires_grad: bool = False) -> minigan.Tensor:
    """A leaf tensor on `device` from array-like `data` (float64 unless `dtype` says otherwise)."""
    return minigan.tensor(np.asarray(data, dtype=dtype), device=device, requires_grad=requires_grad)


@pytest.fixture(scope="session")
def make(device):
    """make(data, dtype=np.float64, requires_grad=False): a tensor on the test's device."""
    def build(data, dtype=np.float64, requires_grad: bool = False) -> minigan.Tensor:
        return make_tensor(data, device, dtype=dtype, requires_grad=requires_grad)
    return build


# ---- hypothesis strategies shared by the op tests --------------------------------------------
# Small shapes (sides 1-3, up to 3 dims, 0-d included, never empty) keep gradcheck cheap.

from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


def shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def broadcast_pairs(max_dims: int = 3):
    """Two shapes that broadcast together, e.g. ((2, 3), (3,)) or ((), (2, 1))."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                              min_side=1, max_side=3).map(lambda s: s.input_shapes)


def arrays(shape, low: float = -2.0, high: float = 2.0):
    """float64 arrays with values in [low, high]."""
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False, allow_subnormal=False))


def separated_arrays(shape, offset: float = 0.05):
    """Distinct float64 values on the grid k/10 + offset: never 0 (for offset in (0, 0.1)), never tied,
    at least 0.1 apart, so abs, relu, max and friends are checked away from their kinks."""
    return hnp.arrays(np.float64, shape, unique=True,
                      elements=st.integers(-20, 19).map(lambda k: k / 10 + offset))


def positive_arrays(shape, low: float = 0.3, high: float = 3.0):
    return arrays(shape, low, high)


def axes(ndim: int):
    """Every form a reduction axis takes: None, an int (maybe negative), a tuple (maybe empty)."""
    if ndim == 0:
        return st.sampled_from([None, (), 0, -1])
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1), hnp.valid_tuple_axes(ndim))


def numpy_axis(axis, ndim: int):
    """The same axis for NumPy, which has no axis for a 0-d array."""
    return None if ndim == 0 else axis
