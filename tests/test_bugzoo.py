"""The bug zoo proves that each hidden suite catches the typical mistakes of its exercise,
and only there: a mutant loses points in its own exercise and nowhere else. It also proves that
the public tests catch them first: every mutant fails a public test ("catches N/N mutants"), and
every MISTAKES entry fails one whose message names it. CI runs `cnn-grader audit`
(grader/audit.py) on every exercise here."""

from __future__ import annotations

import pytest

from grader import audit, registry
from tests.graded import grade, make_submission, scores

EXERCISES = registry.ids()
ZOO = {ex: audit.mutants(ex) for ex in EXERCISES}


def test_every_exercise_has_at_least_six_mutants():
    assert {ex: len(ms) >= 6 for ex, ms in ZOO.items()} == {ex: True for ex in EXERCISES}
    for ex, mutants in ZOO.items():
        assert len({m.name for m in mutants}) == len(mutants), ex


@pytest.mark.parametrize("exercise", EXERCISES)
def test_audit_passes(exercise):
    """`cnn-grader audit` on each of the course's exercises: reference full marks in the sandbox,
    a repeat run identical and loading only its own module, stub 0, public tests, every mutant
    caught by the hidden suite and by the public tests, every mistake named by a public test,
    a public check for every hidden test, points and README table."""
    (row,) = audit.audit([exercise])
    assert row.ok, audit.format_rows([row])


def test_all_mutants_at_once_score_as_each_alone(tmp_path):
    """One mutant in every exercise together: every exercise scores as its mutant alone does."""
    chosen = {ex: ZOO[ex][0] for ex in EXERCISES}
    together = scores(grade(make_submission(tmp_path / "all", "reference",
                                            {ex: audit.mutated(ex, m) for ex, m in chosen.items()}),
                            isolation="inprocess"))
    for ex, m in chosen.items():
        alone = audit.mutant_score(ex, m, tmp_path / ex)
        assert together[ex] == alone < registry.get(ex).points, ex
