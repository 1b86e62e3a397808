"""A submission's own helper modules are graded with their exercise (grader/intake.py)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from grader import archive, intake, sandbox
from grader.grading import grade
from grader.paths import SOLUTIONS_DIR
from grader.sandboxed.layout import MODULES, NOTE_FILE

# ex3's reference, but its mask passes its arguments through a helper of its own
CUTOUT_WITH_HELPER = """
from {helper} import same

_reference_mask = cutout_mask


def cutout_mask(height, width, center, size):
    return _reference_mask(same(height), same(width), same(center), same(size))
"""
HELPER = "def same(value):\n    return value\n"
SOFT_CE_WITH_HELPER = """
from helpers import EPS_OF_EX4

assert EPS_OF_EX4 == 0.0, "ex4 imported another exercise's helpers.py"
"""


def _solution(folder: Path, exercise: str, extra: str = "") -> None:
    (folder / exercise).mkdir(parents=True, exist_ok=True)
    source = (SOLUTIONS_DIR / exercise / f"{MODULES[exercise]}.py").read_text()
    (folder / exercise / f"{MODULES[exercise]}.py").write_text(source + extra)


def _scores(result):
    return {ex: (r.score, r.max_score) for ex, r in result.exercises.items()}


@pytest.fixture(scope="module")
def reference_scores():
    return _scores(grade(SOLUTIONS_DIR, isolation="inprocess", exercises=("ex3", "ex4")))


@pytest.mark.parametrize("isolation", ["inprocess", "sandbox"])
def test_a_helper_module_is_graded_with_its_exercise(tmp_path, reference_scores, isolation):
    sub = tmp_path / "sub"
    _solution(sub, "ex3", CUTOUT_WITH_HELPER.format(helper="myhelpers"))
    (sub / "ex3" / "myhelpers.py").write_text(HELPER)
    result = grade(sub, isolation=isolation, exercises=("ex3",))
    assert _scores(result)["ex3"] == reference_scores["ex3"], [t.message for t in result.exercises["ex3"].tests]


def test_same_named_helpers_of_two_exercises_do_not_collide(tmp_path, reference_scores):
    sub = tmp_path / "sub"
    _solution(sub, "ex3", CUTOUT_WITH_HELPER.format(helper="helpers"))
    (sub / "ex3" / "helpers.py").write_text(HELPER)
    _solution(sub, "ex4", SOFT_CE_WITH_HELPER)
    (sub / "ex4" / "helpers.py").write_text("EPS_OF_EX4 = 0.0\n")
    with zipfile.ZipFile(tmp_path / "sub.zip", "w") as zf:  # through the zip path too
        for path in sorted(sub.rglob("*.py")):
            zf.write(path, f"exercises/{path.relative_to(sub).as_posix()}")
    result = grade(tmp_path / "sub.zip", isolation="sandbox", exercises=("ex3", "ex4"))
    assert _scores(result) == reference_scores, {ex: [t.message for t in r.tests] for ex, r in result.exercises.items()}


@pytest.mark.parametrize("name, reason", [("random", "a standard library module"), ("torch", "the torch package")])
def test_a_helper_that_shadows_a_library_is_refused_with_a_message(tmp_path, name, reason):
    sub = tmp_path / "sub"
    _solution(sub, "ex3")
    (sub / "ex3" / f"{name}.py").write_text("VALUE = 1\n")
    result = grade(sub, isolation="inprocess", exercises=("ex3",))
    messages = {t.message for t in result.exercises["ex3"].tests}
    assert result.exercises["ex3"].score == 0
    want = f"ex3/{name}.py is refused: a helper may not take the name of {reason} ({name}); rename it"
    assert all(want in m for m in messages), messages


def test_a_notebook_instead_of_the_module_says_what_to_submit(tmp_path):
    sub = tmp_path / "sub"
    _solution(sub, "ex4")
    (sub / "ex3").mkdir()
    (sub / "ex3" / "cutout.ipynb").write_text("{}")
    result = grade(sub, isolation="inprocess", exercises=("ex3",))
    for test in result.exercises["ex3"].tests:
        assert "ex3/cutout.py is missing from the submission (found ex3/cutout.ipynb: notebooks are not " \
               "graded; submit the .py module ex3/cutout.py instead" in test.message, test.message


def test_a_zip_of_notebooks_only_is_refused_with_the_reason(tmp_path):
    with zipfile.ZipFile(tmp_path / "nb.zip", "w") as zf:
        zf.writestr("homework/cutout.ipynb", "{}")
    with pytest.raises(archive.SubmissionRejected, match=r"found homework/cutout.ipynb: notebooks are not graded"):
        with archive.unpacked(tmp_path / "nb.zip"):
            pass


def test_the_sandbox_copy_takes_modules_helpers_and_notes_only(tmp_path):
    source = tmp_path / "source"
    for rel in ("ex3/cutout.py", "ex3/helpers.py", "ex3/test_cutout.py", "ex3/conftest.py", "ex3/data.csv",
                f"ex4/{NOTE_FILE}", "ex4/soft_ce.py", "ex4/random.py", "solutions/ex3/cutout.py"):
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text("X = 1\n")
    (source / "ex3" / "linked.py").symlink_to(source / "ex3" / "helpers.py")
    copied = sandbox.copy_submission(source, tmp_path / "copy")
    want = ["ex3/cutout.py", "ex3/helpers.py", f"ex4/{NOTE_FILE}", "ex4/soft_ce.py"]
    assert sorted(intake.list_files(copied)) == want


def test_intake_judges_names():
    found = intake.judge(["ex3/Cutout.py", "ex3/util.py", "ex3/test_cutout.py", "ex1/cutout.py",
                          "ex5/metrics_final.py", "ex6/square_border.ipynb", "ex2/mixup.py"], MODULES)
    ex = found.exercises
    assert ex["ex3"].module == "ex3/Cutout.py" and ex["ex3"].helpers == ["ex3/util.py"]
    assert ex["ex1"].refused == {"ex1/cutout.py": "ex1/cutout.py is refused: a helper may not take the name of "
                                                  "ex3's module (cutout); rename it, e.g. ex1/my_cutout.py"}
    assert "found ex5/metrics_final.py; expected ex5/metrics.py" in ex["ex5"].hints
    assert ex["ex2"].hints == [] and ex["ex2"].module == "ex2/mixup.py"  # near misses only for a missing module
    assert ex["ex6"].hints[0].startswith("found ex6/square_border.ipynb: notebooks are not graded; submit the .py "
                                         "module ex6/square_border.py instead")


def test_a_helper_imported_inside_a_function_is_flagged():
    source = b"import helpers\n\ndef f():\n    from helpers import x\n    return x\n"
    findings = intake.check_module("ex3", "ex3/cutout.py", source, {"helpers"})
    assert [f.message for f in findings] == ["ex3/cutout.py: line 4 imports your helper helpers inside a function; "
                                             "import it at the top of the module instead"]
