"""`cnn-grader audit [exN ...]`: prove that a course is sound, one row per exercise.

For each exercise it checks, and names what fails:
- reference: the reference solution scores full marks in the sandbox;
- repeat: a second run of the reference (in this process) gives the same tests, scores and
  messages, and its suite loaded no other exercise's module;
- stub: the student stub scores 0;
- public: the public tests pass on the reference and fail on the stub, and fail on every mutant
  of the bug zoo ("catches N/N mutants": no kind of mistake is invisible before grading);
- mistakes: every MISTAKES entry of the bug zoo fails a public test whose message says its words;
- mirror: the manifest's [public_checks] maps every hidden test to an existing public test;
- bug zoo: every mutant (grader/course/<id>/bugzoo.py) loses points in its own exercise, and
  since the suite loads only its own module (see repeat) nowhere else;
- points: the manifest's points equal the hidden suite's @points;
- readme: the README's grading table is up to date (grader.rubric).

Exits 1 if any check fails. The tests (tests/test_bugzoo.py) reuse these functions.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from . import registry, rubric, runner
from .paths import EXERCISES_DIR, REPO_ROOT, SOLUTIONS_DIR
from .results import ExerciseResult, Result


@dataclass
class Row:
    exercise: str
    points: float
    checks: dict = field(default_factory=dict)  # check name -> short summary
    failures: list = field(default_factory=list)  # "check: why"

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, check: str, why: str):
        self.failures.append(f"{check}: {why}")


def mutants(exercise_id: str) -> list:
    """The bug zoo of an exercise: MUTANTS of grader/course/<id>/bugzoo.py."""
    return list(importlib.import_module(f"grader.course.{exercise_id}.bugzoo").MUTANTS)


def mistakes(exercise_id: str) -> list:
    """The mistakes the public tests must name: MISTAKES of grader/course/<id>/bugzoo.py (optional)."""
    return list(getattr(importlib.import_module(f"grader.course.{exercise_id}.bugzoo"), "MISTAKES", []))


def module_path(root: Path, exercise_id: str) -> Path:
    return Path(root) / exercise_id / registry.get(exercise_id).module_file


def mutated(exercise_id: str, mutant) -> str:
    return mutant.apply(module_path(SOLUTIONS_DIR, exercise_id).read_text(encoding="utf-8"))


def submission_with(dest: Path, replace: dict) -> Path:
    """A submission folder holding the reference of every exercise, with `replace`d texts."""
    for ex in registry.ids():
        target = module_path(dest, ex)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module_path(SOLUTIONS_DIR, ex), target)
    for ex, text in replace.items():
        module_path(dest, ex).write_text(text, encoding="utf-8")
    return dest


def grade(path, exercises, isolation="inprocess") -> Result:
    return runner.grade_directory(path, isolation=isolation, exercises=tuple(exercises))


def run_with_loads(path, exercises) -> tuple[dict, set]:
    """Grade in this process; also which exercises' modules the suites loaded."""
    submission = runner.open_submission(path, "inprocess")
    try:
        results = runner.run_suites(submission, tuple(exercises))
        return results, set(submission._transport.dispatcher.loads)
    finally:
        submission.close()


def mutant_score(exercise_id: str, mutant, workdir: Path) -> float:
    """The score of exercise `exercise_id` when the reference carries `mutant`."""
    sub = submission_with(workdir, {exercise_id: mutated(exercise_id, mutant)})
    return grade(sub, (exercise_id,)).exercises[exercise_id].score


def _outcomes(result: ExerciseResult) -> list:
    return [(t.name, t.score, t.status, t.message) for t in result.tests]


def public_tests(exercise_id: str, target: str) -> int:
    """pytest's exit code for exercises/<id> run on `target` ("solutions" or "exercises")."""
    env = {**os.environ, "CNN_GRADER_TARGET": target}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXERCISES_DIR / exercise_id)],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    return run.returncode


