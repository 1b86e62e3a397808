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


# ------------------------------------------------------------------ one folder per student, any depth

def _exercises_tree(root, student, *, under="exercises", skip=()):
    for exercise in MODULES:
        if exercise in skip:
            continue
        target = root / under / exercise / f"{MODULES[exercise]}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_module(student, exercise))


def _zip_tree(path, student, prefix="exercises/"):
    with zipfile.ZipFile(path, "w") as zf:
        for exercise in MODULES:
            zf.writestr(f"{prefix}{exercise}/{MODULES[exercise]}.py", _module(student, exercise))


def lms_class(root):
    """A class as four LMSs hand it over, each submission standing for a demo student."""
    root.mkdir()
    # Moodle: "<Full Name>_<id>_assignsubmission_file_/", the upload inside, at any depth, or a zip
    _exercises_tree(root / "Bob Partial_1002_assignsubmission_file_" / "cnn-exercises", "bob_partial")
    moodle_zip = root / "Carol Bugs_1003_assignsubmission_file_"
    moodle_zip.mkdir()
    _zip_tree(moodle_zip / "my submission.zip", "carol_typical_bugs", prefix="work/cnn/exercises/")
    # GitHub Classroom: a clone of the student's repository, public tests and all
    repo = root / "cnn-exercises-hkim"
    _exercises_tree(repo, "heidi_crash")
    for exercise in MODULES:
        (repo / "exercises" / exercise / "test_x.py").write_text("def test_x():\n    assert True\n")
    (repo / "README.md").write_text("# CNN exercises\n")
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    # Blackboard: everybody's files in one folder, the latest attempt wins
    for stamp, student in (("2026-11-30-10-00-00", "dave_untouched"), ("2026-12-01-09-30-00", "erin_timeout")):
        for exercise in MODULES:
            (root / f"CNN Lab_ewu7_attempt_{stamp}_{MODULES[exercise]}.py").write_bytes(_module(student, exercise))
    # Canvas: one-by-one uploads with a late resubmission
    for i, exercise in enumerate(MODULES):
        (root / f"alicefullmarks_101_{9000 + i}_{MODULES[exercise]}.py").write_bytes(
            _module("dave_untouched" if exercise == "ex3" else "alice_full_marks", exercise))
    (root / "alicefullmarks_late_101_9100_cutout-1.py").write_bytes(_module("alice_full_marks", "ex3"))
    return root


STANDS_FOR = {"Bob Partial_1002_assignsubmission_file_": "bob_partial",
              "Carol Bugs_1003_assignsubmission_file_": "carol_typical_bugs",
              "cnn-exercises-hkim": "heidi_crash", "ewu7": "erin_timeout", "alicefullmarks_101": "alice_full_marks"}


def test_every_lms_layout_grades_to_the_golden_scores(tmp_path):
    """Real grading, in the sandbox: each LMS's download scores what the demo student scores, on
    the exercises where the demo students' scores tell them apart."""
    from grader import batch

    golden = {row["submission"]: row for row in batch.read_csv(REPO_ROOT / "tests" / "golden" / "class_scores.csv")}
    exercises = ("ex1", "ex3", "ex4", "ex5")  # where the demo students differ; test_a_canvas_download_batch
    summary = batch.run_batch(lms_class(tmp_path / "class"), tmp_path / "out", jobs=2, progress=False,  # finds all 7
                              report=lambda text: None, exercises=exercises)
    graded = {row["submission"]: row for row in batch.read_csv(tmp_path / "out" / "grades.csv")}
    assert set(graded) == set(STANDS_FOR), graded.keys()
    for name, student in STANDS_FOR.items():
        for column in exercises:
            assert graded[name][column] == golden[student][column], (name, column)
    assert not summary["errors"]


def test_two_different_copies_of_a_module_are_named_not_chosen(tmp_path):
    sam = tmp_path / "sam"
    _exercises_tree(sam, "alice_full_marks", under="exercises")
    old = sam / "old" / "ex3" / "cutout.py"
    old.parent.mkdir(parents=True)
    old.write_bytes(_module("dave_untouched", "ex3"))
    copy = sam / "backup" / "exercises" / "ex5" / "metrics.py"  # an identical copy is harmless
    copy.parent.mkdir(parents=True)
    copy.write_bytes(_module("alice_full_marks", "ex5"))
    result = grade(sam, isolation="inprocess", exercises=("ex3", "ex5"))
    assert result.exercises["ex5"].score == 10.0
    ex3 = result.exercises["ex3"]
    assert ex3.score == 0.0
    message = ex3.tests[0].message
    assert "2 different files for ex3/cutout.py" in message, message
    assert "exercises/ex3/cutout.py" in message and "old/ex3/cutout.py" in message


def test_case_and_wrappers_do_not_matter(tmp_path):
    shouty = tmp_path / "shouty"
    target = shouty / "Downloads" / "CNN" / "EX3" / "Cutout.py"
    target.parent.mkdir(parents=True)
    target.write_bytes(_module("alice_full_marks", "ex3"))
    result = grade(shouty, isolation="inprocess", exercises=("ex3",))
    assert result.exercises["ex3"].score == 10.0


def test_a_hostile_blackboard_user_name_stays_inside_the_staging_folder(tmp_path):
    """A file named as Blackboard would for the user '..' must not stage outside, nor stop the class."""
    root = blackboard_download(tmp_path / "bb")
    (root / "CNN Lab_.._attempt_2026-12-01-10-00-00_cutout.py").write_text("x = 1\n")
    staged = lms.stage(root, tmp_path / "staging" / "inner")
    assert [name for name, _ in staged.submissions] == ["dwu7"]
    assert any("'..' can't name a submission" in note for note in staged.notes)
    assert not (tmp_path / "staging" / "cutout.py").exists()
