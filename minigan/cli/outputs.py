"""Checks a command makes before its work starts: that its output can be written, that it does not
overwrite the package's own files, and that the sample count it was given can support an FID.

A command that scores 10,000 images for minutes and only then finds that ``--json`` points into a
folder it cannot write has wasted those minutes; these checks run first.

    check_writable(args.json, "--json")                        # CommandError naming the option
    out = classifier_out("mnist", args.out, force=args.force)  # ./classifier-mnist.npz by default
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .registry import CommandError, UsageError

__all__ = ["check_writable", "classifier_out", "warn_small_fid_n", "PACKAGE_DIR", "MIN_FID_N"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]   # the installed minigan/ folder
# Below this many images the FID's upward bias (it shrinks as 1/N) and its spread between draws swamp
# the differences between generators; published figures use 10,000 or more.
MIN_FID_N = 2000


def check_writable(path: str | os.PathLike | None, option: str) -> None:
    """CommandError unless a file can be created at `path`: it is not a folder, and its nearest existing
    parent is a folder this process may write (missing folders below it are made by the writer)."""
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"{option} {path} is a folder: give a file name")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise CommandError(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(f"{option} {path}: the folder {parent} is not writable")


def classifier_out(dataset: str, out: str | os.PathLike | None, *, force: bool) -> Path:
    """Where train-classifier writes: `out`, else ./classifier-<dataset>.npz; never inside the installed
    package (its shipped weights are what every `minigan eval` compares against) unless `force`."""
    path = Path(out) if out is not None else Path(f"classifier-{dataset}.npz")
    inside = PACKAGE_DIR in path.resolve().parents
    if inside and not force:
        raise UsageError(f"--out {path} is inside the installed package ({PACKAGE_DIR}): it would replace the "
                         f"classifier `minigan eval` uses; add --force to do that on purpose")
    check_writable(path, "--out")
    return path


def warn_small_fid_n(n: int) -> None:
    """One line on stderr when an FID is computed from fewer than MIN_FID_N images."""
    if n < MIN_FID_N:
        print(f"minigan: warning: an FID from {n} images is biased upwards and varies a lot between draws "
              f"(use --n {MIN_FID_N} or more, 10000 to compare with published figures)", file=sys.stderr)
