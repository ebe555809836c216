"""RemovableHandle: what every ``register_*hook`` returns (tensors and Modules alike).

Hooks live in a dict keyed by the handle's id, so ``handle.remove()`` takes out exactly
its own hook, and ``with t.register_hook(fn): ...`` removes it at the end of the block.
"""
from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by ``Tensor.register_hook`` and the ``Module.register_*_hook`` methods;
    ``handle.remove()`` takes the hook out."""

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
