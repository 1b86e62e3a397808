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

With `--scheduler`, the same batch runs its judges on a Dask cluster instead (grader.scaleout,
given to `run_batch` as its `judges`); resuming, the CSV, the progress bar and the summary stay here.
"""

from __future__ import annotations

import contextlib
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
from .digests import submission_digest, suites_digest
from .feedback import points
from .files import write_atomic
from .lms import stage
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


def discover(directory, staged=None) -> list[Discovered]:
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
        elif staged is not None and entry.name in staged.taken:
            continue  # part of a student's upload in a flat LMS folder: graded with it
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
    for name, path in (staged.submissions if staged is not None else ()):  # grader.lms: flat LMS folders
        reason = _unusable(name)
        if not reason and name.casefold() in taken:
            reason = f"another submission ({taken[name.casefold()]}) has the same name"
        if reason:
            renamed.append((name, path, reason))
        else:
            taken[name.casefold()] = name
            found.append(Discovered(name, path, ""))
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
    """OUT/grades.csv: submission, ex1..ex7, total, status, note; one row per result, sorted by name.

    Every cell goes through `inert.cell`, so a spreadsheet shows it and never runs it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rows = [["submission", *EXERCISES, "total", "status", "note"]]
    for name in sorted(results):
        per = results[name].exercises
        rows.append([name, *(points(per[ex].score) if ex in per else "" for ex in EXERCISES),
                     points(results[name].score), results[name].status, note_cell(results[name])])
    writer.writerows([inert.cell(value) for value in row] for row in rows)
    return write_atomic(out / CSV_NAME, buffer.getvalue())


def reasons(result: Result) -> list[str]:
    """Why a result is not simply graded, in full: what the TA reads at the end of a batch."""
    lines = []
    if result.status == "grader-error":
        lines.append("the grader failed" + (f": {result.grader_error}" if result.grader_error else
                                            " on a test, which scores 0 until you regrade it (result.json: grader_detail)"))
    if result.error:
        lines.append(result.error)
    lines += [f"{exercise}: {why}" for exercise, why in result.missing.items()]
    lines += result.review
    return lines


def note_cell(result: Result, shown=3) -> str:
    """The CSV's note: why the batch renamed it, what is missing, and what a TA should review
    (never in feedback.md), shortened; the batch's summary has them in full."""
    notes = [result.note] if result.note else []
    if result.error:
        notes.append(result.error.splitlines()[0][:300])
    if result.missing:
        notes.append("missing: " + "; ".join(f"{ex} ({why.splitlines()[0][:150]})" for ex, why in result.missing.items()))
    if result.review:
        where = [line.split(" (", 1)[0].replace(": ", " ", 1) for line in result.review[:shown]]
        more = ", ..." if len(result.review) > shown else ""
        notes.append(f"needs review: {len(result.review)} finding{'s' if len(result.review) != 1 else ''} "
                     f"({', '.join(where)}{more})")
    return "; ".join(notes)


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


def judge_argv(path, name, out_dir, *, isolation, exercises, visibility, note="", keep_other_exercises=False):
    """The arguments of `cnn-grader judge` for one submission, here or on a Dask worker.

    Absolute paths: the judge runs in an empty working directory of its own. "--name=NAME": a
    name such as "-cmd" is not an option."""
    return [str(Path(path).resolve()), f"--name={name}", "--out-dir", str(Path(out_dir).resolve()),
            "--isolation", isolation, "--exercises", ",".join(exercises), "--visibility", visibility,
            *([f"--note={note}"] if note else []), *(["--keep-other-exercises"] if keep_other_exercises else [])]


def judge_env(slot) -> dict:
    """The environment of a judge in batch slot `slot`: one thread of torch, this installation of
    the grader, the parent watch on (it stops when its batch or Dask worker dies), its slot."""
    package_parent = str(Path(__file__).resolve().parent.parent)
    return dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CNN_GRADER_JUDGE_OF_BATCH="1",
                CNN_GRADER_SLOT=str(slot),
                PYTHONPATH=os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p))


