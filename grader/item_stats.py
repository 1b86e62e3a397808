"""Item statistics of a class: how each hidden test behaved over every graded submission.

Staff read these to find a test that is too hard, that does not separate strong submissions
from weak ones, or that fails for one reason many times (often a misleading exercise text).

Only graded results count: a rejected submission (`error` set) has a stand-in "grading" test,
not the real ones, so it is counted apart (`rejections`). Standard library only.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .results import Result

TOP_MESSAGES = 3  # failure messages kept per test
MESSAGE_CHARS = 200  # a normalised message is cut here
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_HEX = re.compile(r"0x[0-9a-fA-F]+")


def normalise_message(message: str) -> str:
    """`message` with every number written N and spaces collapsed, so messages that differ only
    in a shape, a seed or a value group together ("got 3 and 4" and "got 5 and 7")."""
    text = _NUMBER.sub("N", _HEX.sub("N", message))
    text = " ".join(text.split())
    return text[:MESSAGE_CHARS] + ("…" if len(text) > MESSAGE_CHARS else "")


def point_biserial(passed: list[bool], rest: list[float]) -> float | None:
    """Pearson's correlation of 0/1 `passed` with `rest`: None when either has no variance."""
    n = len(passed)
    if n < 2:
        return None
    xs = [1.0 if p else 0.0 for p in passed]
    mean_x, mean_y = sum(xs) / n, sum(rest) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in rest)
    if sxx == 0 or syy <= 1e-12:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, rest))
    return sxy / math.sqrt(sxx * syy)


@dataclass
class Item:
    """One hidden test over the class."""

    exercise: str
    test: str
    max_score: float = 0.0
    taken: int = 0  # graded submissions that ran it
    passed: int = 0
    statuses: Counter = field(default_factory=Counter)
    messages: Counter = field(default_factory=Counter)  # normalised failure messages
    discrimination: float | None = None

    @property
    def pass_rate(self) -> float:
        return self.passed / self.taken if self.taken else 0.0

    def top_messages(self, n=TOP_MESSAGES) -> list[tuple[str, int]]:
        return self.messages.most_common(n)


@dataclass
class ClassStats:
    items: list[Item]  # hardest first (lowest pass rate), then by exercise and name
    graded: list[Result]
    rejected: list[Result]
    per_exercise: dict[str, Counter]  # exercise -> tests of each status (timeout, error, grader_error, ...)
    submissions: dict[str, Counter]  # exercise -> submissions with at least one test of each status


def compute(results: list[Result]) -> ClassStats:
    """Statistics of every test over `results` (one result per submission)."""
    graded = [r for r in results if not r.error and r.exercises]
    rejected = [r for r in results if r.error or not r.exercises]
    items: dict[tuple[str, str], Item] = {}
    scores: dict[tuple[str, str], dict[int, tuple[bool, float]]] = defaultdict(dict)
    per_exercise: dict[str, Counter] = defaultdict(Counter)
    submissions: dict[str, Counter] = defaultdict(Counter)
    for index, result in enumerate(graded):
        for exercise, entry in result.exercises.items():
            submissions[exercise].update({t.status for t in entry.tests})
            for test in entry.tests:
                key = (exercise, test.name)
                item = items.get(key) or items.setdefault(key, Item(exercise, test.name))
                item.max_score = max(item.max_score, test.max_score)
                item.taken += 1
                item.statuses[test.status] += 1
                per_exercise[exercise][test.status] += 1
                ok = test.status == "passed"
                item.passed += ok
                if not ok and test.message.strip():
                    item.messages[normalise_message(test.message)] += 1
                scores[key][index] = (ok, test.score)
    totals = [r.score for r in graded]
    for key, item in items.items():
        taken = scores[key]
        item.discrimination = point_biserial([ok for ok, _ in taken.values()],
                                             [totals[i] - score for i, (_, score) in taken.items()])
    ordered = sorted(items.values(), key=lambda it: (it.pass_rate, it.exercise, it.test))
    return ClassStats(ordered, graded, rejected, dict(per_exercise), dict(submissions))
