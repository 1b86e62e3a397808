"""End-to-end grading of the reference and the stubs: the anchors every score is judged by."""

from __future__ import annotations

import pytest

from grader import registry, runner
from grader.paths import EXERCISES_DIR, SOLUTIONS_DIR
from tests.graded import grade


def _outcomes(result):
    return {ex: [(t["name"], t["status"], t["score"]) for t in r["tests"]]
            for ex, r in result["exercises"].items()}


@pytest.fixture(scope="module")
def reference_sandboxed():
    return grade(SOLUTIONS_DIR)


def test_reference_scores_full_marks_in_the_sandbox(reference_sandboxed):
    result = reference_sandboxed
    failed = [(ex, t) for ex, r in result["exercises"].items() for t in r["tests"] if t["status"] != "passed"]
    assert failed == []
    assert result["score"] == result["max_score"] == registry.total_points()
    assert {ex: r["max_score"] for ex, r in result["exercises"].items()} == {ex.id: ex.points for ex in registry.exercises()}


def test_stubs_score_zero_with_a_clear_message_each():
    result = grade(EXERCISES_DIR)
    assert result["score"] == 0 and result["max_score"] == registry.total_points()
    for ex, r in result["exercises"].items():
        for t in r["tests"]:
            assert t["status"] != "passed" and "not implemented yet" in t["message"], (ex, t)


def test_sandboxed_and_in_process_grading_agree(reference_sandboxed):
    assert _outcomes(grade(SOLUTIONS_DIR, isolation="inprocess")) == _outcomes(reference_sandboxed)


def test_two_runs_give_identical_results():
    first, second = (grade(SOLUTIONS_DIR, isolation="inprocess") for _ in range(2))
    assert _outcomes(first) == _outcomes(second)
    assert [t["message"] for r in first["exercises"].values() for t in r["tests"]] == \
        [t["message"] for r in second["exercises"].values() for t in r["tests"]]


def test_each_exercise_has_visible_public_tests_and_hidden_ones():
    """Tests marked `public` (they repeat a public test's check) are visible; the rest are hidden."""
    result = grade(SOLUTIONS_DIR, exercises=runner.EXERCISES, isolation="inprocess")
    assert set(result["exercises"]) == set(runner.EXERCISES)
    for ex, r in result["exercises"].items():
        visibility = {t["name"]: t["visibility"] for t in r["tests"]}
        assert set(visibility.values()) == {"visible", "hidden"}, (ex, visibility)
        # The training tests' accuracy thresholds and evaluation data stay hidden.
        assert all(v == "hidden" for name, v in visibility.items() if "train" in name), (ex, visibility)
