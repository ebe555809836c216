"""The ``ctx`` of a PyTorch-style Function: what forward saves for backward, and how outputs behave.

    class Exp(minigan.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            y, = ctx.saved_tensors
            return grad_output * y

Each Function class gets its own ctx class named ``<Name>Backward`` (PyTorch's name), so
``type(ctx).__name__ == "ExpBackward"``. Any attribute may be set on a ctx (``ctx.dim = 1``).
A saved output is kept as its array plus a weak reference (Function.save_outputs), so the
graph holds no reference cycle and still frees itself as soon as the last output is dropped.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from .tensor import Tensor

if TYPE_CHECKING:
    from .function import Function

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")


class FunctionCtx:
    """The object a PyTorch-style Function's static forward and backward receive as ``ctx``.

    ``save_for_backward(*tensors)`` in forward, ``saved_tensors`` in backward;
    ``needs_input_grad`` has one bool per forward argument (False for non-Tensors);
    ``mark_non_differentiable(*outputs)``, ``mark_dirty(*inputs)`` and
    ``set_materialize_grads(False)`` work as in PyTorch.
    """

    def __init__(self, node: "Function"):
        self._node = weakref.ref(node)
        self._to_save: tuple = ()
        self._saved_entries: tuple | None = None  # after forward: Tensor, None, or ("output", i)
        self._non_differentiable: tuple = ()
        self._dirty: tuple = ()
        self._freed = False
        self.needs_input_grad: tuple = ()

    def save_for_backward(self, *tensors: "Tensor | None") -> None:
        """Keep inputs, outputs or intermediates of forward for backward (call once, in forward)."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward: argument {i} is a {type(t).__name__}, expected a Tensor or "
                                "None; keep other values as attributes (ctx.value = ...)")
        self._to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        """What forward passed to save_for_backward; a saved output is the graph's output, so
        double backward flows through it."""
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        entries = self._saved_entries
        if entries is None:
            raise RuntimeError("saved_tensors is available in backward (save_for_backward was called in forward)")
        outputs = None
        result = []
        for entry in entries:
            if type(entry) is tuple:
                if outputs is None:
                    outputs = self._node().outputs
                entry = outputs[entry[1]]
            result.append(entry)
        return tuple(result)

    def mark_non_differentiable(self, *outputs: "Tensor") -> None:
        """These outputs get no gradient (indices, masks): they do not require grad."""
        self._non_differentiable = outputs

    def mark_dirty(self, *inputs: "Tensor") -> None:
        """Forward changed these inputs in place and returns them: they become outputs of this step."""
        self._dirty = inputs

    def set_materialize_grads(self, value: bool) -> None:
        """False: backward gets None, not zeros, for an output no gradient reached."""
        self._node()._materialize_grads = bool(value)

    def _bind_outputs(self, inputs: tuple, outputs: tuple, dirty: tuple) -> tuple[bool, tuple]:
        """After forward: resolve saved tensors against the outputs (by identity).

        An output that is an input returned unchanged stays an input. Returns whether an
        output was saved, and the indices of non-differentiable outputs.
        """
        saved_output = False
        entries = []
        for t in self._to_save:
            index = _index_of(t, outputs)
            if index is not None and (_index_of(t, inputs) is None or _index_of(t, dirty) is not None):
                entries.append(("output", index))
                saved_output = True
            else:
                entries.append(t)
        self._saved_entries = tuple(entries)
        self._to_save = ()
        non_differentiable = tuple([i for i, o in enumerate(outputs) if _index_of(o, self._non_differentiable) is not None])
        return saved_output, non_differentiable

    def _free(self) -> None:
        """After backward without retain_graph: drop everything forward kept."""
        node = self._node
        self.__dict__.clear()
        self._node = node
        self._freed = True


def _index_of(t, items: tuple) -> int | None:
    for i, item in enumerate(items):
        if item is t:
            return i
    return None
