"""The bug zoo proves that each hidden suite catches the typical mistakes of its exercise,
and only there: a mutant loses points in its own exercise and nowhere else. The checks are
`cnn-grader audit`'s own (grader/audit.py), run here one mutant per test."""

from __future__ import annotations

import pytest

from grader import audit, registry
from grader.paths import SOLUTIONS_DIR
from tests.graded import grade, make_submission, scores

EXERCISES = registry.ids()
ZOO = {ex: audit.mutants(ex) for ex in EXERCISES}
CASES = [(ex, m) for ex, mutants in ZOO.items() for m in mutants]


def test_every_exercise_has_at_least_six_mutants():
    assert {ex: len(ms) >= 6 for ex, ms in ZOO.items()} == {ex: True for ex in EXERCISES}
    for ex, mutants in ZOO.items():
        assert len({m.name for m in mutants}) == len(mutants), ex


@pytest.mark.parametrize("exercise", EXERCISES)
def test_each_suite_touches_only_its_own_module(exercise):
    """So a mutant of one module can't change another exercise's score: checked, not assumed."""
    results, loads = audit.run_with_loads(SOLUTIONS_DIR, (exercise,))
    assert results[exercise].score == registry.get(exercise).points
    assert loads == {exercise}


@pytest.mark.parametrize("exercise,mutant", CASES, ids=[f"{ex}-{m.name}" for ex, m in CASES])
def test_mutant_loses_points_in_its_own_exercise(exercise, mutant, tmp_path):
    assert audit.mutant_score(exercise, mutant, tmp_path) < registry.get(exercise).points, \
        f"{mutant.why}: the hidden suite did not catch it"


def test_all_mutants_at_once_score_as_each_alone(tmp_path):
    """One mutant in every exercise together: every exercise scores as its mutant alone does."""
    chosen = {ex: ZOO[ex][0] for ex in EXERCISES}
    together = scores(grade(make_submission(tmp_path / "all", "reference",
                                            {ex: audit.mutated(ex, m) for ex, m in chosen.items()}),
                            isolation="inprocess"))
    for ex, m in chosen.items():
        alone = audit.mutant_score(ex, m, tmp_path / ex)
        assert together[ex] == alone < registry.get(ex).points, ex