def _run_judge(name, path, out, *, judges, isolation, exercises, timeout, judge_command, visibility, workdir,
               note="", keep_other_exercises=False):
    """Run one judge process; returns (name, result, seconds). Never raises for a bad judge."""
    out_dir = out / name
    argv = judge_argv(path, name, out_dir, isolation=isolation, exercises=exercises, visibility=visibility,
                      note=note, keep_other_exercises=keep_other_exercises)
    judge_command = judge_command or default_judge_command()
    if judges.cancelled.is_set():
        return name, None, 0.0
    slot = judges.free_slots.get()
    log_path = Path(workdir) / f"judge-{uuid.uuid4().hex}.log"
    try:
        outcome = run_judge(judge_command, argv, result_path=out_dir / RESULT, timeout=timeout, env=judge_env(slot),
                            cwd=workdir, log_path=log_path, on_start=judges.add, on_end=judges.discard)
    finally:
        judges.free_slots.put(slot)
        log_path.unlink(missing_ok=True)
    if judges.cancelled.is_set():
        return name, None, outcome.seconds
    if outcome.result is not None:
        return name, outcome.result, outcome.seconds
    result = failed_judge_result(name, path, outcome.failure, outcome.detail, exercises=exercises,
                                 seconds=outcome.seconds, note=note)
    publish(result, out_dir, visibility=visibility)
    return name, result, outcome.seconds


def failed_judge_result(name, path, failure, detail, *, exercises, seconds, note="", needs_human=False) -> Result:
    """The error result of a submission whose judge left none, with the hashes --resume compares."""
    return error_result(name, failure, exercises=exercises, duration_s=seconds, note=note, detail=detail,
                        needs_human=needs_human).with_digests(submission_digest(path), suites_digest())


def local_judges(todo, out, *, jobs=None, judge_command=None, **options):
    """Grade `todo` ([(name, path, note)]) with judge processes on this machine, `jobs` at a time
    (default 1); yield (name, result, seconds) as each finishes, its OUT/NAME published.

    Closing the generator (the batch stopped, or was interrupted) stops every running judge."""
    jobs = jobs or 1
    judges = _Judges(jobs)
    _warn_if_slots_share_a_user(jobs)
    workdir = tempfile.mkdtemp(prefix="cnn-grader-batch-")  # an empty cwd for the judges
    try:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="judge") as pool:
            futures = [pool.submit(_run_judge, name, path, out, judges=judges, judge_command=judge_command,
                                   workdir=workdir, note=note, **options)
                       for name, path, note in todo]
            try:
                for future in as_completed(futures):
                    name, result, seconds = future.result()
                    if result is not None:
                        yield name, result, seconds
            except BaseException:  # GeneratorExit included: the batch stopped
                for future in futures:
                    future.cancel()
                judges.stop_all()
                raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class GradingStopped(RuntimeError):
    """The machinery that grades went away mid-batch (a lost Dask scheduler): `what` happened and
    the `fix`. Finished results are kept, and --resume grades the rest."""

    def __init__(self, what, fix="run again with --resume to grade the rest"):
        super().__init__(what, fix)
        self.what, self.fix = what, fix

    def __str__(self):
        return f"{self.what}; {self.fix}"


class AccessError(ValueError):
    """The judge can't read the submissions or write the results: a setup problem, with its fix."""


# docs/docker.md: the image's judge is uid 10001 when the host's out/ belongs to root.
DOCKER_FIX = ("on the host, give the judge's group read access and everyone else none:\n"
              "    chgrp -R 10001 submissions && chmod -R g+rX,o-rwx submissions\n"
              "or run with an out/ folder that you own, so the judge runs as you (docs/docker.md, Permissions)")


def check_access(directory, out) -> None:
    """Raise AccessError naming the first submission path the judge can't read, or the output
    folder it can't write, and how to fix it: never a PermissionError traceback halfway through."""
    directory, out = Path(directory), Path(out)
    who = f"uid {os.getuid()} (groups {', '.join(map(str, os.getgroups()))})"
    in_docker = os.environ.get("CNN_GRADER_IN_DOCKER") == "1"
    fix = DOCKER_FIX if in_docker else f"make it readable by {who}, e.g. chmod -R u+rX,g+rX {directory}"

    def refuse(path, what):
        raise AccessError(f"the judge ({who}) can't {what} {path}: permission denied.\nFix: {fix}")

    if directory.is_dir():
        if not os.access(directory, os.R_OK | os.X_OK):
            refuse(directory, "list the submissions folder")
        for top, dirs, files in os.walk(directory, onerror=lambda exc: refuse(exc.filename, "list")):
            for name in dirs:
                if not os.access(Path(top) / name, os.R_OK | os.X_OK) and not (Path(top) / name).is_symlink():
                    refuse(Path(top) / name, "list")
            for name in files:
                if not os.access(Path(top) / name, os.R_OK) and not (Path(top) / name).is_symlink():
                    refuse(Path(top) / name, "read")
    target = out if out.exists() else next((p for p in out.parents if p.exists()), Path("/"))
    if not os.access(target, os.W_OK | os.X_OK):
        raise AccessError(f"the judge ({who}) can't write the results to {target}: permission denied.\n"
                          f"Fix: {'mount an out/ folder that you own (docs/docker.md)' if in_docker else f'make {target} writable by {who}'}")


