"""Module's state dict: save and load parameters and buffers by PyTorch's dotted key names.

A mixin of `minigan.nn.Module` (its own file so module.py stays about registration and
traversal): ``model.load_state_dict(other.state_dict())``.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor

__all__ = ["StateDictMixin"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What `load_state_dict` returns: the keys it could not match, as PyTorch's namedtuple."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class StateDictMixin:
    """`state_dict` / `load_state_dict` for Module (which provides the registries they walk)."""

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else _host_copy(param.array)
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else _host_copy(buf.array)

    def state_dict(self, *args, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> "OrderedDict[str, Any]":
        """Every parameter and persistent buffer by PyTorch's dotted name, as host NumPy copies.

        With ``keep_vars=True`` the values are the Parameter / buffer Tensors themselves.
        """
        if args:  # PyTorch's deprecated positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _state_targets(self) -> "OrderedDict[str, Tensor]":
        """The Tensors that a state dict fills, by key (shared ones under each of their names)."""
        return self.state_dict(keep_vars=True, destination=OrderedDict())

    def load_state_dict(self, state_dict: "dict[str, Any]", strict: bool = True) -> _IncompatibleKeys:
        """Copy values into the existing parameters and buffers (the objects are kept).

        Values may be NumPy arrays, minigan Tensors or anything ``np.asarray`` takes
        (a CPU torch tensor); each is cast to the target's dtype and placed on its device.
        Everything is checked before anything is copied: with ``strict=True`` missing and
        unexpected keys are errors, and shape mismatches always are; all of them are
        reported together in one RuntimeError. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in targets]
        mismatched: list[str] = []
        values: list[tuple[Tensor, Any]] = []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = _as_array(value)
            if array is None:
                mismatched.append(f'While copying the parameter named "{key}", expected an array or Tensor '
                                  f"from the checkpoint, but received {type(value).__name__}")
                continue
            if tuple(array.shape) != tuple(target.shape):
                mismatched.append(f"size mismatch for {key}: copying a param with shape {tuple(array.shape)} "
                                  f"from checkpoint, the shape in current model is {tuple(target.shape)}.")
                continue
            values.append((target, array))
        errors: list[str] = []
        if strict:
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        errors.extend(mismatched)
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for target, array in values:
            dst = target.array
            src = backend.to_device(array, backend.device_of(dst))
            xp = backend.get_array_module(dst)
            dst[...] = xp.asarray(src).astype(dst.dtype, copy=False)
        return _IncompatibleKeys(missing, unexpected)


def _host_copy(array) -> np.ndarray:
    """A NumPy copy that shares no memory with the parameter (GPU arrays are copied to the host)."""
    return array.copy() if isinstance(array, np.ndarray) else backend.as_numpy(array)


def _as_array(value):
    """A NumPy/CuPy array from a state-dict value, or None when it is not array-like."""
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, np.ndarray) or backend.get_array_module(value) is not np:
        return value
    if isinstance(value, (int, float, bool, np.generic)):
        return np.asarray(value)
    if hasattr(value, "__array__") or hasattr(value, "__array_interface__"):
        try:
            return np.asarray(value)
        except Exception:
            pass
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    return None
