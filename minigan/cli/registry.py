"""One command registry and one error policy for the ``minigan`` command line.

Each command is one small function registered with ``@command``: it adds its arguments to
its own subparser and returns the handler, ``handler(args) -> int``::

    @command("info", help="versions, array backends and devices")
    def _info(parser):
        return run_info           # run_info(args) -> exit status

Errors: bad usage exits 2 with argparse's message (``UsageError`` for what is noticed after
parsing); a runtime failure the user can fix (missing data, a bad checkpoint or samples file,
no GPU, a NaN loss) prints ``minigan: error: ...`` and exits 1; Ctrl-C exits 130 and SIGTERM
143 (128 + the signal, as a shell reports a process killed by it).
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Callable, Sequence

from .. import __version__, backend
from ..atomic import write_json
from ..backend import DeviceError
from ..data.errors import DataError
from ..gan.training import NonFiniteLossError
from ..gan.training.extensions import jsonable
from ..serialization import CheckpointError

__all__ = ["PROG", "COMMANDS", "command", "build_parser", "main", "UsageError", "CommandError", "write_report"]

PROG = "minigan"


class UsageError(Exception):
    """Bad arguments noticed after parsing (exit status 2)."""


class CommandError(Exception):
    """A runtime failure with a message for the user (exit status 1)."""


Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], Handler]]] = {}


def command(name: str, *, help: str) -> Callable:
    """Register ``setup(parser) -> handler`` as the subcommand `name`."""
    def decorator(setup: Callable[[argparse.ArgumentParser], Handler]):
        COMMANDS[name] = (help, setup)
        return setup
    return decorator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="minigan: a from-scratch autodiff engine and the GAN trainer built on it.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (help_text, setup) in COMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        child.set_defaults(_handler=setup(child), _parser=child)
    return parser


# The failures a user can fix: printed as one line, exit status 1.
RUNTIME_ERRORS = (CommandError, DeviceError, DataError, CheckpointError, NonFiniteLossError, OSError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 runtime error, 2 usage, 130 Ctrl-C, 143 SIGTERM)."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with argparse's message on bad usage
    backend.tune_allocator()  # measured 15-30% of a NumPy training step; the command owns its process
    try:
        return int(args._handler(args) or 0)
    except UsageError as exc:
        args._parser.error(str(exc))  # usage + "minigan train: error: ...", exit 2
    except KeyboardInterrupt as exc:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 128 + int(getattr(exc, "signum", signal.SIGINT))
    except RUNTIME_ERRORS as exc:
        print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    return 1  # pragma: no cover - parser.error exits


def write_report(path, result: dict) -> None:
    """A command's --json report: `result` as JSON at `path` (folders made, written atomically), then say where."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, result, default=jsonable)
    print(f"wrote {path}")
