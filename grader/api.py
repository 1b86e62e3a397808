"""The Python API; it mirrors the CLI one function per command."""

from __future__ import annotations

import json
from pathlib import Path

from . import runner
from .archive import unpacked


def grade(submission, *, isolation="sandbox", name=None, exercises=runner.EXERCISES) -> dict:
    """Grade one submission (a folder or a .zip); returns the result.json document."""
    path = Path(submission)
    with unpacked(path) as root:
        return runner.grade_directory(root, name=name or path.name.removesuffix(".zip"),
                                      isolation=isolation, exercises=exercises)


def write_json(document, path):
    """Write atomically: a reader never sees half a file, a crash never leaves one."""
    from .files import write_atomic

    write_atomic(Path(path), json.dumps(document, indent=2, ensure_ascii=False) + "\n")