def _clean_leftovers(out: Path):
    """Temporary folders and files of an interrupted earlier run (never a finished result)."""
    for entry in out.iterdir():
        if entry.name.startswith(".") and (".tmp-" in entry.name or ".old-" in entry.name
                                           or entry.name.endswith(".tmp")):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def run_batch(directory, out, *, jobs=None, resume=False, isolation="sandbox", exercises=EXERCISES,
              timeout=JUDGE_TIMEOUT_S, judge_command=None, visibility="after_published",
              progress=True, report=None, regrade=None, roster=None, match="auto", canvas=None,
              judges=local_judges) -> dict:
    """Grade every submission in `directory` into `out`; returns a summary dict.

    With `resume`, a finished result is kept unless its submission's files changed since
    (grader.digests). With `regrade` (a set of names: grader.regrade), exactly those are graded
    again, into their existing results (the exercises not graded now are kept), and every other
    result is kept. With `roster` (a CSV path: grader.roster), OUT/_class/roster.csv lists who
    handed in what (and, with `canvas`, "Title (id)", gradebook-canvas.csv is Canvas's import).

    `report(text)` receives the final table (default: print to stdout). `judges` grades the
    submissions to do (`local_judges`, or a Dask cluster's: grader.scaleout); everything else,
    resuming, the CSV, the progress bar and the summary, is the same for both.
    """
    with tempfile.TemporaryDirectory(prefix="cnn-grader-lms-") as staging:
        return _run_batch(directory, out, jobs=jobs, resume=resume, isolation=isolation, exercises=exercises,
                          timeout=timeout, judge_command=judge_command, visibility=visibility, progress=progress,
                          report=report, regrade=regrade, roster=roster, match=match, canvas=canvas, staging=staging,
                          judges=judges)