def public_failures(exercise_id: str, cases: list, workdir: Path) -> list[dict]:
    """Run the public tests of exercises/<id> on each case's module text, in copies of the folder.

    `cases` is a list of (module_text, elsewhere): `elsewhere` files, (name, text), go into a folder
    on sys.path outside the exercise folder, as a helper installed on the student's machine would.
    All cases run in one interpreter (torch is imported once), each in a fresh pytest session.
    Returns, per case, {test function: failure message} of the tests that failed (a parametrized
    test once, its first failing case)."""
    plan = []
    for i, (text, elsewhere) in enumerate(cases):
        root = Path(workdir) / str(i)
        copy = root / "exercises"
        shutil.copytree(EXERCISES_DIR / exercise_id, copy / exercise_id,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        for name in ("conftest.py", "public_checks.py", "model_allow_list.json"):
            shutil.copyfile(EXERCISES_DIR / name, copy / name)
        module_path(copy, exercise_id).write_text(text, encoding="utf-8")
        (root / "elsewhere").mkdir()
        for name, content in elsewhere:
            (root / "elsewhere" / name).write_text(content, encoding="utf-8")
        plan.append({"root": str(root), "tests": str(copy / exercise_id), "report": str(root / "junit.xml")})
    (Path(workdir) / "plan.json").write_text(json.dumps(plan))
    env = {k: v for k, v in os.environ.items() if k != "CNN_GRADER_TARGET"}
    run = subprocess.run([sys.executable, "-c", "import sys, grader.audit as a; a._run_plan(sys.argv[1])",
                          str(Path(workdir) / "plan.json")], cwd=workdir, env=env, capture_output=True, text=True,
                         timeout=900)
    missing = [case["report"] for case in plan if not Path(case["report"]).is_file()]
    if run.returncode != 0 or missing:  # the harness broke: never read that as "every case failed"
        raise RuntimeError(f"running the public tests of {exercise_id} on {len(plan)} cases failed "
                           f"(exit {run.returncode}, {len(missing)} without a report):\n{run.stderr[-3000:]}")
    return [_junit_failures(Path(case["report"])) for case in plan]


def _junit_failures(report: Path) -> dict:
    failed = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        if problem is not None:
            name = re.sub(r"\[.*\]$", "", case.get("name", "?"))
            failed.setdefault(name, problem.get("message") or problem.text or "?")  # the exception, not the source
    return failed


def _run_plan(plan_file: str) -> None:
    """In a fresh interpreter: one pytest session per case; the modules a case loaded from its
    folder (the module, the tests, conftest, helpers) are forgotten before the next one."""
    import pytest

    for case in json.loads(Path(plan_file).read_text()):
        saved_path, saved_meta, before = list(sys.path), list(sys.meta_path), set(sys.modules)
        sys.path.insert(0, str(Path(case["root"]) / "elsewhere"))
        try:
            pytest.main(["-q", "-p", "no:cacheprovider", f"--junitxml={case['report']}", case["tests"]])
        finally:
            for name in set(sys.modules) - before:
                if str(getattr(sys.modules[name], "__file__", None) or "").startswith(case["root"]):
                    del sys.modules[name]
            sys.path[:], sys.meta_path[:] = saved_path, saved_meta


def _says(message: str, words) -> bool:
    return all(word.lower() in message.lower() for word in words)


def check_public_catches(row: Row, exercise_id: str, zoo: list, named_mistakes: list) -> None:
    """Every mutant fails a public test; every mistake fails one whose message says its words."""
    cases, broken = [], []
    for mutant, elsewhere in [(m, ()) for m in zoo] + [(k.mutant, tuple(k.elsewhere)) for k in named_mistakes]:
        try:
            cases.append((mutated(exercise_id, mutant), elsewhere))
        except AssertionError as exc:  # the snippet no longer matches the reference
            broken.append(mutant.name)
            row.fail("public", str(exc))
            cases.append(("", ()))  # a placeholder, so that outcomes line up; never counted
    reference = module_path(SOLUTIONS_DIR, exercise_id).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix=f"audit-public-{exercise_id}-") as tmp:
        on_reference, *outcomes = public_failures(exercise_id, [(reference, ()), *cases], Path(tmp))
    if on_reference:  # the copy the mutants run in must pass as it is, or nothing below means anything
        row.fail("public", f"in the audit's copy of exercises/{exercise_id}, the reference fails {sorted(on_reference)}")
        return
    caught = said = 0
    for mutant, failed in zip(zoo, outcomes):
        if mutant.name in broken:
            continue
        if failed:
            caught += 1
        else:
            row.fail("public", f"the public tests pass on mutant {mutant.name}: add a public check "
                               f"that catches it ({mutant.why})")
    for mistake, failed in zip(named_mistakes, outcomes[len(zoo):]):
        if mistake.name in broken:
            continue
        if any(_says(message, mistake.says) for message in failed.values()):
            said += 1
        else:
            shown = "; ".join(f"{t}: {m.strip().splitlines()[0] if m.strip() else '?'}" for t, m in failed.items())
            row.fail("mistakes", f"no public test fails on {mistake.name} with a message saying "
                                 f"{' and '.join(map(repr, mistake.says))} (failed: {shown or 'none'})")
    row.checks["public"] += f", catches {caught}/{len(zoo)} mutants"
    row.checks["mistakes"] = f"{said}/{len(named_mistakes)}"


class _Background(threading.Thread):
    """`fn(*args)` in a thread; `join` re-raises what it raised."""

    def __init__(self, fn, *args):
        super().__init__(name=f"audit-{fn.__name__}", daemon=True)
        self._fn, self._args, self._error = fn, args, None
        self.start()

    def run(self):
        try:
            self._fn(*self._args)
        except BaseException as exc:  # noqa: BLE001 - handed to join
            self._error = exc

    def join(self, timeout=None):
        super().join(timeout)
        if self._error is not None:
            raise self._error


