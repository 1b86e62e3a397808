"""The grading table of each exercise README, generated from the hidden suite and the manifest.

    python -m grader.rubric            print every exercise's table
    python -m grader.rubric --check    exit 1 when a README's table is stale (tests/test_registry.py)
    python -m grader.rubric --write    rewrite the stale tables in place

A README's grading section is its "## Grading (N points)" (or "## How it is graded (N points)")
heading and the first table under it. N comes from the manifest; the rows (test name, points,
public check) follow grader/course/<id>/test_<id>.py in file order. Each row's description is the
one staff wrote in the README (kept by test name); a new test starts with its docstring's first
sentence. The public check is the manifest's [public_checks] entry for the test: the public test
(exercises/<id>/test_*.py) that fails when the graded behaviour is wrong; `mirror_problems` says
what that table lacks. Prose in the section is kept. The suites, public tests included, are read
with `ast`, never imported: no torch needed.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import registry
from .files import write_atomic
from .paths import EXERCISES_DIR, hidden_suite

HEADING = re.compile(r"^## (?P<label>Grading|How it is graded) \((?P<points>[0-9.]+) points\)[ \t]*$", re.M)
ROW = re.compile(r"^\| `(?P<name>[^`]+)`(?: — (?P<description>.*?))? \| (?P<points>[^|]*?) \|(?: (?P<public>[^|]*?) \|)?$")
TABLE_HEADER = "| hidden test | points | public check |\n|---|---|---|\n"
NO_PUBLIC_CHECK = "—"


class RubricError(ValueError):
    """A hidden suite or README the rubric cannot be made from; the message names the file."""


@dataclass(frozen=True)
class HiddenTest:
    name: str
    points: int | float
    public: bool  # marked @pytest.mark.public: repeats a public check, visible to students at once
    doc: str


def _mark(decorator) -> tuple[str, ast.AST] | None:
    """('points', node) for @pytest.mark.points(...) or @pytest.mark.points; None otherwise."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    parts = []
    while isinstance(target, ast.Attribute):
        parts.append(target.attr)
        target = target.value
    if isinstance(target, ast.Name) and target.id == "pytest" and parts[-1:] == ["mark"] and len(parts) == 2:
        return parts[0], decorator
    return None


def hidden_tests(path: Path) -> list[HiddenTest]:
    """The graded tests of one hidden suite, in file order: those with @pytest.mark.points."""
    path = Path(path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError) as exc:
        raise RubricError(f"{path}: cannot read the hidden suite ({exc})") from None
    tests = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            raise RubricError(f"{path}:{node.lineno}: test classes are not supported by the rubric")
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test_"):
            continue
        marks = dict(m for m in map(_mark, node.decorator_list) if m)
        if "parametrize" in marks:  # every case would score the points again: the table can't say so
            raise RubricError(f"{path}:{node.lineno}: {node.name} is parametrized; the rubric needs one row a test")
        if "points" not in marks:
            continue
        call = marks["points"]
        try:
            points = ast.literal_eval(call.args[0]) if isinstance(call, ast.Call) and len(call.args) == 1 else None
        except ValueError:
            points = None
        if not isinstance(points, (int, float)) or isinstance(points, bool):
            raise RubricError(f"{path}:{node.lineno}: {node.name}'s @pytest.mark.points needs one literal number")
        doc = (ast.get_docstring(node) or "").strip()
        tests.append(HiddenTest(node.name, points, "public" in marks, doc))
    return tests


def suite_path(exercise_id: str) -> Path:
    return hidden_suite(exercise_id)


def readme_path(exercise_id: str) -> Path:
    return EXERCISES_DIR / exercise_id / "README.md"


def _number(value) -> str:
    return f"{value:g}"


def _first_sentence(doc: str) -> str:
    text = " ".join(doc.split())
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")


