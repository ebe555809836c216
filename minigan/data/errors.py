"""Errors raised by the data package.

They subclass ValueError because every one of them means "these bytes are not
the data we were promised"; callers that already catch ValueError keep working.
"""

from __future__ import annotations


class DataError(ValueError):
    """A dataset file is missing, corrupt, truncated or not what it claims to be.

    The message always names the file (or the files and folders involved) and
    what is wrong, so a user can fix it without reading the source.
    """


class ChecksumError(DataError):
    """A file's SHA-256 is not the published one."""

    def __init__(self, filename: str, expected: str, actual: str, source: str | None = None):
        self.filename, self.expected, self.actual, self.source = filename, expected, actual, source
        where = f" (from {source})" if source else ""
        super().__init__(f"{filename}{where}: SHA-256 mismatch: expected {expected}, got {actual}")


class DownloadError(DataError):
    """Every mirror failed for one file; `attempts` holds (url, reason) pairs."""

    def __init__(self, filename: str, attempts: list[tuple[str, str]]):
        self.filename, self.attempts = filename, attempts
        lines = "\n".join(f"  {url}: {reason}" for url, reason in attempts) or "  (no mirrors given)"
        super().__init__(f"could not download {filename}:\n{lines}")
