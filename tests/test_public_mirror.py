"""The public tests mirror the hidden suites (issue 13): every graded behaviour has a public
check that fails, with a helpful message, when that behaviour is wrong.

- each manifest's [public_checks] maps every hidden test to an existing public test (both read
  with ast; the README's grading table shows the mapping, grader/rubric.py);
- each MISTAKES entry of a bug zoo fails a public test whose message names the mistake (the
  audit, run by tests/test_bugzoo.py, also checks that every mutant fails a public test);
- one bug fails one behaviour: a transposed confusion matrix fails only the orientation tests.
"""

from __future__ import annotations

import pytest

from grader import audit, grading, registry, rubric
from grader.bugzoo import named

IDS = registry.ids()


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_hidden_test_names_an_existing_public_check(exercise_id):
    ex = registry.get(exercise_id)
    problems = rubric.mirror_problems(ex, rubric.hidden_tests(rubric.suite_path(ex.id)), rubric.public_tests(ex.id))
    assert problems == [], "\n".join(problems)


def test_mirror_problems_say_which_entries_to_add_and_remove():
    hidden = [rubric.HiddenTest("test_kept", 1, False, ""), rubric.HiddenTest("test_renamed_now", 1, False, "")]
    ex = registry.Exercise("ex9", "thing", "thing", 2, public_checks={"test_kept": "test_public",
                                                                     "test_renamed_before": "test_gone"})
    problems = rubric.mirror_problems(ex, hidden, ["test_public", "test_other"])
    assert problems == [
        'grader/course/ex9/manifest.toml [public_checks]: add an entry for each hidden test of test_ex9.py '
        'without one: test_renamed_now = "<public test>"',
        "grader/course/ex9/manifest.toml [public_checks]: remove the entries of tests that are not in "
        "test_ex9.py (renamed or removed?): test_renamed_before",
        "grader/course/ex9/manifest.toml [public_checks]: name public tests that exist in "
        "exercises/ex9/test_*.py; not found: test_gone (there are: test_public, test_other)",
    ]


def test_a_manifest_table_of_public_checks_is_checked(tmp_path):
    (tmp_path / "registry.txt").write_text("ex1\n")
    (tmp_path / "ex1").mkdir()
    manifest = 'module = "shapes"\ntitle = "shapes"\npoints = 10\n[public_checks]\n'
    (tmp_path / "ex1" / "manifest.toml").write_text(manifest + 'test_a = "test_b"\n')
    assert dict(registry.load(tmp_path)[0].public_checks) == {"test_a": "test_b"}
    (tmp_path / "ex1" / "manifest.toml").write_text(manifest + 'test_a = 3\n')
    with pytest.raises(registry.RegistryError, match="public_checks.test_a' must name a public test"):
        registry.load(tmp_path)


@pytest.mark.parametrize("exercise_id", [ex for ex in IDS if audit.mistakes(ex)])
def test_the_public_tests_name_each_mistake(exercise_id):
    """In place changes, softmax heads, float64 noise, a missing ReLU, a helper from outside the folder."""
    row = audit.Row(exercise_id, registry.get(exercise_id).points, {"public": ""})
    audit.check_public_catches(row, exercise_id, [], audit.mistakes(exercise_id))
    assert row.failures == [], "\n".join(row.failures)


def test_a_transposed_confusion_matrix_fails_only_the_orientation_tests(tmp_path):
    """Speed and shape need a right matrix to be measured, but they don't grade its orientation."""
    text = audit.mutated("ex5", named(audit.mutants("ex5"), "transposed_confusion_matrix"))
    submission = audit.submission_with(tmp_path / "submission", {"ex5": text})
    result = grading.grade(submission, isolation="inprocess", exercises=("ex5",)).exercises["ex5"]
    assert {t.name for t in result.tests if t.status != "passed"} == {
        "test_confusion_matrix_rows_are_true_classes_columns_predictions"}
    assert result.score == registry.get("ex5").points - 2
    (public,) = audit.public_failures("ex5", [(text, ())], tmp_path / "public")
    assert set(public) == {"test_confusion_matrix_small_example"}, public
