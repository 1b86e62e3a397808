"""A truthful gradebook: every submission that is not simply graded says so, with why."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

from grader import batch
from grader.paths import REPO_ROOT, SOLUTIONS_DIR
from grader.results import Result
from grader.sandboxed.layout import MODULES

EXERCISES = ("ex3", "ex5")


def _solution(exercise) -> bytes:
    return (SOLUTIONS_DIR / exercise / f"{MODULES[exercise]}.py").read_bytes()


def messy_class(root):
    """What a TA really downloads: a notebook, an empty upload, a misnamed module, two copies."""
    def put(path, data):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    put(root / "ana" / "ex3" / "cutout.py", _solution("ex3"))          # fine
    put(root / "ana" / "ex5" / "metrics.py", _solution("ex5"))
    put(root / "nico" / "ex3" / "cutout.ipynb", b'{"cells": []}')     # only notebooks
    put(root / "nico" / "ex5" / "metrics.ipynb", b'{"cells": []}')
    with zipfile.ZipFile(root / "emma.zip", "w"):                        # an empty upload
        pass
    put(root / "mo" / "ex3" / "cutout.py", _solution("ex3"))            # ex5 misnamed
    put(root / "mo" / "ex5" / "metrics_final.py", _solution("ex5"))
    put(root / "tess" / "ex3" / "cutout.py", _solution("ex3"))          # two different ex5 modules
    put(root / "tess" / "ex5" / "metrics.py", _solution("ex5"))
    put(root / "tess" / "old" / "ex5" / "metrics.py", b"def confusion_matrix(*a):\n    return None\n")
    return root


def test_each_kind_of_problem_gets_its_status_and_note_and_strict_exits_1(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "grader", "batch", str(messy_class(tmp_path / "class")),
                          "--out", str(out), "--exercises", ",".join(EXERCISES), "--isolation", "inprocess",
                          "--jobs", "2", "--no-progress", "--strict"],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert run.returncode == 1, (run.returncode, run.stdout[-3000:], run.stderr[-3000:])
    assert "--strict: 4 submission(s) need a human" in run.stderr
    rows = {row["submission"]: row for row in batch.read_csv(out / "grades.csv")}
    assert {name: row["status"] for name, row in rows.items()} == {
        "ana": "graded", "nico": "rejected", "emma": "rejected", "mo": "incomplete", "tess": "incomplete"}
    assert "notebooks are not graded" in rows["nico"]["note"]
    assert "no exercise file was found in emma.zip" in rows["emma"]["note"]
    assert "found ex5/metrics_final.py; expected ex5/metrics.py" in rows["mo"]["note"]
    assert "ex5/metrics.py" in rows["tess"]["note"] and "old/ex5/metrics.py" in rows["tess"]["note"]
    assert rows["mo"]["ex3"] == "10" and rows["mo"]["ex5"] == "0"

    summary = run.stdout[run.stdout.index("needs a human (4)"):]
    for name, status in (("nico", "rejected"), ("emma", "rejected"), ("mo", "incomplete"), ("tess", "incomplete")):
        assert f"  {name}: {status}" in summary
    assert "found ex5/metrics_final.py; expected ex5/metrics.py" in summary, "reasons are shown in full"

    mo = Result.from_json((out / "mo" / "result.json").read_text())
    assert mo.status == "incomplete" and "ex5" in mo.missing
    feedback = (out / "mo" / "feedback.md").read_text()
    first = feedback.index("Part of your submission could not be graded")
    assert first < feedback.index("| Exercise |"), "what happened comes first"
    assert feedback.count("final") == 1, "said once"
    assert "Great" not in feedback and "great" not in feedback
    nico = (out / "nico" / "feedback.md").read_text()
    assert nico.count("cutout.ipynb") == 1 and "No test passes yet" not in nico
    assert json.loads((out / "ana" / "result.json").read_text())["status"] == "graded"


def test_an_untouched_stub_is_graded_with_0(tmp_path):
    from grader.grading import grade
    from grader.paths import EXERCISES_DIR

    result = grade(EXERCISES_DIR, isolation="inprocess", exercises=("ex5",))
    assert result.status == "graded" and result.score == 0
