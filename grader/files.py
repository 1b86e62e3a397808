"""Crash-safe file writes (a reader sees the old file or the new one, never half of one), and
reading the end of a log.

Every file the grader writes (result.json, feedback.md, results.json, grades.csv, the release
bundle's files) goes through `write_atomic`: the text goes to a temporary file in the same
directory, is flushed and fsync'ed, and then `os.replace`s the target in one step; the
directory is fsync'ed too, so the rename survives a power cut.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path, text: str | bytes, *, encoding: str = "utf-8", mode: int = 0o644) -> Path:
    """Write `text` (str or bytes) to `path` atomically; returns the path."""
    path = Path(path)
    data = text.encode(encoding) if isinstance(text, str) else bytes(text)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)
    return path


def fsync_dir(path) -> None:
    """Make a rename or a new entry in directory `path` durable (a no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_tail(path, limit: int) -> tuple[str, bool]:
    """The last `limit` bytes of `path` as text, and whether anything before them was cut.

    A missing or unreadable file reads as empty: a log is evidence, never a reason to fail.
    """
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - limit))
            return handle.read().decode("utf-8", "replace"), size > limit
    except OSError:
        return "", False
