"""The ``minigan`` command line: ``minigan train``, ``sample``, ``eval``, ``train-classifier``, ``info``.

    registry     the @command registry, --plugin, the error policy and main()
    train        minigan train (a family's options come from the family)
    sample       minigan sample, minigan info
    evaluate     minigan eval, minigan train-classifier
    sweep        minigan sweep

Importing the command modules registers them, in the order ``minigan --help`` lists them; a family's
own commands (``minigan inpaint``) come from the family (``Family.commands``).
"""
from . import train, sample, evaluate, sweep  # noqa: F401  (registers the commands, in this order)
from .registry import COMMANDS, PROG, CommandError, UsageError, build_parser, command, main

__all__ = ["main", "command", "build_parser", "UsageError", "CommandError", "COMMANDS", "PROG"]
