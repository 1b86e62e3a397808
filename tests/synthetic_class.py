"""A synthetic graded class (result.json files) for the report's tests and benchmark.

Each submission has a skill, each test a difficulty; a test passes when skill beats difficulty
plus noise, so totals spread and harder tests discriminate. Failures carry messages with
numbers in them (shapes, values), a few time out, crash or hit a grader error, some
submissions are rejected. Seeded: the same class every time.
"""

from __future__ import annotations

import random
from pathlib import Path

from grader.results import ExerciseResult, Result, TestResult, error_result, write_result
from grader.sandboxed.layout import EXERCISES, POINTS

TESTS_PER_EXERCISE = 8
MESSAGES = [
    "expected shape ({a}, {b}), got ({b}, {a})",
    "values differ at index {a}: expected {x:.4f}, got {y:.4f}",
    "ValueError not raised for size={a}",
    "mask has {a} zeros, expected {b}",
]


def make_results(count: int, seed: int = 0) -> list[Result]:
    rng = random.Random(seed)
    difficulty = {(ex, i): rng.uniform(-1.5, 1.5) for ex in EXERCISES for i in range(TESTS_PER_EXERCISE)}
    results = []
    for n in range(count):
        name = f"student_{n:04d}"
        if rng.random() < 0.02:
            results.append(error_result(name, "no exercise file was found in the folder", duration_s=0.1))
            continue
        skill = rng.gauss(0.5, 1.0)
        exercises = {}
        for ex in EXERCISES:
            worth = POINTS[ex] / TESTS_PER_EXERCISE
            tests = []
            for i in range(TESTS_PER_EXERCISE):
                test = f"test_{ex}_check_{i}[seed-{i % 3}]"
                roll = rng.random()
                if roll < 0.005:
                    tests.append(TestResult(test, 0.0, worth, "timeout", "timed out after 10 s"))
                elif roll < 0.01:
                    tests.append(TestResult(test, 0.0, worth, "error", f"RuntimeError: worker exited with code {n % 7}"))
                elif roll < 0.012:
                    tests.append(TestResult(test, 0.0, worth, "grader_error", "the grader failed on this test"))
                elif skill + rng.gauss(0, 0.7) > difficulty[ex, i]:
                    tests.append(TestResult(test, worth, worth, "passed"))
                else:
                    message = MESSAGES[(i + n) % len(MESSAGES)].format(a=rng.randint(1, 64), b=rng.randint(1, 64),
                                                                       x=rng.random(), y=rng.random())
                    tests.append(TestResult(test, 0.0, worth, "failed", message))
            exercises[ex] = ExerciseResult(sum(t.score for t in tests), float(POINTS[ex]), tests)
        results.append(Result(name, sum(e.score for e in exercises.values()), float(sum(POINTS.values())),
                              exercises, duration_s=round(rng.lognormvariate(2.0, 0.4), 2), isolation="bubblewrap"))
    return results


def write_class(out: Path, results: list[Result]) -> Path:
    """OUT/<name>/result.json for each result, as a batch leaves them."""
    for result in results:
        (Path(out) / result.submission).mkdir(parents=True, exist_ok=True)
        write_result(Path(out) / result.submission / "result.json", result)
    return Path(out)
