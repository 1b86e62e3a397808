"""Grading a whole class: one judge process per submission, a few at a time, crash-safe.

    cnn-grader batch DIR --out OUT [--jobs N] [--resume]

Every subfolder and every .zip of DIR is one submission, named after it (a name that cannot
be used as it is gets a safe one and a note: see `discover`). Each is graded by a
separate judge process (`cnn-grader judge SUBMISSION --name NAME --out-dir OUT/NAME`, forked
from a preloaded server: see judge_command and judge_process), so that a judge that dies or
hangs costs one submission an error result and nothing else.

Crash safety: a judge writes result.json, feedback.md and results.json into a temporary folder
next to OUT/NAME and renames it into place, so OUT/NAME is complete or absent; grades.csv is
rewritten atomically after every submission. `kill -9` of the batch loses no finished result,
and `--resume` picks up where it stopped.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import NamedTuple

from . import inert
from .sandboxed.layout import EXERCISES
from .feedback import points
from .files import write_atomic
from .judge_process import kill_group, run_judge
from .publish import RESULT, load_result, publish
from .report import CLASS_DIR, write_report
from .results import Result, error_result, submission_name

from .limits import DEFAULT as _LIMITS  # noqa: E402 - docs/limits.md
JUDGE_TIMEOUT_S = _LIMITS.judge_timeout_s
CSV_NAME = "grades.csv"
# Names in OUT that belong to the class, not to a submission: grades.csv, the class outputs'
# folder (report.CLASS_DIR) and names kept for later class outputs.
RESERVED_NAMES = frozenset({CSV_NAME, CLASS_DIR, "report.html", "report", "class", "similarity", "regrade"})
MAX_NAME_BYTES = 200  # OUT/NAME's temporary sibling, ".NAME.tmp-XXXXXXXX", must fit in 255 bytes


# ---------------------------------------------------------------------------------------------
# the batch


class Discovered(NamedTuple):
    name: str  # its results folder OUT/NAME and its row in grades.csv
    path: Path
    note: str  # why `name` is not the name it was handed in under ("" when it is)


def discover(directory) -> list[Discovered]:
    """Each submission in `directory`, sorted by name: subfolders and .zip files (hidden entries
    and symlinks are skipped).

    A hostile or unlucky name must not stop the class being graded, so a name that cannot be
    used as it is (`_unusable`) is still graded, as NAME~2 (or ~3, ...) with its characters
    cleaned: the first such name that no other submission has, so an honest name never moves
    for another's, and the outcome never depends on the order the folder is listed in.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"no such folder: {directory}")
    taken: dict[str, str] = {}  # casefolded name -> the entry that has it
    found, renamed = [], []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            name = entry.name
        elif entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(".zip"):
            name = submission_name(entry.path)
        else:
            continue
        reason = _unusable(name)
        if not reason and name.casefold() in taken:
            reason = f"another submission ({taken[name.casefold()]}) has the same name"
        if reason:
            renamed.append((name, Path(entry.path), reason))
        else:
            taken[name.casefold()] = entry.name
            found.append(Discovered(name, Path(entry.path), ""))
    for name, path, reason in renamed:
        base = _clean(name).lstrip(".").encode()[:MAX_NAME_BYTES - 8].decode(errors="ignore") or "submission"
        number = 2
        while f"{base}~{number}".casefold() in taken:
            number += 1
        safe = f"{base}~{number}"
        taken[safe.casefold()] = path.name
        found.append(Discovered(safe, path, f"graded as {safe}: '{inert.escape(path.name)}' was renamed, "
                                            f"because {reason}"))
    return sorted(found)


def _clean(name: str) -> str:
    """`name` with "_" for each character no file name or console line should hold."""
    return "".join("_" if c in "\n\t" or not inert.is_clean(c) else c for c in name)


def _unusable(name: str) -> str:
    """Why `name` cannot name a results folder and a gradebook row ("" if it can)."""
    if not name or name.startswith("."):
        return "a results folder cannot be empty or hidden"
    if name.casefold() in RESERVED_NAMES:
        return f"'{name}' is reserved for the batch's own outputs"
    if _clean(name) != name:
        return "its name has control, invisible or non-UTF-8 characters"
    if len(name.encode()) > MAX_NAME_BYTES:
        return f"its name is longer than {MAX_NAME_BYTES} bytes"
    return ""


