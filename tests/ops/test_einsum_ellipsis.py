"""minigan/ops/einsum.py with '...' (broadcast dimensions) and torch's operand-list form."""
import numpy as np
import pytest
from conftest import arrays
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan.testing import check_op


@pytest.mark.parametrize("spec, shapes", [
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk", [(2, 1, 2, 3), (3, 3, 4)]),  # implicit output: the '...' dimensions come first
    ("b...,b...->...b", [(2, 3, 2), (2, 3, 2)]),
    ("i...->...", [(3, 2, 2)]),
    ("...,...->...", [(3,), (2, 1)]),
    ("...i", [(2, 3)]),
])
@given(data=st.data())
def test_ellipsis_matches_numpy(device, spec, shapes, data):
    xs = [data.draw(arrays(s)) for s in shapes]
    check_op(lambda *ts: mg.einsum(spec, *ts), xs, lambda *a: np.einsum(spec, *a), device)
    check_op(lambda *ts: mg.einsum(spec, list(ts)), xs, lambda *a: np.einsum(spec, *a), device,
             second_order=False, check_float32=False)


def test_ellipsis_errors_name_the_spec():
    with pytest.raises(ValueError, match="einsum: '..ij': '.' may only appear as one '...' per operand"):
        mg.einsum("..ij", mg.ones(2, 2))
    with pytest.raises(ValueError, match="do not broadcast"):
        mg.einsum("...i,...i", mg.ones(2, 3), mg.ones(4, 3))
