"""The bug zoo proves that each hidden suite catches the typical mistakes of its exercise,
and only there: a mutant loses points in its own exercise and nowhere else."""

from __future__ import annotations

import importlib

import pytest

from grader import runner
from grader.paths import SOLUTIONS_DIR
from grader.runner import EXERCISES
from tests.graded import grade, make_submission, module_path, scores

ZOO = {ex: importlib.import_module(f"tests.bugzoo.{ex}").MUTANTS for ex in EXERCISES}
CASES = [(ex, m) for ex, mutants in ZOO.items() for m in mutants]


def mutated(exercise, mutant) -> str:
    return mutant.apply(module_path(SOLUTIONS_DIR, exercise).read_text())


def test_every_exercise_has_at_least_six_mutants():
    assert {ex: len(ms) >= 6 for ex, ms in ZOO.items()} == {ex: True for ex in EXERCISES}
    for ex, mutants in ZOO.items():
        assert len({m.name for m in mutants}) == len(mutants), ex


@pytest.mark.parametrize("exercise", EXERCISES)
def test_each_suite_touches_only_its_own_module(exercise):
    """So a mutant of one module can't change another exercise's score: checked, not assumed."""
    submission = runner.open_submission(SOLUTIONS_DIR, "inprocess")
    results = runner.run_suites(submission, (exercise,))
    assert results[exercise]["score"] == 10
    assert set(submission._transport.dispatcher.loads) == {exercise}


@pytest.mark.parametrize("exercise,mutant", CASES, ids=[f"{ex}-{m.name}" for ex, m in CASES])
def test_mutant_loses_points_in_its_own_exercise(exercise, mutant, tmp_path):
    sub = make_submission(tmp_path, "reference", {exercise: mutated(exercise, mutant)})
    got = scores(grade(sub, exercises=(exercise,), isolation="inprocess"))
    assert got[exercise] < 10, f"{mutant.why}: the hidden suite did not catch it"


def test_all_mutants_at_once_score_as_each_alone(tmp_path):
    """One mutant in every exercise together: every exercise scores as its mutant alone does."""
    chosen = {ex: ZOO[ex][0] for ex in EXERCISES}
    together = scores(grade(make_submission(tmp_path / "all", "reference",
                                            {ex: mutated(ex, m) for ex, m in chosen.items()}),
                            isolation="inprocess"))
    for ex, m in chosen.items():
        alone = scores(grade(make_submission(tmp_path / ex, "reference", {ex: mutated(ex, m)}),
                             exercises=(ex,), isolation="inprocess"))
        assert together[ex] == alone[ex] < 10, ex
