"""`cnn-grader new exN --module NAME [--title ...]`: scaffold every part of a new exercise.

Each part holds a tiny working example (a `double(x)` function), so the scaffold passes
`cnn-grader audit exN` as it stands; staff then replace the example with the real exercise:

    exercises/<id>/<module>.py          the stub students start from (raises NotImplementedError)
    exercises/<id>/test_<module>.py     public tests
    exercises/<id>/README.md            the exercise text, with its grading table (grader.rubric)
    solutions/<id>/<module>.py          the reference solution
    grader/course/<id>/manifest.toml    module, title, points, the public check of each hidden test
    grader/course/<id>/test_<id>.py     the hidden suite (@points summing to the manifest's)
    grader/course/<id>/probes.py        a worker-side probe the suite calls with sub.run
    grader/course/<id>/bugzoo.py        a mutant of the reference that must lose points
    grader/course/<id>/__init__.py
and the id's line in grader/course/registry.txt.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import registry, rubric
from .paths import EXERCISES_DIR, SOLUTIONS_DIR

POINTS = 10
# Top-level names in the worker's kit and the judge: a student module must not shadow them.
RESERVED_MODULES = {"course", "sandboxed", "cnnlab", "boot", "grader", "torch", "numpy", "conftest"}


class AuthoringError(ValueError):
    """The exercise can't be made as asked; the message says why."""


STUB = '''"""Exercise {number}: {title}.

Write `double(x)`: it returns twice its argument (a number).
"""


def double(x):
    """Return 2 * x."""
    raise NotImplementedError("double is not implemented yet")
'''

SOLUTION = '''"""Reference solution of exercise {number}: {title}."""


def double(x):
    """Return 2 * x."""
    return 2 * x
'''

PUBLIC_TEST = '''"""Public tests for exercise {number} ({module}). Run: pytest exercises/{id}"""

from {module} import double


def test_double_of_three():
    assert double(3) == 6, "double(3) should be 6"
'''

HIDDEN_SUITE = '''"""Hidden suite of {id} ({title}): the student's code runs only behind `sub`."""

import pytest

from grader.course.{id}.probes import {id}_double_all


@pytest.mark.public
@pytest.mark.points(6)
def test_double_small_numbers(sub):
    """Doubles a few small numbers."""
    for x in (0, 3, -2):
        assert sub.{id}.double(x) == 2 * x, f"double({{x}}) should be {{2 * x}}"


@pytest.mark.points(4)
def test_double_many_in_the_worker(sub):
    """Doubles a list of numbers (a probe, run beside the student code)."""
    values = [1, 2.5, -7]
    assert sub.run({id}_double_all, values) == [2 * v for v in values]
'''

PROBES = '''"""Probes of {id}: work that runs in the worker, beside the student's `{module}`."""

from __future__ import annotations

from ..probing import probe


@probe("{id}")
def {id}_double_all({module}, values) -> list:
    """`double` of every value, in one request."""
    return [{module}.double(v) for v in values]
'''

BUGZOO = '''"""{id} bug zoo: realistic student mistakes as edits of solutions/{id}/{module}.py."""

from grader.bugzoo import Mutant

MUTANTS = [
    Mutant(
        name="adds_instead_of_multiplying",
        old="return 2 * x",
        new="return x + 2",
        why="double(x) is 2 * x, not x + 2",
    ),
]
'''

MANIFEST = '''# {id}: its staff-only parts belong in this folder. Read by grader/registry.py.
module = "{module}"  # the file students hand in: exercises/{id}/{module}.py
title = "{title}"  # shown in the feedback report and on Gradescope
points = {points}  # must equal the sum of @pytest.mark.points in test_{id}.py, beside it

[public_checks]
# Every hidden test (test_{id}.py) -> the public test (exercises/{id}/test_{module}.py) that fails
# when the same behaviour is wrong; shown in the README's grading table.
test_double_small_numbers = "test_double_of_three"
test_double_many_in_the_worker = "test_double_of_three"
'''

