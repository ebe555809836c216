"""The comparisons under PyTorch's names (methods and functions) against torch: bool results, broadcasting."""
from __future__ import annotations

import numpy as np
import pytest

import minigan as mg

torch = pytest.importorskip("torch")

NAMES = ("eq", "ne", "lt", "le", "gt", "ge")


@pytest.mark.parametrize("name", NAMES)
def test_comparison_matches_torch(name):
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 3, (4, 5)).astype(np.float64), rng.integers(0, 3, (1, 5)).astype(np.float64)
    expected = getattr(torch.from_numpy(a), name)(torch.from_numpy(b)).numpy()
    for got in (getattr(mg.tensor(a), name)(mg.tensor(b)), getattr(mg, name)(mg.tensor(a), mg.tensor(b)),
                getattr(mg.tensor(a), name)(1.0)):
        assert got.dtype == np.bool_
    np.testing.assert_array_equal(getattr(mg.tensor(a), name)(mg.tensor(b)).numpy(), expected)
    np.testing.assert_array_equal(getattr(mg, name)(mg.tensor(a), mg.tensor(b)).numpy(), expected)
    np.testing.assert_array_equal(getattr(mg.tensor(a), name)(1.0).numpy(),
                                  getattr(torch.from_numpy(a), name)(1.0).numpy())
