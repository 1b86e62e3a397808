"""Content hashes that say whether a result is stale: of the files a submission is graded on,
and of the hidden suites that graded it.

Both are computed from file contents, never from git or timestamps, so they agree in Docker,
after a copy, and across machines. `--resume` regrades a submission whose files' hash changed;
`cnn-grader regrade --changed-suites` regrades results made by other hidden suites.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from .archive import SubmissionRejected, unpacked
from .paths import SOLUTIONS_DIR
from .registry import COURSE_DIR
from .sandboxed.layout import EXERCISES


def _digest(files) -> str:
    """sha256 over (relative path, size, bytes) of each file, in path order."""
    h = hashlib.sha256()
    for rel, path in sorted(files):
        data = path.read_bytes()
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def graded_files_digest(root) -> str:
    """Of the Python files in each exercise folder of an unpacked submission (modules and helpers)."""
    root = Path(root)
    return _digest((f"{ex}/{p.name}", p) for ex in EXERCISES if (root / ex).is_dir()
                   for p in (root / ex).glob("*.py") if p.is_file() and not p.is_symlink())


def submission_digest(path) -> str:
    """Of a submission as handed in (folder or .zip): its graded files once unpacked, or, for an
    upload that can't be unpacked, its raw bytes, so that a fixed upload is graded again."""
    path = Path(path)
    try:
        with unpacked(path) as root:
            return graded_files_digest(root)
    except (SubmissionRejected, OSError):
        if path.is_file():
            return "raw:" + hashlib.sha256(path.read_bytes()).hexdigest()
        return "unreadable"


@functools.lru_cache(maxsize=1)
def suites_digest() -> str:
    """Of everything that decides a grade besides the submission: the course folder (registry,
    manifests, hidden suites, probes, checks) and the reference solutions the suites compare with."""
    files = []
    for base, label in ((COURSE_DIR, "course"), (SOLUTIONS_DIR, "solutions")):
        for path in Path(base).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.append((f"{label}/{path.relative_to(base).as_posix()}", path))
    return _digest(files)
