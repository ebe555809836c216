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
import os
import signal
import sys
from pathlib import Path
from typing import Callable, Sequence

from .. import __version__, backend, distributed
from ..backend import DeviceError
from ..distributed import DistributedError
from ..data.errors import DataError
from ..gan.training import NonFiniteLossError
from ..gan.core.commands import CommandError, UsageError, write_report
from ..gan.families import FamilyError, discover_plugins, families, load_plugin
from ..serialization import CheckpointError

__all__ = ["PROG", "COMMANDS", "command", "build_parser", "main", "UsageError", "CommandError", "write_report"]

PROG = "minigan"


Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], Handler]]] = {}


def command(name: str, *, help: str) -> Callable:
    """Register ``setup(parser) -> handler`` as the subcommand `name`."""
    def decorator(setup: Callable[[argparse.ArgumentParser], Handler]):
        COMMANDS[name] = (help, setup)
        return setup
    return decorator


class Parser(argparse.ArgumentParser):
    """argparse's parser whose usage errors are one line and a pointer to --help, not the whole usage block
    above the line that matters."""

    def error(self, message: str):
        if distributed.launched_rank() != 0:   # every rank parses the same line: rank 0 says what is wrong
            self.exit(2)
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


_PLUGIN_HELP = ("import MODULE first (a module on the path or a .py file) so the GAN families it registers "
                "can be trained, resumed, sampled and evaluated; repeat for several")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, the registered families' commands and options included."""
    parser = Parser(prog=PROG, description="minigan: a from-scratch autodiff engine and the GAN trainer built on it.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE", help=_PLUGIN_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    commands = dict(COMMANDS)
    for family in families():
        for name, help_text, setup in family.commands:
            commands.setdefault(name, (help_text, setup))
    for name, (help_text, setup) in commands.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        child.add_argument("--plugin", action="append", default=[], metavar="MODULE", help=_PLUGIN_HELP)
        child.set_defaults(_handler=setup(child), _parser=child)
    return parser


def load_plugins(argv: Sequence[str]) -> None:
    """Import every --plugin MODULE named in `argv` and the installed packages' minigan.families entry
    points, before the parser is built (the families they register add options and commands)."""
    discover_plugins()
    for i, arg in enumerate(argv):
        if arg == "--plugin" and i + 1 < len(argv):
            load_plugin(argv[i + 1])
        elif arg.startswith("--plugin="):
            load_plugin(arg.split("=", 1)[1])


# The failures a user can fix: printed as one line, exit status 1.
RUNTIME_ERRORS = (CommandError, DeviceError, DataError, CheckpointError, NonFiniteLossError, FamilyError, OSError,
                  DistributedError)


def _speaks(exc: BaseException) -> bool:
    """Whether this process prints `exc`: always in one process; under mpiexec the rank that raised it, or
    rank 0 alone for an error every rank raised (one line, not one per rank)."""
    return not distributed.raised_on_every_rank(exc) or distributed.launched_rank() == 0


def _exit(status: int, exc: BaseException) -> int:
    """`status`; under mpiexec, an error that only this rank met stops every rank (the others would wait for it
    in their next all-reduce for ever)."""
    if distributed.is_initialized() and distributed.get_world().size > 1 and not distributed.raised_on_every_rank(exc):
        sys.stderr.flush()
        distributed.get_world().abort(status)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 runtime error, 2 usage, 130 Ctrl-C, 143 SIGTERM)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        load_plugins(argv)
    except FamilyError as exc:
        print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    parser = build_parser()
    if distributed.launched_rank() != 0:   # under mpiexec rank 0 speaks for all: one report, not N
        sys.stdout = open(os.devnull, "w")
    args = parser.parse_args(argv)  # exits 2 with argparse's message on bad usage
    backend.tune_allocator()  # measured 15-30% of a NumPy training step; the command owns its process
    try:
        return int(args._handler(args) or 0)
    except UsageError as exc:
        args._parser.error(str(exc))  # "minigan train: error: ... (see `minigan train --help`)", exit 2
    except KeyboardInterrupt as exc:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 128 + int(getattr(exc, "signum", signal.SIGINT))
    except RUNTIME_ERRORS as exc:
        if _speaks(exc):
            print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return _exit(1, exc)
    return 1  # pragma: no cover - parser.error exits
