"""One process per run folder: an exclusive lock on RUN_DIR/.lock, held for the run's whole life.

Two trainers writing one folder would interleave their log lines and overwrite each other's
checkpoints. ``RunLock`` takes ``fcntl.flock(LOCK_EX | LOCK_NB)`` on ``RUN_DIR/.lock`` and writes
its pid and command line into the file, so a second process fails at once with a message naming
the holder. The kernel drops the lock when the process dies (even by kill -9), so a crashed run
never leaves its folder locked: a lock file nobody holds is simply taken over. Standard library
only (the lowest layer); POSIX only: on Windows (no ``fcntl``) importing works and the lock is a
no-op.

    with RunLock("runs/x"):
        ...  # train into runs/x
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; locking is skipped (documented above)
    fcntl = None

__all__ = ["LOCK_NAME", "RunLock", "RunLockedError"]

LOCK_NAME = ".lock"


class RunLockedError(OSError):
    """Another live process holds the run folder's lock; `pid` is its process id (None if unreadable).

    An OSError (like FileExistsError), so callers that report file-system failures report this one too.
    """

    def __init__(self, message: str, pid: int | None):
        super().__init__(message)
        self.pid = pid


def _holder(text: str) -> tuple[int | None, str]:
    """(pid, command) from a lock file's content: the pid on the first line, the command on the second."""
    first, _, rest = text.partition("\n")
    try:
        return int(first.strip()), rest.strip()
    except ValueError:
        return None, ""


class RunLock:
    """An exclusive, non-blocking lock on ``run_dir/.lock``; ``acquire()`` raises RunLockedError if held.

    The lock belongs to the open file description, so it lasts until ``release()`` or the end of
    the process; re-acquiring a lock this object already holds does nothing.
    """

    def __init__(self, run_dir: str | os.PathLike):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "RunLock":
        if self._fd is not None or fcntl is None:
            return self
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                pid, cmd = _holder(os.pread(fd, 4096, 0).decode(errors="replace"))
            finally:
                os.close(fd)
            who = f"process {pid}" if pid is not None else "another process"
            raise RunLockedError(f"{self.run_dir} is in use by {who}{f' ({cmd})' if cmd else ''}: one run per "
                                 f"folder; wait for it, stop it, or choose another folder", pid) from None
        except BaseException:
            os.close(fd)
            raise
        # Ours now (a stale file left by a dead process is overwritten): say who holds it.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{' '.join(sys.argv)}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock; the file stays (removing it would race with a process about to lock it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor releases the flock

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
