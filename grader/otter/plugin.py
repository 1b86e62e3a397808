"""Otter plugin that grades with the sandboxed judge instead of otter's kernel.

How it runs inside otter 7.0.0 (``otter run`` and Gradescope's ``run_autograder`` alike), in
otter's own process:

1. otter unpacks the submission into ``<ag>/submission`` and copies our support files there:
   ``tests/`` (one placeholder test) and the entry notebook ``cnn_grader_entry.ipynb``, which
   otter picks as "the submission" (a notebook wins over any ``.py`` files).
2. ``before_grading`` (runs before otter executes or unpickles anything from the submission):
   writes a placeholder results.json, copies the student's regular files (no symlinks) to a
   private directory, then **removes every student file from the submission directory**, so
   the kernel otter starts there cannot import student modules (a top-level
   ``ipykernel_launcher.py`` would otherwise run at kernel start-up) and otter's log unpickling
   (``.OTTER_LOG``) has nothing to load. It then runs the judge, ``python -m grader grade``, as
   a subprocess in an empty working directory, with a time limit, and writes the judge's
   results as results.json right away.
3. ``before_execution`` hands otter an empty notebook: no student code runs in otter's kernel,
   so monkeypatching otter, ``while True`` and ``os._exit`` in student code change nothing here.
4. ``after_grading`` replaces otter's ``GradingResults`` so otter's own results.json writer emits
   the judge's results (the same dict as in step 2).

``gradescope_main`` is the Gradescope entry point (the zip's ``run_otter.py``): it runs otter
and, should otter stop before the plugin finished (a malformed upload that otter rejects before
any plugin runs), grades with the judge directly, so every run ends with the judge's results.json.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Optional

from ..judge_process import JudgeOutcome, run_judge
from ..results import TA
from .results import (
    EXTRA_KEY,
    error_results,
    failure_results,
    is_final,
    judge_results,
    pending_results,
    write_gradescope,
)

try:  # otter is only needed when otter loads this module; keep the module importable without it
    from otter.plugins import AbstractOtterPlugin
except ImportError:  # pragma: no cover - exercised only without otter installed
    class AbstractOtterPlugin:  # type: ignore[no-redef]
        def __init__(self, submission_path, submission_metadata, plugin_config):
            self.submission_path = submission_path
            self.submission_metadata = submission_metadata
            self.plugin_config = plugin_config


PLUGIN_NAME = "grader.otter.plugin.JudgePlugin"
ENTRY_NOTEBOOK = "cnn_grader_entry.ipynb"
#: what our autograder puts into the submission directory (everything else there is the student's)
OTTER_OWNED = frozenset({"tests", ENTRY_NOTEBOOK})

from ..limits import DEFAULT as LIMITS  # noqa: E402 - every limit is in docs/limits.md

DEFAULTS: dict[str, Any] = {
    "judge_command": None,  # argv of `cnn-grader`; None: [sys.executable, "-P", "-m", "grader"]
    "judge_timeout": LIMITS.otter_judge_timeout_s,  # seconds for the whole judge run
    "visibility": "after_published",  # of the judge's (hidden) tests and the total on Gradescope
    "max_files": LIMITS.upload_max_files,
    "max_bytes": LIMITS.upload_max_bytes,
}

LOG_TAIL = LIMITS.otter_log_tail_bytes  # bytes of the judge's output kept for the instructors' log
_SKIP_NAMES = {"__pycache__", ".OTTER_LOG", ".git", ".ipynb_checkpoints", "__MACOSX", ".DS_Store"}


def _log(*parts: Any) -> None:
    print("[cnn-grader]", *parts, flush=True)


def default_judge_command() -> list[str]:
    """``python -m grader`` with the interpreter otter runs on (``-P``: no cwd on sys.path)."""
    cmd = [sys.executable]
    if sys.version_info >= (3, 11):
        cmd.append("-P")
    return cmd + ["-m", "grader"]


# ---------------------------------------------------------------------------- submission staging


class SubmissionTooLarge(Exception):
    pass


def stage_submission(src: Path, dest: Path, *, max_files: int, max_bytes: int) -> Path:
    """Copy the student's regular files from ``src`` to ``dest`` and return what to grade.

    Symlinks, devices, otter's own files and caches are skipped. Returns the path to pass to the
    judge: ``dest`` (the judge finds the exercise modules in any layout it accepts), or the one
    ``.zip`` uploaded when that is all there is.
    """
    dest.mkdir(parents=True, exist_ok=True)
    n_files = n_bytes = 0
    for root, dirs, files in os.walk(src, followlinks=False):
        rel_root = Path(root).relative_to(src)
        at_top = rel_root == Path(".")
        keep = []
        for d in dirs:
            p = Path(root, d)
            if d in _SKIP_NAMES or p.is_symlink() or (at_top and d in OTTER_OWNED):
                continue
            keep.append(d)
        dirs[:] = sorted(keep)
        for f in sorted(files):
            p = Path(root, f)
            if f in _SKIP_NAMES or f.endswith(".pyc"):
                continue
            if at_top and (f in OTTER_OWNED or f == "__init__.py"):
                continue  # otter creates an empty top-level __init__.py
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue  # symlink, fifo, device...
            n_files += 1
            n_bytes += st.st_size
            if n_files > max_files or n_bytes > max_bytes:
                raise SubmissionTooLarge(
                    f"the upload has more than {max_files} files or more than "
                    f"{max_bytes // 2**20} MiB; upload the submission.zip of the release bundle"
                )
            target = dest / rel_root / f
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(p, "rb") as fin, open(target, "wb") as fout:
                shutil.copyfileobj(fin, fout)
    return _grading_root(dest)


def _grading_root(dest: Path) -> Path:
    if not any(dest.rglob("*.py")):
        zips = [p for p in dest.iterdir() if p.is_file() and p.suffix.lower() == ".zip"]
        if len(zips) == 1:
            return zips[0]  # a zip inside the upload: the judge unpacks .zip submissions itself
    return dest


def clear_directory(d: Path, keep: frozenset[str] = OTTER_OWNED) -> list[str]:
    """Delete everything in ``d`` except the names in ``keep``; returns what could not be removed."""
    left = []
    for name in os.listdir(d):
        if name in keep and not os.path.islink(os.path.join(d, name)):
            continue
        p = os.path.join(d, name)
        try:
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
        except OSError:
            left.append(name)
    return [n for n in os.listdir(d) if n not in keep] or left


def sanitize_upload(d: Path) -> list[str]:
    """Make an upload safe for otter's own file handling, before otter touches it.

    Gradescope may extract symlinks from an uploaded zip; otter then copies its support files
    *through* them (``shutil.copy`` onto a symlinked ``cnn_grader_entry.ipynb`` overwrites the
    link's target) and crashes on a ``tests`` that is not a folder. So: remove every symlink and
    special file, the top-level names otter writes itself, and extra top-level notebooks (otter
    refuses more than one). None of these is an exercise module, so grading is unchanged.
    Returns what was removed.
    """
    removed = []
    for root, dirs, files in os.walk(d, topdown=True, followlinks=False):
        for name in list(dirs) + list(files):
            p = os.path.join(root, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            at_top = os.path.samefile(root, d)
            special = not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))
            otters = at_top and (name in OTTER_OWNED or name == "__init__.py"
                                 or name.lower().endswith(".ipynb"))
            if special or otters:
                try:
                    if stat.S_ISDIR(st.st_mode):
                        shutil.rmtree(p)
                    else:
                        os.unlink(p)
                    removed.append(os.path.relpath(p, d))
                except OSError:
                    pass
                if name in dirs:
                    dirs.remove(name)
    return removed


# ---------------------------------------------------------------------------- running the judge


def judge_upload(
    target: Path,
    *,
    command: Optional[list[str]] = None,
    timeout: float = DEFAULTS["judge_timeout"],
    workdir: Optional[Path] = None,
) -> JudgeOutcome:
    """Run ``cnn-grader grade TARGET --json OUT`` as a subprocess (`judge_process.run_judge`)."""
    cmd = list(command or default_judge_command())
    own_tmp = workdir is None
    work = Path(workdir or tempfile.mkdtemp(prefix="cnn-grader-judge-"))
    out_json = work / "result.json"
    run_dir = work / "cwd"  # empty working directory: nothing to import from
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "OTTER_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        return run_judge(cmd, ["grade", str(target), "--json", str(out_json)], result_path=out_json,
                         timeout=timeout, env=env, cwd=run_dir, log_path=work / "judge.log", tail_bytes=LOG_TAIL)
    finally:
        if own_tmp:
            shutil.rmtree(work, ignore_errors=True)


def grade_directory(submission_dir: Path, config: dict[str, Any], *, clear: bool) -> tuple[dict, str]:
    """Stage, (optionally) clear, judge: the judge's Gradescope results and a log for instructors."""
    cfg = {**DEFAULTS, **(config or {})}
    t0 = time.monotonic()
    private = Path(tempfile.mkdtemp(prefix="cnn-grader-otter-"))
    try:
        try:
            target = stage_submission(
                submission_dir,
                private / "submission",
                max_files=int(cfg["max_files"]),
                max_bytes=int(cfg["max_bytes"]),
            )
        except SubmissionTooLarge as e:
            target, staged_error = None, str(e)
        else:
            staged_error = ""
        if clear:
            left = clear_directory(submission_dir)
            if left:
                raise RuntimeError(f"could not clear the submission directory: {left}")
        if target is None:
            message = staged_error
            return failure_results(message, duration_s=time.monotonic() - t0), message
        outcome = judge_upload(
            target,
            command=cfg["judge_command"],
            timeout=float(cfg["judge_timeout"]),
            workdir=private / "judge",
        )
        if outcome.result is None:
            return (failure_results(outcome.failure, detail=outcome.detail, duration_s=time.monotonic() - t0),
                    outcome.detail)
        return judge_results(outcome.result, visibility=cfg["visibility"]), outcome.log
    finally:
        shutil.rmtree(private, ignore_errors=True)


def empty_notebook():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


# ---------------------------------------------------------------------------- the otter plugin


class JudgePlugin(AbstractOtterPlugin):
    """Replaces otter's grading with the sandboxed judge's (see the module docstring)."""

    def __init__(self, submission_path, submission_metadata, plugin_config):
        super().__init__(submission_path, submission_metadata, plugin_config)
        self.config = {**DEFAULTS, **(plugin_config if isinstance(plugin_config, dict) else {})}
        self.gradescope: Optional[dict] = None
        self.judge_log = ""
        self.results_path: Optional[Path] = None

    # otter calls this during ``otter generate``; nothing to change
    def during_generate(self, otter_config, assignment):
        return None

    def before_grading(self, config):
        t0 = time.monotonic()
        try:
            ag_dir = Path(os.path.abspath(getattr(config, "autograder_dir", "/autograder")))
            self.results_path = ag_dir / "results" / "results.json"
            write_gradescope(pending_results(), self.results_path)
            # keep otter away from anything the student shipped
            for key, value in (("grade_from_log", False), ("pdf", False), ("token", None)):
                try:
                    setattr(config, key, value)
                except Exception:
                    pass
            submission_dir = Path(os.path.dirname(os.path.abspath(self.submission_path)))
            self.gradescope, self.judge_log = grade_directory(
                submission_dir, self.config, clear=True
            )
        except BaseException as e:  # never let otter fall back to its own grading
            tb = traceback.format_exc()
            self.judge_log = tb
            self.gradescope = failure_results(
                f"the autograder failed on this submission; {TA}",
                detail=tb,
                duration_s=time.monotonic() - t0,
            )
            if isinstance(e, KeyboardInterrupt):
                raise
        if self.results_path is not None:
            try:
                write_gradescope(self.gradescope, self.results_path)
            except OSError:
                pass

    def before_execution(self, submission):
        # otter executes this instead of the submission: student code never runs in its kernel
        if isinstance(submission, str):
            return "pass\n"
        return empty_notebook()

    def after_grading(self, results):
        if self.gradescope is None:  # before_grading never ran: be safe, grade nothing
            self.gradescope = error_results(
                "The autograder could not grade this submission; please tell your instructor."
            )
        results.__class__ = JudgeGradingResults
        results._cnn_grader_gradescope = self.gradescope

    def generate_report(self):
        gs = self.gradescope or {}
        lines = [f"Score from the sandboxed judge: {gs.get('score')}"]
        for name, v in ((gs.get("extra_data") or {}).get(EXTRA_KEY, {}).get("exercises") or {}).items():
            lines.append(f"  {name}: {v.get('score')} / {v.get('max_score')}")
        if self.judge_log.strip():
            lines += ["", "Judge output (tail):", self.judge_log.strip()[-3000:]]
        return "\n".join(lines)


try:
    from otter.test_files import GradingResults as _GradingResults
except ImportError:  # pragma: no cover
    _GradingResults = object  # type: ignore[assignment,misc]


class JudgeGradingResults(_GradingResults):  # type: ignore[misc,valid-type]
    """otter's GradingResults whose Gradescope output is the judge's results."""

    _cnn_grader_gradescope: dict

    def to_gradescope_dict(self, ag_config=None):  # noqa: D401 - otter's signature
        return json.loads(json.dumps(self._cnn_grader_gradescope))

    @property
    def total(self):
        return self._cnn_grader_gradescope.get("score", 0)

    @property
    def possible(self):
        info = (self._cnn_grader_gradescope.get("extra_data") or {}).get(EXTRA_KEY) or {}
        return sum((e or {}).get("max_score") or 0 for e in (info.get("exercises") or {}).values())


# ---------------------------------------------------------------------------- Gradescope entry


def _read_json(path: Path) -> Optional[dict]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _plugin_config_from(ag_dir: Path) -> dict[str, Any]:
    cfg = _read_json(ag_dir / "source" / "otter_config.json") or {}
    for entry in cfg.get("plugins", []):
        if isinstance(entry, dict) and PLUGIN_NAME in entry and isinstance(entry[PLUGIN_NAME], dict):
            return entry[PLUGIN_NAME]
    return {}


def gradescope_main(autograder_dir: str = "/autograder") -> int:
    """Gradescope's entry point: otter with our plugin, and the judge directly if otter fails early."""
    ag_dir = Path(autograder_dir)
    results_path = ag_dir / "results" / "results.json"
    try:
        removed = sanitize_upload(ag_dir / "submission")
        if removed:
            _log("removed from the upload before otter saw it:", ", ".join(sorted(removed)[:20]))
    except Exception:  # noqa: BLE001 - the plugin and the fallback still stage regular files only
        traceback.print_exc()
    try:
        from otter.run.run_autograder import main as run_autograder

        run_autograder(str(ag_dir))
    except BaseException:  # noqa: BLE001 - whatever happened, results.json is checked below
        _log("otter stopped with an error:")
        traceback.print_exc()
        sys.stdout.flush()
    if is_final(_read_json(results_path)):
        return 0
    _log("otter ended without the judge's results; grading with the judge directly")
    try:
        gs, log = grade_directory(ag_dir / "submission", _plugin_config_from(ag_dir), clear=False)
        if log.strip():
            print(log[-3000:], flush=True)
    except BaseException:  # noqa: BLE001
        print(traceback.format_exc(), flush=True)
        gs = failure_results(
            f"the autograder failed on this submission; {TA}"
        )
    write_gradescope(gs, results_path)
    return 0