def audit(exercise_ids=None, isolation="sandbox") -> list[Row]:
    """Every check on every exercise of `exercise_ids` (default: the whole registry)."""
    ids = tuple(exercise_ids or registry.ids())
    rows = {ex: Row(ex, registry.get(ex).points) for ex in ids}
    sandboxed = grade(SOLUTIONS_DIR, ids, isolation).exercises
    stub = grade(EXERCISES_DIR, ids).exercises
    for ex, row in rows.items():
        full = row.points
        got = sandboxed[ex].score
        row.checks["reference"] = f"{got:g}/{full:g}"
        if got != full or sandboxed[ex].max_score != full:
            failed = [t.name for t in sandboxed[ex].tests if t.status != "passed"]
            row.fail("reference", f"scores {got:g}/{sandboxed[ex].max_score:g} of {full:g} ({', '.join(failed)})")
        again, loads = run_with_loads(SOLUTIONS_DIR, (ex,))
        same = _outcomes(again[ex]) == _outcomes(sandboxed[ex])
        row.checks["repeat"] = "same" if same and loads == {ex} else "differs"
        if not same:
            row.fail("repeat", "a second run of the reference gave other results")
        if loads != {ex}:
            row.fail("repeat", f"the suite loaded other exercises' modules: {sorted(loads - {ex})}")
        row.checks["stub"] = f"{stub[ex].score:g}"
        if stub[ex].score != 0:
            row.fail("stub", f"the stub scores {stub[ex].score:g}, not 0")
        ref_rc, stub_rc = public_tests(ex, "solutions"), public_tests(ex, "exercises")
        row.checks["public"] = "ok" if ref_rc == 0 and stub_rc == 1 else "FAIL"
        if ref_rc != 0:
            row.fail("public", f"the public tests fail on the reference (pytest exit {ref_rc})")
        if stub_rc != 1:
            row.fail("public", f"the public tests do not fail on the stub (pytest exit {stub_rc})")
        try:
            zoo = mutants(ex)
        except (ImportError, AttributeError) as exc:
            zoo = []
            row.fail("bugzoo", f"grader/course/{ex}/bugzoo.py: {exc}")
        try:
            named_mistakes = mistakes(ex)
        except ImportError as exc:
            named_mistakes = []
            row.fail("mistakes", f"grader/course/{ex}/bugzoo.py: {exc}")
        # The public tests run in a subprocess: on the other core while the mutants are graded here.
        public = _Background(check_public_catches, row, ex, zoo, named_mistakes)
        caught = 0
        with tempfile.TemporaryDirectory(prefix=f"audit-{ex}-") as tmp:
            for i, mutant in enumerate(zoo):
                try:
                    score = mutant_score(ex, mutant, Path(tmp) / str(i))
                except AssertionError as exc:  # the snippet no longer matches the reference
                    row.fail("bugzoo", str(exc))
                    continue
                if score < full:
                    caught += 1
                else:
                    row.fail("bugzoo", f"mutant {mutant.name} keeps full marks ({mutant.why})")
        if not zoo:
            row.fail("bugzoo", "no mutant")
        row.checks["mutants"] = f"{caught}/{len(zoo)}"
        public.join()
        try:
            tests = rubric.hidden_tests(rubric.suite_path(ex))
            hidden = sum(t.points for t in tests)
            row.checks["points"] = f"{hidden:g}"
            if hidden != full:
                row.fail("points", f"the hidden @points add up to {hidden:g}, the manifest says {full:g}")
            problems = rubric.mirror_problems(registry.get(ex), tests, rubric.public_tests(ex))
            row.checks["mirror"] = "ok" if not problems else "incomplete"
            for problem in problems:
                row.fail("mirror", problem)
            path, old, new = rubric.regenerate(registry.get(ex))
            row.checks["readme"] = "ok" if old == new else "stale"
            if old != new:
                row.fail("readme", f"{path} is stale: run `python -m grader.rubric --write`")
        except rubric.RubricError as exc:
            row.checks.setdefault("readme", "error")
            row.fail("rubric", str(exc))
    return list(rows.values())


def format_rows(rows: list[Row]) -> str:
    keys = ("reference", "repeat", "stub", "public", "mistakes", "mutants", "mirror", "points", "readme")
    lines = ["exercise  result  " + "  ".join(keys)]
    for row in rows:
        lines.append(f"{row.exercise:<8}  {'ok' if row.ok else 'FAIL':<6}  "
                     + "  ".join(f"{row.checks.get(k, '-'):<{len(k)}}" for k in keys))
        lines += [f"  {row.exercise}: {why}" for why in row.failures]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="cnn-grader audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("exercises", nargs="*", help="exercise ids (default: every exercise)")
    parser.add_argument("--isolation", choices=["sandbox", "inprocess"], default="sandbox",
                        help="where the reference's graded run happens (default: sandbox)")
    args = parser.parse_args(argv)
    unknown = [ex for ex in args.exercises if ex not in registry.ids()]
    if unknown:
        parser.error(f"not in the registry: {', '.join(unknown)}")
    rows = audit(args.exercises, isolation=args.isolation)
    print(format_rows(rows))
    bad = [row.exercise for row in rows if not row.ok]
    print(f"audit: {'FAILED: ' + ', '.join(bad) if bad else 'every check passed'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
