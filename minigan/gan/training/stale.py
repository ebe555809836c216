"""Temporary files an interrupted save leaves in a run folder, and their removal on resume.

minigan's atomic writer (``minigan.atomic``) names its temporary files ``.NAME.PID.RANDOM.part``,
beside NAME (older minigan versions used ``.NAME.PID.RANDOM.tmp``: both are recognised).
A save killed mid-write (kill -9, power loss) leaves one behind; a checkpoint's is
megabytes. Only files of exactly that shape, for a file name the run writes, of a
process that is no longer running, are removed: never anything else.

    remove_stale_temp_files("runs/dcgan")     # -> [Path('runs/dcgan/.checkpoint.npz.4242.1f2e3d4c.tmp')]
"""
from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["RUN_FILES", "is_stale_temp_name", "remove_stale_temp_files"]

# The files a run writes into its folder (sample grids match samples_epoch_NNN.png).
RUN_FILES = re.compile(r"(checkpoint\.npz|log\.jsonl|metrics\.jsonl|config\.json|losses\.png|metrics\.png"
                       r"|samples_epoch_\d+\.png)")
_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.(part|tmp)")


def is_stale_temp_name(name: str) -> int | None:
    """The writer's pid when `name` is one of our temporary files for a run file, else None."""
    match = _TEMP.fullmatch(name)
    if match is None or RUN_FILES.fullmatch(match["name"]) is None:
        return None
    return int(match["pid"])


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process: leave its file alone
    return True


def remove_stale_temp_files(run_dir: str | os.PathLike) -> list[Path]:
    """Delete our temporary files in `run_dir` whose writer has died; returns the paths removed."""
    removed = []
    for path in sorted(Path(run_dir).iterdir()):
        pid = is_stale_temp_name(path.name)
        if pid is None or not path.is_file() or path.is_symlink() or _running(pid):
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed
