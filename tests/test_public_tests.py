"""What students see: `pytest exercises/exN` on the stubs and, for staff, on the reference."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

import pytest

from grader.limits import DEFAULT as LIMITS
from grader.paths import REPO_ROOT
from grader.runner import EXERCISES

# Each public test must end well inside the students' own per-test limit (pytest-timeout, 10 s):
# half of it, so a loaded CI machine still passes. ex6/ex7's training checks are the slowest
# (about 1 s of CPU each on an idle machine).
PUBLIC_TEST_BUDGET_S = LIMITS.public_test_timeout_s / 2


def run_public_tests(tmp_path, target=None):
    """Run every exercise's public tests once; returns ({exercise: [(test, message|None, s)]}, output)."""
    report = tmp_path / f"junit-{target or 'stubs'}.xml"
    env = {k: v for k, v in os.environ.items() if k != "CNN_GRADER_TARGET"}
    if target:
        env["CNN_GRADER_TARGET"] = target
    proc = subprocess.run([sys.executable, "-m", "pytest", "exercises", "-p", "no:cacheprovider",
                           f"--junitxml={report}"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    cases = defaultdict(list)
    for case in ET.parse(report).getroot().iter("testcase"):
        exercise = case.get("classname", "").split(".")[1]  # exercises.ex3.test_cutout
        failure = case.find("failure")
        message = None if failure is None else (failure.get("message") or failure.text or "")
        cases[exercise].append((case.get("name"), message, float(case.get("time", 0))))
    return cases, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    return run_public_tests(tmp_path_factory.mktemp("stubs"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return run_public_tests(tmp_path_factory.mktemp("reference"), target="solutions")


def _checks_imports(name: str) -> bool:
    """test_<module>_imports_only_what_the_grader_has reads the module's imports and runs none of
    its code: it passes on the stub, which imports only what the grader has."""
    return name.endswith("_imports_only_what_the_grader_has")


@pytest.mark.parametrize("exercise", EXERCISES)
def test_untouched_stub_fails_every_public_test_with_one_clear_line(stubs, exercise):
    cases, output = stubs
    assert cases[exercise], f"no public tests found for {exercise}"
    assert sum(map(_checks_imports, (name for name, _, _ in cases[exercise]))) == 1, \
        f"exercises/{exercise} should have one test_<module>_imports_only_what_the_grader_has"
    for name, message, _ in cases[exercise]:
        if _checks_imports(name):
            assert message is None, f"{name} fails on the stub: {message}"
            continue
        assert message is not None, f"{name} passed on the stub"
        assert "is not implemented yet" in message and f"exercises/{exercise}/" in message, message
        assert len(message.strip().splitlines()) == 1, message
    assert "Traceback" not in output


@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_passes_every_public_test_quickly(reference, exercise):
    cases, output = reference
    assert cases[exercise], f"no public tests found for {exercise}"
    failed = [(name, message) for name, message, _ in cases[exercise] if message is not None]
    assert failed == [], output[-3000:]
    slowest = max(cases[exercise], key=lambda case: case[2])
    assert slowest[2] < PUBLIC_TEST_BUDGET_S, f"{exercise}: {slowest[0]} took {slowest[2]:.1f} s"