def _run_batch(directory, out, *, jobs, resume, isolation, exercises, timeout, judge_command, visibility,
               progress, report, regrade, roster, match, canvas, staging, judges) -> dict:
    from tqdm import tqdm

    from .feedback import score_table, summary_stats

    if jobs is not None and jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    if timeout <= 0:
        raise ValueError(f"--timeout must be positive, got {timeout}")
    exercises = tuple(exercises)
    unknown = [ex for ex in exercises if ex not in EXERCISES]
    if unknown or not exercises:
        raise ValueError(f"unknown exercises {unknown}: choose from {', '.join(EXERCISES)}")
    check_access(directory, out)
    students = None
    if roster is not None:  # read first: a bad roster stops the batch before anything is graded
        from . import roster as roster_module

        students = roster_module.read_roster(roster)
        if canvas:
            roster_module.canvas_csv([], roster_module.match([], []), {}, canvas)  # checks its format
    if not Path(directory).is_dir():
        raise FileNotFoundError(f"no such folder: {directory}")
    staged = stage(directory, staging)
    submissions = discover(directory, staged)
    if not submissions:
        raise ValueError(f"no submissions in {directory}: expected one subfolder or .zip file per student")
    out = Path(out)
    if out.resolve() == Path(directory).resolve() or Path(directory).resolve() in out.resolve().parents:
        raise ValueError("--out must not be inside the submissions folder")
    out.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(out)

    results: dict[str, Result] = {}
    todo, changed, unhashed = [], [], []
    for name, path, note in submissions:
        done = load_result(out / name) if resume or regrade is not None else None
        if regrade is not None:  # exactly these are graded again; every other result is kept as it is
            if name in regrade:
                todo.append((name, path, note))
            elif done is not None:
                results[name] = done
            continue
        if done is not None and set(done.exercises) == set(exercises):
            if done.files_sha256 is None:  # written by a grader that kept no hash: can't tell, so kept
                unhashed.append(name)
            if done.files_sha256 is None or done.files_sha256 == submission_digest(path):
                results[name] = done
                continue
            changed.append(name)  # its files changed since it was graded
        todo.append((name, path, note))
    skipped = len(results)
    write_csv(out, results)

    bar = tqdm(total=len(todo), file=sys.stderr, unit="submission", desc="grading",
               disable=not progress, dynamic_ncols=True)
    for note in staged.notes:
        bar.write(f"intake: {inert.escape(note)}", file=sys.stderr)
    if regrade is not None:
        bar.write(f"regrading {len(todo)} submission(s); {skipped} other result(s) kept as they are", file=sys.stderr)
    elif skipped or changed:
        bar.write(f"resuming: {skipped} submission(s) already graded, {len(todo)} to go", file=sys.stderr)
    if unhashed:
        bar.write(f"kept {len(unhashed)} result(s) written by an older grader, which recorded no hash of the "
                  "files it graded: `cnn-grader regrade` grades them again if their files may have changed",
                  file=sys.stderr)
    if changed:
        bar.write(f"regrading {len(changed)} whose files changed since they were graded: "
                  + ", ".join(inert.escape(n) for n in changed[:20]) + (" ..." if len(changed) > 20 else ""),
                  file=sys.stderr)
    where = getattr(judges, "where", None)  # another machine's judges: this host's sandbox is not theirs
    started = time.monotonic()
    graded = judges(todo, out, jobs=jobs, isolation=isolation, exercises=exercises, timeout=timeout,
                    judge_command=judge_command, visibility=visibility, keep_other_exercises=regrade is not None)
    try:
        with contextlib.closing(graded):
            for name, result, seconds in graded:
                results[name] = result
                write_csv(out, results)
                bar.update(1)
                remarks = (result.status if result.status != "graded" else "", result.note)
                bar.write(f"{name}: {points(result.score)} / {points(result.max_score)} "
                          f"in {seconds:.1f} s" + "".join(f"  ({r})" for r in remarks if r), file=sys.stderr)
    except GradingStopped as exc:
        raise GradingStopped(f"{exc.what}: the {len(results)} finished result(s) are kept in {out}", exc.fix) from None
    except BaseException:
        bar.write(f"stopped: the {len(results)} finished result(s) are kept in {out}; "
                  "run again with --resume to grade the rest", file=sys.stderr)
        raise
    finally:
        bar.close()

    ordered = [results[name] for name, *_ in submissions if name in results]
    csv_path = out / CSV_NAME
    text = "\n".join([
        score_table(ordered), "", "per exercise:", summary_stats(ordered), "",
        f"graded {len(todo)} submission(s) in {time.monotonic() - started:.1f} s"
        + (f", {skipped} already done (--resume)" if skipped else ""),
        f"grades:   {csv_path}",
        f"feedback: {out}/<submission>/feedback.md (and result.json, Gradescope's results.json)",
        f"isolation: {_isolation(isolation) if where is None else f'graded on {where}; each result.json says how'}",
        _class_report(out, ordered),
        *_needing_a_human(ordered),
    ])
    if students is not None:
        from . import roster as roster_module

        matching, written = roster_module.write_roster_outputs(out / CLASS_DIR, students, results, rule=match,
                                                               canvas_assignment=canvas)
        text += "\n\n" + "\n".join([*roster_module.summary_lines(students, matching),
                                     *(f"roster:   {path}" for path in written)])
    (report or print)(text)
    return {"results": ordered, "csv": str(csv_path), "graded": len(todo), "skipped": skipped, "changed": changed,
            "errors": sorted(r.submission for r in ordered if r.error),
            "needs_human": sorted(r.submission for r in ordered if r.needs_human),
            "needs_review": sorted(r.submission for r in ordered if r.status == "needs-review"),
            "statuses": {r.submission: r.status for r in ordered}}


def _class_report(out, results) -> str:
    """Write OUT/_class/report.html (grader.report); a failure there never fails the batch."""
    try:
        path, note = write_report(out, results)
    except Exception as exc:  # noqa: BLE001 - the grades are written; the report is a bonus
        return f"report:   not written ({type(exc).__name__}: {exc})"
    return f"report:   {path} (staff only)" + (f"; {note}" if note else "")


def _needing_a_human(results) -> list[str]:
    """Every submission that is not simply graded, with its status and every reason in full:
    a grader error (0 there until a regrade), a rejected upload, code the tamper scan flagged
    (the score stands until a TA decides), or modules missing or unreadable."""
    flagged = [r for r in results if r.status != "graded"]
    if not flagged:
        return []
    lines = ["", f"needs a human ({len(flagged)}): each status and why (result.json: status and its fields; "
             "`--strict` makes the batch exit 1 while there are any):"]
    for result in flagged:
        lines.append(f"  {result.submission}: {result.status}")
        why = reasons(result)
        lines += [f"    {inert.escape(line)}" for line in why[:12]]
        lines += [f"    ... and {len(why) - 12} more"] if len(why) > 12 else []
    return lines


def _isolation(isolation):
    if isolation == "inprocess":
        return "none: student code ran in the judge's process (trusted code only)"
    from .sandbox import describe

    return describe()
