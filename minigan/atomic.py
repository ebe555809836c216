"""Write a file so that readers see either the old file or the complete new one.

A download, checkpoint or log rewrite killed half-way must never leave a truncated
file under the final name, because the next run would find it and trust it. Every
file minigan writes goes through ``atomic_write`` (standard library only, so the
lowest layers can use it).

    with atomic_write("runs/x/config.json") as handle:
        handle.write(b"{}")
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces `path` only if the block ends without error.

    The temporary file lives in the same folder as `path`, because os.replace is
    atomic only within one filesystem; on any exception it is deleted. An OSError of the
    temporary file or of the rename (a full disk, a folder that is not writable, `path`
    being a folder) is raised again naming `path`, the user's name, with the same errno,
    and saying that the file already at `path`, if any, is intact.
    """
    path = Path(path)
    temp_name = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    # O_EXCL: never clobber another writer's temp file; mode 0o666 lets the umask decide,
    # as it would for a plain open() (mkstemp would force 0o600).
    try:
        handle = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise (_naming(path, exc) if exc.errno is not None else exc) from None
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        if isinstance(exc, OSError) and exc.errno is not None and (str(exc.filename) == str(temp_name) or (
                exc.filename is None and exc.errno in _WRITE_ERRNOS)):
            raise _naming(path, exc) from None
        raise  # anything else the block raised (a network error while downloading into it...) as it is


# What writing the temporary file raises (without a file name): a full disk or quota, a file-size
# limit, a read-only or failing device. Other errors of the block (a reset connection) pass through.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}


def _naming(path: Path, exc: OSError) -> OSError:
    """`exc` (raised for the temporary file) as an OSError of the same errno, hence the same subclass
    (PermissionError, IsADirectoryError...), naming the final `path` instead of our temporary name."""
    kept = f" (the previous {path.name} is intact)" if path.is_file() else ""
    return OSError(exc.errno, f"{exc.strerror or os.strerror(exc.errno)} while writing{kept}", str(path))


def write_json(path: str | os.PathLike, value: Any, default: Callable | None = None) -> None:
    """`value` as indented JSON (one trailing newline) at `path`, atomically; `default` as in json.dumps.

        write_json("runs/x/config.json", {"lr": 2e-4})
    """
    with atomic_write(path) as handle:
        handle.write((json.dumps(value, indent=2, default=default) + "\n").encode())
