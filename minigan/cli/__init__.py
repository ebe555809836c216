"""The ``minigan`` command line: ``minigan train``, ``sample``, ``eval``, ``train-classifier``, ``info``.

    registry     the @command registry, the error policy and main()
    validators   the argument types every command shares
    train        minigan train
    sample       minigan sample, minigan info
    evaluate     minigan eval, minigan train-classifier
    sweep        minigan sweep (issue 13)
    inpaint      minigan inpaint (and eval's inpainting part)

Importing the command modules registers them, in the order ``minigan --help`` lists them.
"""
from . import train, sample, evaluate, inpaint  # noqa: F401  (registers the commands, in this order)
from . import sweep  # noqa: F401  (issue 13)
from .registry import COMMANDS, PROG, CommandError, UsageError, build_parser, command, main

__all__ = ["main", "command", "build_parser", "UsageError", "CommandError", "COMMANDS", "PROG"]
