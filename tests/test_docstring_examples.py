"""The runnable examples in the docstrings of the public API (doctest)."""
import doctest
import importlib

import pytest

MODULES = ["minigan.autograd.functional", "minigan.autograd.anomaly", "minigan.autograd.version",
           "minigan.ops.einsum", "minigan.ops.inplace", "minigan.ops.reduce", "minigan.ops.arith", "minigan.ops.shape", "minigan.ops.trig",
           "minigan.gradcheck", "minigan.testing.op_test"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no runnable docstring example"
    assert result.failed == 0
