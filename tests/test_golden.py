"""Golden file (Exercism-style): grading the demo class gives exactly the scores on record.

tests/golden/class_scores.csv holds the expected grades.csv of `cnn-grader batch examples/class`.
After a deliberate change to the hidden suites, regenerate it with

    CNN_GRADER_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py -m slow

and review the diff before committing: each changed score must be explained by the change.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import registry
from grader.paths import HIDDEN_DIR, REPO_ROOT, SOLUTIONS_DIR

CLASS_DIR = REPO_ROOT / "examples" / "class"
GOLDEN = Path(__file__).with_name("golden") / "class_scores.csv"
EXPECTED = ["alice_full_marks", "bob_partial", "carol_typical_bugs", "dave_untouched", "erin_timeout",
            "frank_malicious", "grace_zip", "heidi_crash"]


def _normalised(data: bytes) -> str:
    return "\n".join(line.rstrip() for line in data.decode("utf-8", "replace").strip().splitlines())


def _demo_files():
    for path in sorted(CLASS_DIR.rglob("*")):
        if path.is_file() and path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    if not name.endswith("/"):
                        yield f"{path.name}:{name}", zf.read(name)
        elif path.is_file():
            yield str(path.relative_to(CLASS_DIR)), path.read_bytes()


def test_demo_class_is_complete_and_ships_no_secret():
    from grader.batch import discover

    assert [(name, note) for name, _, note in discover(CLASS_DIR)] == [(name, "") for name in EXPECTED]
    secrets = {_normalised(p.read_bytes()): p for root in (SOLUTIONS_DIR, HIDDEN_DIR)
               for p in root.rglob("*.py") if "__pycache__" not in p.parts}
    for label, data in _demo_files():
        assert _normalised(data) not in secrets, f"{label} is a copy of {secrets[_normalised(data)]}"
    rows = GOLDEN.read_text().splitlines()
    assert rows[0] == ",".join(["submission", *registry.ids(), "total", "status", "note"]), "regenerate the golden file"
    assert [row.split(",")[0] for row in rows[1:]] == EXPECTED


@pytest.mark.slow
def test_demo_class_scores_match_the_golden_file(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "grader", "batch", str(CLASS_DIR), "--out", str(out), "--jobs", "2",
         "--no-progress"], capture_output=True, text=True, cwd=tmp_path, timeout=1800,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))})
    assert run.returncode == 0, run.stderr[-3000:]
    got = (out / "grades.csv").read_text()
    if os.environ.get("CNN_GRADER_UPDATE_GOLDEN"):
        GOLDEN.write_text(got)
    want = GOLDEN.read_text()
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                            "tests/golden/class_scores.csv", "grades.csv"))
        details = []
        for name in EXPECTED:
            feedback = out / name / "feedback.md"
            if feedback.exists() and name in diff:
                details.append(f"--- {name}/feedback.md ---\n{feedback.read_text()[:4000]}")
        pytest.fail("the demo class's scores changed:\n" + diff + "\n" + "\n".join(details))