def write_csv(out: Path, results: dict[str, Result]) -> Path:
    """OUT/grades.csv: submission, ex1..ex7, total, note; one row per result, sorted by name.

    Every cell goes through `inert.cell`, so a spreadsheet shows it and never runs it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rows = [["submission", *EXERCISES, "total", "note"]]
    for name in sorted(results):
        per = results[name].exercises
        rows.append([name, *(points(per[ex].score) if ex in per else "" for ex in EXERCISES),
                     points(results[name].score), results[name].note or ""])
    writer.writerows([inert.cell(value) for value in row] for row in rows)
    return write_atomic(out / CSV_NAME, buffer.getvalue())


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class _Judges:
    """The judge processes now running, so that an interrupted batch can stop them all."""

    def __init__(self, jobs=1):
        self.lock = threading.Lock()
        self.running: set = set()
        self.cancelled = threading.Event()
        # Each judge running at once gets its own slot number, so its workers can run as a user
        # of their own (the Docker image has one per slot): parallel workers can't see each other.
        self.free_slots: queue.SimpleQueue[int] = queue.SimpleQueue()
        for slot in range(jobs):
            self.free_slots.put(slot)

    def stop_all(self):
        self.cancelled.set()
        with self.lock:
            processes = list(self.running)
        for process in processes:
            kill_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in processes:
            if process.wait(timeout=max(0.1, deadline - time.monotonic())) is None:
                kill_group(process, signal.SIGKILL)

    def add(self, process):
        with self.lock:
            self.running.add(process)

    def discard(self, process):
        with self.lock:
            self.running.discard(process)


def _warn_if_slots_share_a_user(jobs):
    """The Docker image has a worker user per slot, up to a limit; past it, slots share one."""
    import pwd

    user = os.environ.get("CNN_GRADER_WORKER_USER")
    if not user:
        return
    try:
        pwd.getpwnam(f"{user}{jobs - 1}")
    except KeyError:
        print(f"warning: no worker user {user}{jobs - 1}: with --jobs {jobs} some parallel workers "
              f"share the user {user!r}; use fewer jobs (docs/docker.md)", file=sys.stderr)


def default_judge_command():
    """`cnn-grader judge`, forked from a server that has imported torch and pytest once, or,
    on a Python whose server anyone could talk to, started afresh each time."""
    from . import judge_command, judge_process

    return judge_command.main if judge_process.forkserver_is_private() else [sys.executable, "-m", "grader", "judge"]


def _run_judge(name, path, out, *, judges, isolation, exercises, timeout, judge_command, visibility, workdir,
               note=""):
    """Run one judge process; returns (name, result, seconds). Never raises for a bad judge."""
    out_dir = out / name
    # Absolute paths: the judge runs in an empty working directory of its own. "--name=NAME":
    # a name such as "-cmd" is not an option.
    argv = [str(Path(path).resolve()), f"--name={name}", "--out-dir", str(out_dir.resolve()),
            "--isolation", isolation, "--exercises", ",".join(exercises), "--visibility", visibility,
            *([f"--note={note}"] if note else [])]
    judge_command = judge_command or default_judge_command()
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CNN_GRADER_JUDGE_OF_BATCH="1",
               PYTHONPATH=os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p))
    if judges.cancelled.is_set():
        return name, None, 0.0
    slot = judges.free_slots.get()
    env["CNN_GRADER_SLOT"] = str(slot)
    log_path = Path(workdir) / f"judge-{uuid.uuid4().hex}.log"
    try:
        outcome = run_judge(judge_command, argv, result_path=out_dir / RESULT, timeout=timeout, env=env,
                            cwd=workdir, log_path=log_path, on_start=judges.add, on_end=judges.discard)
    finally:
        judges.free_slots.put(slot)
        log_path.unlink(missing_ok=True)
    if judges.cancelled.is_set():
        return name, None, outcome.seconds
    if outcome.result is not None:
        return name, outcome.result, outcome.seconds
    result = error_result(name, outcome.failure, exercises=exercises, duration_s=outcome.seconds, note=note,
                          detail=outcome.detail)
    publish(result, out_dir, visibility=visibility)
    return name, result, outcome.seconds


def _clean_leftovers(out: Path):
    """Temporary folders and files of an interrupted earlier run (never a finished result)."""
    for entry in out.iterdir():
        if entry.name.startswith(".") and (".tmp-" in entry.name or ".old-" in entry.name
                                           or entry.name.endswith(".tmp")):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def run_batch(directory, out, *, jobs=1, resume=False, isolation="sandbox", exercises=EXERCISES,
              timeout=JUDGE_TIMEOUT_S, judge_command=None, visibility="after_published",
              progress=True, report=None) -> dict:
    """Grade every submission in `directory` into `out`; returns a summary dict.

    `report(text)` receives the final table (default: print to stdout).
    """
    from tqdm import tqdm

    from .feedback import score_table, summary_stats

    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    if timeout <= 0:
        raise ValueError(f"--timeout must be positive, got {timeout}")
    exercises = tuple(exercises)
    unknown = [ex for ex in exercises if ex not in EXERCISES]
    if unknown or not exercises:
        raise ValueError(f"unknown exercises {unknown}: choose from {', '.join(EXERCISES)}")
    submissions = discover(directory)
    if not submissions:
        raise ValueError(f"no submissions in {directory}: expected one subfolder or .zip file per student")
    out = Path(out)
    if out.resolve() == Path(directory).resolve() or Path(directory).resolve() in out.resolve().parents:
        raise ValueError("--out must not be inside the submissions folder")
    out.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(out)

    results: dict[str, Result] = {}
    todo = []
    for name, path, note in submissions:
        done = load_result(out / name) if resume else None
        if done is not None and set(done.exercises) == set(exercises):  # same exercises graded
            results[name] = done
        else:
            todo.append((name, path, note))
    skipped = len(results)
    write_csv(out, results)

    judges = _Judges(jobs)
    _warn_if_slots_share_a_user(jobs)
    bar = tqdm(total=len(todo), file=sys.stderr, unit="submission", desc="grading",
               disable=not progress, dynamic_ncols=True)
    if skipped:
        bar.write(f"resuming: {skipped} submission(s) already graded, {len(todo)} to go", file=sys.stderr)
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="cnn-grader-batch-")  # an empty cwd for the judges
    try:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="judge") as pool:
            futures = [pool.submit(_run_judge, name, path, out, judges=judges, isolation=isolation,
                                   exercises=exercises, timeout=timeout, judge_command=judge_command,
                                   visibility=visibility, workdir=workdir, note=note)
                       for name, path, note in todo]
            try:
                for future in as_completed(futures):
                    name, result, seconds = future.result()
                    if result is None:
                        continue
                    results[name] = result
                    write_csv(out, results)
                    bar.update(1)
                    remarks = ((result.error or "")[:80], result.note)
                    bar.write(f"{name}: {points(result.score)} / {points(result.max_score)} "
                              f"in {seconds:.1f} s" + "".join(f"  ({r})" for r in remarks if r), file=sys.stderr)
            except BaseException:
                for future in futures:
                    future.cancel()
                judges.stop_all()
                bar.write(f"stopped: the {len(results)} finished result(s) are kept in {out}; "
                          "run again with --resume to grade the rest", file=sys.stderr)
                raise
    finally:
        bar.close()
        shutil.rmtree(workdir, ignore_errors=True)

    ordered = [results[name] for name, *_ in submissions if name in results]
    csv_path = out / CSV_NAME
    text = "\n".join([
        score_table(ordered), "", "per exercise:", summary_stats(ordered), "",
        f"graded {len(todo)} submission(s) in {time.monotonic() - started:.1f} s"
        + (f", {skipped} already done (--resume)" if skipped else ""),
        f"grades:   {csv_path}",
        f"feedback: {out}/<submission>/feedback.md (and result.json, Gradescope's results.json)",
        f"isolation: {_isolation(isolation)}",
        _class_report(out, ordered),
        *_needing_a_human(ordered),
    ])
    (report or print)(text)
    return {"results": ordered, "csv": str(csv_path), "graded": len(todo), "skipped": skipped,
            "errors": sorted(r.submission for r in ordered if r.error),
            "needs_human": sorted(r.submission for r in ordered if r.needs_human)}


def _class_report(out, results) -> str:
    """Write OUT/_class/report.html (grader.report); a failure there never fails the batch."""
    try:
        path, note = write_report(out, results)
    except Exception as exc:  # noqa: BLE001 - the grades are written; the report is a bonus
        return f"report:   not written ({type(exc).__name__}: {exc})"
    return f"report:   {path} (staff only)" + (f"; {note}" if note else "")


def _needing_a_human(results) -> list[str]:
    """The submissions with a test the grader failed on: 0 points there until a TA regrades."""
    names = [r.submission for r in results if r.needs_human]
    if not names:
        return []
    return ["", f"needs a human ({len(names)}): the grader failed on a test of these submissions, which "
            "scores 0 until you regrade it (result.json: status grader_error, grader_detail):",
            *(f"  {name}" for name in names)]


def _isolation(isolation):
    if isolation == "inprocess":
        return "none: student code ran in the judge's process (trusted code only)"
    from .sandbox import describe

    return describe()
