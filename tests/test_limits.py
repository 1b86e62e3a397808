"""grader.limits: one Limits object, per-exercise overrides from the manifests, a fresh docs table."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from grader import limits, registry, sandbox
from grader.sandboxed import codec, framing

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "limits.md"


def _write_course(root: Path, limits_toml: str) -> Path:
    (root / "ex1").mkdir(parents=True)
    (root / "registry.txt").write_text("ex1\n")
    (root / "ex1" / "manifest.toml").write_text(
        f'module = "shapes"\ntitle = "shapes"\npoints = 10\n\n[limits]\n{limits_toml}\n')
    return root


def test_docs_table_is_fresh():
    assert DOC.read_text(encoding="utf-8") == limits.markdown(), (
        "docs/limits.md is stale: run `python -m grader.limits --markdown > docs/limits.md`")


def test_cli_prints_the_table():
    out = subprocess.run([sys.executable, "-m", "grader.limits", "--markdown"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    assert out == limits.markdown()


def test_every_field_is_documented():
    for f in dataclasses.fields(limits.Limits):
        assert f.metadata.get("doc") and f.metadata.get("unit") and f.metadata.get("part"), f.name
        assert f"`{f.name}`" in limits.markdown()


def test_table_lists_the_worker_kits_caps():
    """The kit can't import grader.limits; the table reads its constants, and shows them right."""
    for module, name, _, _ in limits.KIT_CAPS:
        assert limits.kit_constant(module, name) == getattr({"framing": framing, "codec": codec}[module], name)
        assert f"`{name}`" in limits.markdown()


def test_manifest_keys_are_the_overridable_fields():
    assert set(registry.LIMIT_KEYS) == set(limits.overridable())


def test_sandbox_limits_are_the_worker_fields():
    worker = sandbox.Limits()
    for f in dataclasses.fields(worker):
        assert getattr(worker, f.name) == getattr(limits.DEFAULT, f"worker_{f.name}")


def test_old_constants_read_the_defaults():
    from grader import archive, batch, judge_process, release, runner, worker_link
    from grader.otter import plugin

    d = limits.DEFAULT
    assert runner.SUBMISSION_BUDGET_S == d.submission_budget_s
    assert batch.JUDGE_TIMEOUT_S == d.judge_timeout_s
    assert judge_process.JUDGE_MEMORY_BYTES == d.judge_memory_bytes
    assert plugin.DEFAULTS["judge_timeout"] == d.otter_judge_timeout_s
    assert worker_link.STARTUP_TIMEOUT == d.startup_timeout_s
    assert archive.MAX_TOTAL_BYTES == d.archive_total_bytes
    assert f"timeout = {d.public_test_timeout_s:g}\n" in release._pyproject({})


def test_no_exercise_overrides_today():
    for exercise_id in registry.ids():
        assert limits.for_exercise(exercise_id) == limits.DEFAULT


def test_manifest_override_changes_for_exercise(tmp_path, monkeypatch):
    course = _write_course(tmp_path / "course", "training_timeout_s = 5")
    exercise = registry.read_manifest("ex1", course)
    monkeypatch.setattr(registry, "get", lambda exercise_id: exercise)
    got = limits.for_exercise("ex1")
    assert got.training_timeout_s == 5
    assert got.call_timeout_s == limits.DEFAULT.call_timeout_s
    assert limits.DEFAULT.training_timeout_s == 60.0  # the default itself is untouched


def test_call_timeout_override_reaches_the_seam(tmp_path, monkeypatch):
    """A call without its own timeout gets its exercise's call_timeout_s."""
    from grader import seam

    exercise = registry.read_manifest("ex1", _write_course(tmp_path / "course", "call_timeout_s = 3.5"))
    monkeypatch.setattr(registry, "get", lambda exercise_id: exercise)
    seen = []

    class Transport:
        description, charged_s = "fake", 0.0

        def request(self, op, exercise, name, args, kwargs, timeout):
            seen.append(timeout)
            return {"ok": True}, 42

    assert seam.Submission(Transport()).ex1.anything(1) == 42
    assert seen == [3.5]


@pytest.mark.parametrize("toml, why", [
    ("training_timout_s = 5", "is not a limit"),
    ("worker_memory_bytes = 5", "is not a limit"),  # a Limits field, but not a per-exercise one
    ("training_timeout_s = -1", "positive number"),
])
def test_bad_overrides_are_refused(tmp_path, toml, why):
    course = _write_course(tmp_path / "course", toml)
    with pytest.raises(registry.RegistryError, match=why):
        registry.read_manifest("ex1", course)
