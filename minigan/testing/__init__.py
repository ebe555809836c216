"""minigan.testing: test helpers for custom ops and layers (and minigan's own tests).

``check_op(fn, arrays, reference)`` runs every check a differentiable op must pass
(forward against a NumPy reference, float32 forward, gradcheck and gradgradcheck in
float64, linearity in the incoming gradient) on every available device; `OpTest` is
the same as a class pytest collects, Chainer's ``FunctionTestCase`` style::

    import numpy as np
    from minigan.testing import check_op
    check_op(lambda x: x.sin(), [np.linspace(-1, 1, 5)], np.sin)
"""
from __future__ import annotations

from .op_test import (OpCheckError, OpTest, available_devices, check_backward, check_float32, check_forward,
                      check_linearity, check_op)

__all__ = ["OpCheckError", "OpTest", "available_devices", "check_backward", "check_float32", "check_forward",
           "check_linearity", "check_op"]
