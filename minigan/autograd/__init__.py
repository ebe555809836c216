"""Tensor, Function and the reverse-mode engine.

A `Function` computes its forward on raw arrays (NumPy or CuPy) and its backward
with Tensor ops, so the backward pass is itself recorded when `create_graph=True`:
that single rule (Chainer's) is what gives higher-order gradients everywhere.

- `grad_mode.py`: `no_grad`, `enable_grad`, `set_grad_enabled`;
- `tensor.py`: `Tensor`, its operators and methods (late-bound to `minigan.ops`);
- `function.py`: `Function` (minigan's protocol, and PyTorch's static forward/backward with `apply`),
  plus the two ops the engine itself needs (`astype`, device copy); `function_ctx.py`: PyTorch's `ctx`;
- `graph.py`: what ``tensor.grad_fn`` shows, Nodes named as PyTorch names them (``MulBackward0``);
- `engine.py`: `backward` and `grad`, a heap walk in generation order (no recursion);
- `functional.py`: vjp, jvp, jacobian, hessian, hvp, vhp (torch.autograd.functional's names);
- `version.py`: version counters for in-place ops; `anomaly.py`: `detect_anomaly`.
"""
from __future__ import annotations

from . import functional, graph
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import AsType, Function, ToDevice, astype
from .function_ctx import FunctionCtx
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import DEFAULT_DTYPE, Tensor, _is_cupy_array, _is_float

__all__ = ["AsType", "DEFAULT_DTYPE", "Function", "FunctionCtx", "Tensor", "ToDevice", "astype", "backward", "detect_anomaly",
           "enable_grad", "is_anomaly_enabled", "set_detect_anomaly",
           "functional", "grad", "graph", "is_grad_enabled", "no_grad", "set_grad_enabled"]