README = '''# Exercise {number} — {title} ({points} points)

Write `double(x)` in `{module}.py`: it returns twice its argument.

Run the public tests from the repository root:

    pytest exercises/{id}
'''


def new_exercise(exercise_id: str, module: str, title: str | None = None, root: Path | None = None) -> list[Path]:
    """Write every part of a new exercise (see the module docstring); returns the files written."""
    course_dir = registry.COURSE_DIR if root is None else Path(root) / "grader" / "course"
    exercises_dir = EXERCISES_DIR if root is None else Path(root) / "exercises"
    solutions_dir = SOLUTIONS_DIR if root is None else Path(root) / "solutions"
    if not registry.ID_PATTERN.fullmatch(exercise_id):
        raise AuthoringError(f"{exercise_id!r} is not an exercise id like 'ex8'")
    if not registry.MODULE_PATTERN.fullmatch(module) or module in RESERVED_MODULES:
        raise AuthoringError(f"{module!r} can't be a module: use a lower-case Python name, not one of "
                             f"{', '.join(sorted(RESERVED_MODULES))}")
    existing = registry.load(course_dir)
    if exercise_id in {ex.id for ex in existing}:
        raise AuthoringError(f"{exercise_id} already exists (grader/course/registry.txt)")
    owner = next((ex.id for ex in existing if ex.module == module), None)
    if owner:
        raise AuthoringError(f"module {module!r} is already the module of {owner}")
    taken = [p for p in (course_dir / exercise_id, exercises_dir / exercise_id, solutions_dir / exercise_id) if p.exists()]
    if taken:
        raise AuthoringError(f"{exercise_id} is not in the registry, but {taken[0]} exists: remove it first")

    values = {"id": exercise_id, "module": module, "title": title or module, "points": POINTS,
              "number": exercise_id.removeprefix("ex")}
    hidden = HIDDEN_SUITE.format(**values)
    files = {
        exercises_dir / exercise_id / f"{module}.py": STUB,
        exercises_dir / exercise_id / f"test_{module}.py": PUBLIC_TEST,
        solutions_dir / exercise_id / f"{module}.py": SOLUTION,
        course_dir / exercise_id / "__init__.py":
            f'"""{exercise_id}: staff-only parts (a package, so its suite and probes import as '
            f'grader.course.{exercise_id}.*)."""\n',
        course_dir / exercise_id / "manifest.toml": MANIFEST,
        course_dir / exercise_id / f"test_{exercise_id}.py": hidden,
        course_dir / exercise_id / "probes.py": PROBES,
        course_dir / exercise_id / "bugzoo.py": BUGZOO,
    }
    written = []
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values) if template is not hidden else hidden, encoding="utf-8")
        written.append(path)
    suite = course_dir / exercise_id / f"test_{exercise_id}.py"
    exercise = registry.read_manifest(exercise_id, course_dir)
    readme = exercises_dir / exercise_id / "README.md"
    readme.write_text(rubric.render(README.format(**values), exercise, rubric.hidden_tests(suite), where=str(readme)),
                      encoding="utf-8")
    written.append(readme)
    registry_file = course_dir / registry.REGISTRY_NAME
    text = registry_file.read_text(encoding="utf-8")
    registry_file.write_text(text + ("" if text.endswith("\n") else "\n") + exercise_id + "\n", encoding="utf-8")
    written.append(registry_file)
    registry.load(course_dir)  # the result must read back
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="cnn-grader new", description=__doc__.split("\n\n")[0])
    parser.add_argument("exercise", help="the new exercise id, e.g. ex8")
    parser.add_argument("--module", required=True, help="the file students hand in, without .py")
    parser.add_argument("--title", default=None, help="shown in feedback and on Gradescope (default: the module)")
    args = parser.parse_args(argv)
    try:
        written = new_exercise(args.exercise, args.module, args.title)
    except (AuthoringError, registry.RegistryError, rubric.RubricError) as exc:
        print(f"cnn-grader new: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(f"next: cnn-grader audit {args.exercise}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