def render(readme: str, exercise: registry.Exercise, tests: list[HiddenTest], *, where: str = "README") -> str:
    """`readme` with its grading section's heading and table regenerated (added when absent)."""
    total = sum(t.points for t in tests)
    if total != exercise.points:
        raise RubricError(f"{suite_path(exercise.id)}: the @points add up to {_number(total)}, but "
                          f"grader/course/{exercise.id}/manifest.toml says points = {_number(exercise.points)}")
    heading = HEADING.search(readme)
    if heading is None:
        section = f"## Grading ({_number(exercise.points)} points)\n\n{TABLE_HEADER}"
        return readme.rstrip("\n") + "\n\n" + section + "".join(_row(t, {}, exercise) for t in tests)
    start = heading.end() + 1
    following = re.compile(r"^## ", re.M).search(readme, start)
    end = following.start() if following else len(readme)
    lines = readme[start:end].splitlines(keepends=True)
    table = [i for i, line in enumerate(lines) if line.startswith("|")]
    if len(table) < 2:
        raise RubricError(f"{where}: the '{heading.group(0).strip()}' section has no table")
    first, last = table[0], table[0]
    while last + 1 < len(lines) and lines[last + 1].startswith("|"):
        last += 1
    descriptions = {}
    for line in lines[first + 2:last + 1]:
        match = ROW.match(line.rstrip("\n"))
        if match is None:
            raise RubricError(f"{where}: a grading table row is not '| `test_name` — what it checks | points |': {line!r}")
        descriptions[match["name"]] = match["description"]
    body = "".join(_row(t, descriptions, exercise) for t in tests)
    section = "".join(lines[:first]) + TABLE_HEADER + body + "".join(lines[last + 1:])
    title = f"## {heading['label']} ({_number(exercise.points)} points)\n"
    return readme[:heading.start()] + title + section + readme[end:]


def _row(test: HiddenTest, descriptions: dict, exercise: registry.Exercise) -> str:
    description = descriptions.get(test.name) if test.name in descriptions else _first_sentence(test.doc)
    text = f"`{test.name}` — {description}" if description else f"`{test.name}`"
    public = exercise.public_checks.get(test.name)
    return f"| {text} | {_number(test.points)} | {f'`{public}`' if public else NO_PUBLIC_CHECK} |\n"


def public_tests(exercise_id: str, exercises_dir: Path | None = None) -> list[str]:
    """The public test functions of exercises/<id>/test_*.py (read with ast), in file order."""
    names = []
    for path in sorted(Path(exercises_dir or EXERCISES_DIR).joinpath(exercise_id).glob("test_*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError) as exc:
            raise RubricError(f"{path}: cannot read the public tests ({exc})") from None
        names += [node.name for node in tree.body
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")]
    return names


def mirror_problems(exercise: registry.Exercise, hidden: list[HiddenTest], public: list[str]) -> list[str]:
    """What the manifest's [public_checks] lacks or gets wrong, as instructions naming the file:
    every hidden test needs an entry, every entry a hidden test, every named public test must exist."""
    where = f"grader/course/{exercise.id}/manifest.toml [public_checks]"
    mapping, names = exercise.public_checks, [t.name for t in hidden]
    missing = [n for n in names if n not in mapping]
    extra = [n for n in mapping if n not in names]
    unknown = sorted({p for p in mapping.values() if p not in public})
    problems = []
    if missing:
        problems.append(f"{where}: add an entry for each hidden test of {suite_path(exercise.id).name} "
                        f"without one: " + ", ".join(f'{n} = "<public test>"' for n in missing))
    if extra:
        problems.append(f"{where}: remove the entries of tests that are not in {suite_path(exercise.id).name} "
                        f"(renamed or removed?): {', '.join(extra)}")
    if unknown:
        problems.append(f"{where}: name public tests that exist in exercises/{exercise.id}/test_*.py; "
                        f"not found: {', '.join(unknown)} (there are: {', '.join(public)})")
    return problems


def regenerate(exercise: registry.Exercise) -> tuple[Path, str, str]:
    """(README path, its text now, its text with the table regenerated)."""
    path = readme_path(exercise.id)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return path, text, render(text, exercise, hidden_tests(suite_path(exercise.id)), where=str(path))


def stale() -> list[Path]:
    """The READMEs whose grading table differs from what the suites and manifests give."""
    return [path for path, old, new in map(regenerate, registry.exercises()) if old != new]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.rubric", description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if a README's grading table is stale")
    mode.add_argument("--write", action="store_true", help="rewrite stale grading tables in place")
    args = parser.parse_args(argv)
    try:
        results = [regenerate(ex) for ex in registry.exercises()]
    except (RubricError, registry.RegistryError) as exc:
        print(f"rubric: error: {exc}", file=sys.stderr)
        return 2
    changed = [(path, new) for path, old, new in results if old != new]
    if args.write:
        for path, new in changed:
            write_atomic(path, new)
            print(f"rubric: rewrote {path}")
        return 0
    if args.check:
        for path, _ in changed:
            print(f"rubric: {path} is stale: run `python -m grader.rubric --write`", file=sys.stderr)
        return 1 if changed else 0
    for path, _, new in results:
        heading = HEADING.search(new)
        print(f"# {path}\n{new[heading.start():].split(chr(10) + '## ', 1)[0].rstrip()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
