"""The bug zoo proves that each hidden suite catches the typical mistakes of its exercise,
and only there: a mutant loses points in its own exercise and nowhere else."""

from __future__ import annotations

import importlib

import pytest

from grader.paths import SOLUTIONS_DIR
from grader.runner import EXERCISES
from tests.graded import grade, make_submission, module_path, scores

ZOO = {ex: importlib.import_module(f"tests.bugzoo.{ex}").MUTANTS for ex in EXERCISES}
CASES = [(ex, m) for ex, mutants in ZOO.items() for m in mutants]
# Training exercises are expensive; the no-cross-talk test below covers them for every mutant.
CHEAP = tuple(ex for ex in EXERCISES if ex not in ("ex6", "ex7"))


def mutated(exercise, mutant) -> str:
    return mutant.apply(module_path(SOLUTIONS_DIR, exercise).read_text())


def test_every_exercise_has_at_least_six_mutants():
    assert {ex: len(ms) >= 6 for ex, ms in ZOO.items()} == {ex: True for ex in EXERCISES}
    for ex, mutants in ZOO.items():
        assert len({m.name for m in mutants}) == len(mutants), ex


@pytest.mark.parametrize("exercise,mutant", CASES, ids=[f"{ex}-{m.name}" for ex, m in CASES])
def test_mutant_loses_points_only_in_its_own_exercise(exercise, mutant, tmp_path):
    sub = make_submission(tmp_path, "reference", {exercise: mutated(exercise, mutant)})
    graded = tuple(dict.fromkeys((exercise, *CHEAP)))
    got = scores(grade(sub, exercises=graded, isolation="inprocess"))
    assert got[exercise] < 10, f"{mutant.why}: the hidden suite did not catch it"
    assert {ex: s for ex, s in got.items() if ex != exercise} == {ex: 10 for ex in graded if ex != exercise}


def test_exercises_do_not_affect_each_other(tmp_path):
    """One mutant in every exercise at once scores each exercise as that mutant alone does."""
    chosen = {ex: ZOO[ex][0] for ex in EXERCISES}
    together = scores(grade(make_submission(tmp_path / "all", "reference",
                                            {ex: mutated(ex, m) for ex, m in chosen.items()}),
                            isolation="inprocess"))
    for ex, m in chosen.items():
        alone = scores(grade(make_submission(tmp_path / ex, "reference", {ex: mutated(ex, m)}),
                             exercises=(ex,), isolation="inprocess"))
        assert together[ex] == alone[ex] < 10, ex
