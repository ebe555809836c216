"""What a command of the ``minigan`` command line raises and writes, for the command line and the families
that add commands of their own (``Family.commands``).

    raise UsageError("--n must be a multiple of 10")        # exit status 2, one line
    raise CommandError("cannot read masks.npy: ...")        # exit status 1, one line
    write_report("eval.json", result)                       # a command's --json report, atomically
"""
from __future__ import annotations

from pathlib import Path

from ...atomic import write_json

__all__ = ["UsageError", "CommandError", "write_report", "jsonable"]


class UsageError(Exception):
    """Bad arguments noticed after parsing (exit status 2)."""


class CommandError(Exception):
    """A runtime failure with a message for the user (exit status 1)."""


def jsonable(value):
    """``json.dumps(default=...)`` for NumPy scalars and arrays (and anything else, as its str)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def write_report(path, result: dict) -> None:
    """A command's --json report: `result` as JSON at `path` (folders made, written atomically), then say where."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, result, default=jsonable)
    print(f"wrote {path}")
