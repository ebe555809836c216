"""Fetch dataset files from mirrors, check their SHA-256, and write them atomically.

Only urllib: no third-party HTTP client, and `file://` mirrors work the same
way as `http(s)://` ones, which is what the tests use.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Iterable

from ..atomic import atomic_write
from .errors import ChecksumError, DataError, DownloadError
from .idx import GZIP_MAGIC

DEFAULT_TIMEOUT = 30.0  # seconds without progress on one socket operation, not for the whole file
_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(
    filename: str,
    dest_dir: str | os.PathLike,
    mirrors: Iterable[str],
    sha256: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Download `filename` into `dest_dir` from the first mirror that serves the right bytes.

    Each mirror is a base URL (http, https or file) that `filename` is appended
    to. A network error or a SHA-256 mismatch moves on to the next mirror; no
    partial or wrong file is ever left under the final name. Raises
    DownloadError listing every mirror's failure when none succeeds.
    """
    dest_dir = Path(dest_dir)
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(filename, [(str(dest_dir), f"cannot create the folder: {error}")]) from error
    dest = dest_dir / filename
    attempts: list[tuple[str, str]] = []
    for mirror in mirrors:
        url = mirror if mirror.endswith("/") else mirror + "/"
        url += filename
        try:
            _fetch_verified(url, dest, sha256, timeout)
            return dest
        # HTTPException covers IncompleteRead (not an OSError); ValueError covers bad
        # URLs and ChecksumError.
        except (OSError, ValueError, http.client.HTTPException) as error:
            attempts.append((url, _reason(error)))
    raise DownloadError(filename, attempts)


def _fetch_verified(url: str, dest: Path, sha256: str, timeout: float) -> None:
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=timeout) as response, atomic_write(dest) as file:
        received = 0
        for chunk in iter(lambda: response.read(_CHUNK), b""):
            digest.update(chunk)
            file.write(chunk)
            received += len(chunk)
        # Checked inside the block so that a failure discards the temporary file.
        length = response.headers.get("Content-Length") if response.headers else None
        if length is not None and length.isdigit() and received != int(length):
            # http.client returns a short body silently when the server hangs up early.
            raise http.client.IncompleteRead(b"", int(length) - received)
        if digest.hexdigest() != sha256:
            raise ChecksumError(dest.name, sha256, digest.hexdigest())


def _reason(error: BaseException) -> str:
    if isinstance(error, http.client.IncompleteRead):
        return f"connection closed early, {error.expected} bytes missing"
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        return str(error.reason)  # drop the '<urlopen error ...>' wrapper
    return str(error) or type(error).__name__


def verify_file(path: str | os.PathLike, gz_sha256: str, idx_sha256: str) -> None:
    """Check a local dataset file against its published digests; raise ChecksumError if neither matches.

    A byte-identical .gz matches `gz_sha256` without decompressing. Anything
    else (an uncompressed copy, a recompressed one) must decompress to bytes
    matching `idx_sha256`.
    """
    path = Path(path)
    file_digest = sha256_file(path)
    if file_digest == gz_sha256:
        return
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:
            raise DataError(f"{path}: corrupt or truncated gzip data ({error})") from error
    idx_digest = hashlib.sha256(raw).hexdigest()
    if idx_digest != idx_sha256:
        raise ChecksumError(
            str(path),
            f"{gz_sha256} (.gz file) or {idx_sha256} (decompressed IDX)",
            f"{file_digest} (file) and {idx_digest} (decompressed IDX)",
        )
