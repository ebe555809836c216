"""``atomic_write`` lives in ``minigan.atomic`` (below serialization, which uses it too); the data package's name for it."""
from ..atomic import atomic_write

__all__ = ["atomic_write"]
