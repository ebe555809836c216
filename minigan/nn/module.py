"""Module: the base class of every layer and model, with PyTorch's registration rules.

Assigning a `Parameter` to a Module attribute registers it as a parameter, assigning
a Module registers a child, and `register_buffer` registers a state Tensor (running
statistics) that is saved but not trained. Traversal (`parameters`, `named_modules`,
...), `state_dict` / `load_state_dict` key names and layouts follow PyTorch, so a
PyTorch state dict exported as NumPy arrays loads directly.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..backend import Device
from .parameter import Parameter

__all__ = ["Module", "RemovableHandle"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What `load_state_dict` returns: the keys it could not match, as PyTorch's namedtuple."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``handle.remove()`` takes the hook out."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _parse_to(*args, **kwargs) -> tuple[Device | None, Any]:
    """Read ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` and keywords."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    if len(args) > 2:
        raise TypeError(f"to() takes at most 2 positional arguments, got {len(args)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, Device):
            device = arg
        elif isinstance(arg, str) and (arg.strip().lower() == "cpu" or arg.strip().lower().startswith("cuda")):
            device = arg
        elif arg is not None:
            dtype = arg
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"to(): {dtype!r} is neither a device ('cpu', 'cuda:N') nor a dtype") from None
        if dtype.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
    if device is not None:
        device = Device(device)
    return device, dtype


class Module:
    """Base class for all layers and models; subclass it and define `forward`.

    ::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)      # registered as child "fc"
            def forward(self, x):
                return self.fc(x).relu()
    """

    training: bool
    _version = 1

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    # ---- the call ---------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args)`` runs before forward; returning a value replaces the args."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args, output)`` runs after forward; returning a value replaces the output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ---- registration -----------------------------------------------------------------------
    def _check_ready(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")

    @staticmethod
    def _check_name(name: str, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name cannot be an empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name cannot contain ".", got: {name}')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder, e.g. ``bias=False``) under `name`."""
        self._check_ready("parameters")
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(minigan.nn.Parameter or None required)")
        if param is not None and param.creator is not None:
            raise ValueError(f"cannot assign non-leaf Tensor to parameter '{name}'; model parameters must be "
                             "created explicitly (wrap a detached tensor: Parameter(t.detach()))")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a state Tensor that is not trained (running statistics); saved when `persistent`."""
        self._check_ready("buffers")
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        tensor = self._as_buffer(name, tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    @staticmethod
    def _as_buffer(name: str, tensor):
        if tensor is None or isinstance(tensor, Tensor):
            return tensor
        if isinstance(tensor, np.ndarray) or backend.get_array_module(tensor) is not np:
            return Tensor(tensor)
        raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                        "(minigan Tensor, array or None required)")

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a child module under `name` (what attribute assignment does)."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")

        def remove_from(*dicts):
            for d in dicts:
                if name in d:
                    if isinstance(d, set):
                        d.discard(name)
                    else:
                        del d[name]

        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(self.__dict__, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(minigan.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = self.__dict__.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                remove_from(self.__dict__, self._parameters, self._buffers, self._non_persistent_buffers_set)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                    "(minigan.nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = self.__dict__.get("_buffers")
                if buffers is not None and name in buffers:
                    buffers[name] = self._as_buffer(name, value)
                else:
                    object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: look in the registries.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__()) + list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for key in ("_forward_hooks", "_forward_pre_hooks"):
            self.__dict__.setdefault(key, OrderedDict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())

    # ---- traversal --------------------------------------------------------------------------
    def _named_members(self, get_members: Callable, prefix: str = "", recurse: bool = True,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:
        memo: set[int] = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (module_prefix + ("." if module_prefix else "") + k, v)

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs, e.g. ``("0.weight", p)``; shared parameters appear once."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        memo: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """Every module in the tree, this one first (named ``prefix``, "" by default)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def get_submodule(self, target: str) -> "Module":
        """The module at a dotted path such as ``"net.0"``; "" is this module."""
        if target == "":
            return self
        mod: Module = self
        for item in target.split("."):
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule `{item}` (looking up '{target}')")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}` (looking up '{target}')")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"{type(mod).__name__} has no buffer `{name}` (looking up '{target}')")
        return mod._buffers[name]

    # ---- modes and in-place changes ---------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (batch statistics, dropout on) here and in every child."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: running statistics, dropout off. Same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None, or to zeros with ``set_to_none=False``)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            elif p.grad.creator is not None:
                p.grad = Tensor(p.grad.xp.zeros_like(p.grad.data))
            else:
                p.grad.data[...] = 0

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every child (recursively) and then on this module; e.g. custom init."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply_arrays(self, convert: Callable[[Any, bool], Any]) -> "Module":
        """Replace the array inside every parameter, gradient and buffer, keeping the objects.

        Optimisers hold the Parameter objects, so they keep working after ``to()``.
        ``convert(array, is_floating)`` returns the new array.
        """
        seen: set[int] = set()
        for module in self.modules():
            for t in itertools.chain(module._parameters.values(), module._buffers.values()):
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                floating = t.data.dtype.kind in "fc"
                t.data = convert(t.data, floating)
                if t.grad is not None:
                    g = convert(t.grad.data, floating)
                    t.grad = Tensor(g)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """Move parameters and buffers to a device and/or cast floating ones to a dtype, in place.

        ``model.to("cuda")``, ``model.to("float64")``, ``model.to("cpu", dtype=np.float32)``,
        ``model.to(tensor)``. Integer buffers (``num_batches_tracked``) keep their dtype.
        """
        device, dtype = _parse_to(*args, **kwargs)

        def convert(arr, floating):
            if dtype is not None and floating and arr.dtype != dtype:
                arr = arr.astype(dtype)
            if device is not None and backend.device_of(arr) != device:
                arr = backend.to_device(arr, device)
            return arr

        return self._apply_arrays(convert)

    def cpu(self) -> "Module":
        return self.to("cpu")

    def cuda(self, device: int | str | None = None) -> "Module":
        if device is None:
            return self.to("cuda")
        return self.to(device if isinstance(device, (str, Device)) else f"cuda:{int(device)}")

    def float(self) -> "Module":
        return self.to(dtype=np.float32)

    def double(self) -> "Module":
        return self.to(dtype=np.float64)

    def type(self, dst_type) -> "Module":
        return self.to(dtype=dst_type)

    # ---- state dict -------------------------------------------------------------------------
    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else _host_copy(param.data)
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else _host_copy(buf.data)

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
            dst = target.data
            src = backend.to_device(array, backend.device_of(dst))
            xp = backend.get_array_module(dst)
            dst[...] = xp.asarray(src).astype(dst.dtype, copy=False)
        return _IncompatibleKeys(missing, unexpected)

    # ---- printing ---------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr; override in layers."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for key, module in self._modules.items():
            lines.append(f"({key}): " + _addindent(repr(module), 2))
        if not self._modules and len(lines) <= 1:
            return self._get_name() + "(" + (lines[0] if lines else "") + ")"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


def _host_copy(array) -> np.ndarray:
    """A NumPy copy that shares no memory with the parameter (GPU arrays are copied to the host)."""
    return array.copy() if isinstance(array, np.ndarray) else backend.as_numpy(array)


def _as_array(value):
    """A NumPy/CuPy array from a state-dict value, or None when it is not array-like."""
    if isinstance(value, Tensor):
        return value.data
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
