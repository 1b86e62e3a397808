"""Flat LMS downloads (Canvas, Blackboard): each student's latest files are graded together."""

from __future__ import annotations

import json
import zipfile

from grader import lms
from grader.grading import grade
from grader.paths import EXERCISES_DIR, REPO_ROOT
from grader.sandboxed.layout import MODULES
from tests.test_batch import fake_batch

CLASS = REPO_ROOT / "examples" / "class"


def _module(student, exercise) -> bytes:
    return (CLASS / student / exercise / f"{MODULES[exercise]}.py").read_bytes()


def canvas_download(root):
    """What Canvas's "Download Submissions" gives: everybody's files in one folder."""
    root.mkdir()
    for i, exercise in enumerate(MODULES):  # alice uploaded her modules one by one
        name = f"alicefullmarks_101_{9000 + i}_{MODULES[exercise]}.py"
        (root / ("late_" + name if exercise == "ex5" else name)).write_bytes(_module("alice_full_marks", exercise))
    # ... and first a stub cutout.py, replaced by cutout-1.py: the latest wins
    (root / "alicefullmarks_101_8999_cutout.py").write_bytes((EXERCISES_DIR / "ex3" / "cutout.py").read_bytes())
    (root / "alicefullmarks_101_9002_cutout.py").unlink()
    (root / "alicefullmarks_late_101_9100_cutout-1.py").write_bytes(_module("alice_full_marks", "ex3"))
    with zipfile.ZipFile(root / "bobpartial_102_9010_submission.zip", "w") as zf:  # bob uploaded a zip
        for exercise in MODULES:
            zf.writestr(f"exercises/{exercise}/{MODULES[exercise]}.py", _module("bob_partial", exercise))
    (root / "carol.zip").write_bytes((CLASS / "grace_zip.zip").read_bytes())  # a zip the LMS did not name
    return root


def blackboard_download(root):
    root.mkdir()
    for stamp, student in (("2026-11-30-10-00-00", "dave_untouched"), ("2026-12-01-09-30-00", "alice_full_marks")):
        for exercise in MODULES:  # two attempts by one student: the later one is alice's work
            (root / f"CNN Lab_dwu7_attempt_{stamp}_{MODULES[exercise]}.py").write_bytes(_module(student, exercise))
        (root / f"CNN Lab_dwu7_attempt_{stamp}.txt").write_text("Name: D. Wu\nSubmission Field: ...\n")
    return root


def test_canvas_files_are_grouped_by_student_latest_version_first(tmp_path):
    root = canvas_download(tmp_path / "canvas")
    staged = lms.stage(root, tmp_path / "staging")
    assert [name for name, _ in staged.submissions] == ["alicefullmarks_101", "bobpartial_102"]
    alice = dict(staged.submissions)["alicefullmarks_101"]
    assert sorted(p.name for p in alice.iterdir()) == sorted(f"{m}.py" for m in MODULES.values())
    assert (alice / "cutout.py").read_bytes() == _module("alice_full_marks", "ex3"), "cutout-1.py is the latest"
    assert dict(staged.submissions)["bobpartial_102"].name == "bobpartial_102_9010_submission.zip"
    assert "alicefullmarks_101: graded the latest version of each file; 1 earlier upload(s) left out" in staged.notes


def test_a_canvas_download_batch_finds_every_module(tmp_path):
    """The fake judge scores ex1 with the number of modules it was given: 7 for each student."""
    out = tmp_path / "out"
    summary = fake_batch(canvas_download(tmp_path / "canvas"), out)
    scores = {r.submission: r.exercises["ex1"].score for r in summary["results"]}
    assert scores == {"alicefullmarks_101": 7.0, "bobpartial_102": 7.0, "carol": 7.0}


def test_blackboard_attempts_latest_wins_and_receipts_are_ignored(tmp_path):
    staged = lms.stage(blackboard_download(tmp_path / "bb"), tmp_path / "staging")
    (name, folder), = staged.submissions
    assert name == "dwu7"
    assert (folder / "cutout.py").read_bytes() == _module("alice_full_marks", "ex3")
    assert not any("ignored" in note for note in staged.notes), staged.notes


def test_the_real_judge_grades_the_latest_canvas_upload(tmp_path):
    """alice's first cutout.py was the stub (0 points); her resubmission scores full marks."""
    staged = lms.stage(canvas_download(tmp_path / "canvas"), tmp_path / "staging")
    result = grade(dict(staged.submissions)["alicefullmarks_101"], isolation="inprocess", exercises=("ex3", "ex5"))
    assert result.exercises["ex3"].score == 10.0 and result.exercises["ex5"].score == 10.0, json.dumps(
        result.to_dict())[:500]
