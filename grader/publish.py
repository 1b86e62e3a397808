"""OUT/NAME, the folder of one graded submission: written whole or not at all, and read back.

Shared by the judge of one submission (which publishes what it graded) and the batch (which
publishes the error result of a judge that failed, and reads finished folders on --resume).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from .feedback import feedback_markdown
from .files import fsync_dir, write_atomic
from .gradescope import to_gradescope
from .results import Result, read_result

RESULT, FEEDBACK, GRADESCOPE = "result.json", "feedback.md", "results.json"
HISTORY = "history"  # OUT/NAME/history/: earlier result.json files, kept by `cnn-grader regrade`


def publish(result: Result, out_dir, *, visibility="after_published") -> Path:
    """Write OUT/NAME/{feedback.md, results.json, result.json} so that OUT/NAME appears whole."""
    out_dir = Path(out_dir)
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out_dir.name}.tmp-"))
    try:
        os.chmod(tmp, 0o755)
        write_atomic(tmp / FEEDBACK, feedback_markdown(result, visibility=visibility))
        write_atomic(tmp / GRADESCOPE, _json(to_gradescope(result, visibility=visibility)))
        if (out_dir / HISTORY).is_dir() and not (out_dir / HISTORY).is_symlink():  # a regrade keeps it
            shutil.copytree(out_dir / HISTORY, tmp / HISTORY, symlinks=True)
        write_atomic(tmp / RESULT, result.to_json())  # last: its presence marks a finished submission
        for attempt in range(3):
            try:
                if out_dir.exists():
                    old = parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
                    os.rename(out_dir, old)
                    os.rename(tmp, out_dir)
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    os.rename(tmp, out_dir)
                break
            except OSError:  # someone else put OUT/NAME there in between: try again
                if attempt == 2:
                    raise
        fsync_dir(parent)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def rewrite_feedback(out, *, visibility: str) -> list[str]:
    """Render feedback.md and results.json of every graded folder in `out` again, for `visibility`.

    After publication (`visibility="visible"`) the student's feedback gains the hidden tests;
    result.json is the record and stays as it is. Returns the names rewritten."""
    names = []
    for folder in sorted(Path(out).iterdir()):
        result = load_result(folder) if folder.is_dir() and not folder.name.startswith(".") else None
        if result is None:
            continue
        write_atomic(folder / FEEDBACK, feedback_markdown(result, visibility=visibility))
        write_atomic(folder / GRADESCOPE, _json(to_gradescope(result, visibility=visibility)))
        names.append(folder.name)
    return names


def _json(document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load_result(out_dir) -> Result | None:
    """OUT/NAME/result.json if it is there and valid, else None (see `results.read_result`)."""
    return read_result(Path(out_dir) / RESULT)
