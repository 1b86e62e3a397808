"""The exercise registry: the one list of the course's exercises.

    grader/course/registry.txt       the exercise ids, in order, one a line (# starts a comment)
    grader/course/<id>/manifest.toml module, title, points, an optional [limits] table, and a
                                     [public_checks] table: each hidden test -> the public test
                                     (a function of exercises/<id>/test_*.py) that checks the same
                                     behaviour (tests/test_public_mirror.py: complete and existing)

Everything else is derived from here: sandboxed/layout.py's module map (and the worker kit's
copy of it, written by sandbox.make_kit), the titles in feedback, the README rubrics
(grader/rubric.py) and the tests' totals. Adding an exercise is one registry line and one folder.

Standard library only, with no import of grader.*: the light parts of the judge read it
without loading torch.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

COURSE_DIR = Path(__file__).resolve().parent / "course"
REGISTRY_NAME = "registry.txt"
MANIFEST_NAME = "manifest.toml"
ID_PATTERN = re.compile(r"ex[1-9][0-9]*")
MODULE_PATTERN = re.compile(r"[a-z_][a-z0-9_]*")
# The [limits] keys a manifest may set (per-exercise overrides, in seconds): the fields of
# grader.limits.Limits marked `override` (tests/test_limits.py checks the two agree). Checked
# here, so that a typo fails when the course is read.
LIMIT_KEYS = {
    "call_timeout_s": "one call into the student's code",
    "task_timeout_s": "one probe that runs a batch of cases",
    "training_timeout_s": "one training run of the student's model",
}
MANIFEST_KEYS = {"module", "title", "points", "limits", "public_checks"}
TEST_NAME_PATTERN = re.compile(r"test_[A-Za-z0-9_]*")


class RegistryError(ValueError):
    """The registry or a manifest is missing or invalid; the message names the file and field."""


@dataclass(frozen=True)
class Exercise:
    """One exercise, as its manifest describes it."""

    id: str
    module: str  # exercises/<id>/<module>.py is the file students hand in
    title: str
    points: int | float
    limits: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    # hidden test name -> the public test (function name in exercises/<id>/test_*.py) covering it
    public_checks: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def module_file(self) -> str:
        return f"{self.module}.py"


def read_ids(course_dir: Path = COURSE_DIR) -> list[str]:
    """The ids in registry.txt, in order; an invalid or repeated id is an error."""
    path = Path(course_dir) / REGISTRY_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the exercise registry ({exc.strerror or exc})") from None
    ids = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if not ID_PATTERN.fullmatch(entry):
            raise RegistryError(f"{path}:{number}: {entry!r} is not an exercise id like 'ex1'")
        if entry in ids:
            raise RegistryError(f"{path}:{number}: {entry!r} is listed twice")
        ids.append(entry)
    if not ids:
        raise RegistryError(f"{path}: lists no exercise")
    return ids


def _positive_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def read_manifest(exercise_id: str, course_dir: Path = COURSE_DIR) -> Exercise:
    """The Exercise that <course_dir>/<id>/manifest.toml describes, checked field by field."""
    path = Path(course_dir) / exercise_id / MANIFEST_NAME
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise RegistryError(f"{path}: missing (every exercise in {REGISTRY_NAME} needs a manifest)") from None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from None

    def bad(name, why):
        return RegistryError(f"{path}: field '{name}' {why}")

    unknown = sorted(set(data) - MANIFEST_KEYS)
    if unknown:
        raise bad(unknown[0], f"is not a manifest field (accepted: {', '.join(sorted(MANIFEST_KEYS))})")
    for name in ("module", "title", "points"):
        if name not in data:
            raise bad(name, "is missing")
    module, title, points = data["module"], data["title"], data["points"]
    if not isinstance(module, str) or not MODULE_PATTERN.fullmatch(module):
        raise bad("module", f"must be a lower-case Python module name like \"shapes\", got {module!r}")
    if not isinstance(title, str) or not title.strip():
        raise bad("title", f"must be a non-empty string, got {title!r}")
    if not _positive_number(points):
        raise bad("points", f"must be a positive number, got {points!r}")
    limits = data.get("limits", {})
    if not isinstance(limits, dict):
        raise bad("limits", "must be a table ([limits])")
    for key, value in limits.items():
        if key not in LIMIT_KEYS:
            raise bad(f"limits.{key}", f"is not a limit (accepted: {', '.join(LIMIT_KEYS)})")
        if not _positive_number(value):
            raise bad(f"limits.{key}", f"must be a positive number of seconds, got {value!r}")
    public_checks = data.get("public_checks", {})
    if not isinstance(public_checks, dict):
        raise bad("public_checks", "must be a table ([public_checks]) of hidden test = \"public test\"")
    for hidden, public in public_checks.items():
        if not TEST_NAME_PATTERN.fullmatch(hidden):
            raise bad(f"public_checks.{hidden}", "is not a hidden test's name (test_...)")
        if not isinstance(public, str) or not TEST_NAME_PATTERN.fullmatch(public):
            raise bad(f"public_checks.{hidden}", f"must name a public test function (\"test_...\"), got {public!r}")
    return Exercise(exercise_id, module, title.strip(), points, MappingProxyType(dict(limits)),
                    MappingProxyType(dict(public_checks)))


def load(course_dir: Path = COURSE_DIR) -> tuple[Exercise, ...]:
    """Every exercise of the registry at `course_dir`, in order; two sharing a module is an error."""
    exercises = tuple(read_manifest(ex, course_dir) for ex in read_ids(course_dir))
    seen = {}
    for ex in exercises:
        if ex.module in seen:
            raise RegistryError(f"{Path(course_dir) / ex.id / MANIFEST_NAME}: field 'module' "
                                f"{ex.module!r} is already the module of {seen[ex.module]}")
        seen[ex.module] = ex.id
    return exercises


@functools.lru_cache(maxsize=None)
def exercises() -> tuple[Exercise, ...]:
    """The course's exercises (grader/course), read once."""
    return load(COURSE_DIR)


def ids() -> tuple[str, ...]:
    return tuple(ex.id for ex in exercises())


def get(exercise_id: str) -> Exercise:
    for ex in exercises():
        if ex.id == exercise_id:
            return ex
    raise KeyError(f"{exercise_id!r} is not in {COURSE_DIR / REGISTRY_NAME}")


def titles() -> dict[str, str]:
    return {ex.id: ex.title for ex in exercises()}


def total_points() -> int | float:
    """Full marks for the whole course."""
    return sum(ex.points for ex in exercises())


def course_data(course_dir: Path | None = None) -> dict:
    """What the worker needs, as JSON-able data: sandboxed/layout.py reads this (in the kit,
    from the course.json that sandbox.make_kit writes), since the kit has no grader.*."""
    chosen = exercises() if course_dir is None else load(course_dir)
    return {"exercises": [{"id": ex.id, "module": ex.module, "points": ex.points} for ex in chosen]}
