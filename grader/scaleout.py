"""Grading a batch on a Dask cluster: `cnn-grader batch DIR --out OUT --scheduler ADDRESS`.

Imported only when `--scheduler` is given, so a local batch never imports dask. The batch
itself (resume, grades.csv, the progress bar, the summary) is `batch.run_batch`'s; this module
is only another `judges` for it (see `dask_judges`), in three steps:

- the client reads each submission into bytes (a .zip as it is, a folder as a zip made in
  memory of its exercise modules, through `archive.unpacked`), and submits one task per
  submission, at most `--jobs` in flight;
- the task (`judge_on_worker`, on a Dask worker) claims a batch slot of its host with a lock
  file, so that judges running side by side on one host never share a slot's worker user, and
  runs `cnn-grader judge` as a subprocess there (never in the worker: student code never runs
  in a Dask worker process); it returns result.json's text, nothing else of the judge's;
- the client parses that text (`Result.from_json`: plain JSON, never a pickle of anything the
  student touched) and publishes OUT/NAME itself.

So no folder is shared between the hosts, a judge orphaned by a dead worker can't race its
retry (it writes only into its own host's slot folder), and what a judge failure, a worker that
dies again and again (`KilledWorker`) or a lost scheduler means for a submission is decided
here, on the client. docs/scale-out.md says how to deploy it.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import shutil
import socket
import stat
import sys
import traceback
import uuid
import zipfile
from pathlib import Path

from .archive import SubmissionRejected, unpacked
from .batch import GradingStopped, failed_judge_result, judge_argv, judge_env
from .digests import submission_digest, suites_digest
from .judge_process import _caller_main_hidden, run_judge
from .publish import RESULT, load_result, publish
from .results import TA, Result, ResultFormatError, error_result, merged

SLOT_DIR_ENV = "CNN_GRADER_SLOT_DIR"
DEFAULT_SLOT_DIR = "/tmp/cnn-grader-slots"
RESUME_HINT = "start a scheduler and run again with --resume"


# ---------------------------------------------------------------------------------------------
# on the client


def check_scheduler(text: str) -> str:
    """`local:N` or a Dask address (tcp://HOST:PORT, tls://...); ValueError naming the forms."""
    if text.startswith("local:"):
        count = text.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"local:N needs a number of workers N >= 1, got {text!r}")
        return text
    if "://" not in text or not text.partition("://")[2]:
        raise ValueError(f"expected tcp://HOST:PORT, tls://HOST:PORT or local:N, got {text!r}")
    return text


def dask_judges(scheduler: str):
    """The `judges` of `batch.run_batch` for the Dask scheduler at `scheduler` (or `local:N`)."""
    check_scheduler(scheduler)

    def judges(todo, out, *, jobs=None, judge_command=None, **options):
        with _client(scheduler) as client:
            yield from _graded(client, todo, Path(out), jobs=jobs, judge_command=judge_command, **options)

    judges.where = f"the Dask cluster at {scheduler}"
    return judges


@contextlib.contextmanager
def _client(scheduler):
    """A Dask client of `scheduler`, or of a LocalCluster of N one-thread worker processes."""
    from distributed import Client, LocalCluster

    # Dask logs each lost connection with a traceback; what it means for the batch is said once, by us.
    for name in ["distributed", *(n for n in logging.root.manager.loggerDict if n.startswith("distributed."))]:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    cluster = None
    try:
        if scheduler.startswith("local:"):
            with _caller_main_hidden():  # spawned workers must not re-run a TA's script without a main guard
                cluster = LocalCluster(n_workers=int(scheduler.partition(":")[2]), threads_per_worker=1,
                                       processes=True, dashboard_address=":0", silence_logs=logging.CRITICAL)
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise GradingStopped(f"can't reach the Dask scheduler at {scheduler} ({exc})", RESUME_HINT) from None
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=5)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)


def _graded(client, todo, out, *, jobs, judge_command, isolation, exercises, timeout, visibility,
            keep_other_exercises=False):
    """Submit `todo` to `client` (at most `jobs` in flight, default twice the cluster's threads);
    yield (name, result, seconds) as each result is published in OUT/NAME."""
    from distributed import as_completed

    batch_id = uuid.uuid4().hex[:8]
    lost = GradingStopped(f"lost the Dask scheduler at {client.scheduler.address}", RESUME_HINT)
    pending = list(enumerate(todo))[::-1]  # popped from the end: in the batch's order
    in_flight: dict = {}
    finished = as_completed()
    options = dict(isolation=isolation, exercises=tuple(exercises), timeout=timeout, visibility=visibility,
                   judge_command=list(judge_command) if judge_command else None)

    def room() -> bool:
        """Whether another task may go in flight; GradingStopped once the scheduler is gone."""
        try:
            if client.status != "running":
                raise lost
            return len(in_flight) < (jobs or max(2, 2 * sum(client.nthreads().values())))
        except (OSError, TimeoutError):  # the scheduler went away during the call
            raise lost from None

    def top_up():
        """Submit until the cluster has enough in flight; returns the results of rejected uploads."""
        rejected = []
        while pending and room():
            index, (name, path, note) = pending.pop()
            try:
                filename, data = submission_bytes(path)
            except (SubmissionRejected, OSError) as exc:  # refused here as the judge would refuse it
                rejected.append((name, _rejected(name, path, exc, exercises=exercises, note=note), 0.0))
                continue
            future = client.submit(judge_on_worker, name, filename, data, note=note, **options,
                                   key=f"cnn-grader-{batch_id}-{index}", pure=False)
            in_flight[future.key] = (future, name, path, note)
            finished.add(future)
        return rejected

    if todo and not client.nthreads():  # Dask waits for workers without a word: say so once
        print(f"waiting for Dask workers to join the scheduler at {client.scheduler.address}", file=sys.stderr)
    cancelled = False
    try:
        yield from _published(top_up(), out, visibility, keep_other_exercises)
        while in_flight:
            future = next(finished)
            _, name, path, note = in_flight.pop(future.key)
            if future.cancelled():  # Dask cancels every future of a client that lost its scheduler
                cancelled = True
                raise lost
            result, seconds = _outcome(future, name, path, note, exercises=exercises)
            yield from _published([(name, result, seconds)], out, visibility, keep_other_exercises)
            yield from _published(top_up(), out, visibility, keep_other_exercises)
    finally:
        if in_flight and not cancelled:  # the batch stopped: leave nothing running on the cluster
            with contextlib.suppress(Exception):
                client.cancel([future for future, *_ in in_flight.values()], force=True)


def _published(graded, out, visibility, keep_other_exercises):
    """Publish OUT/NAME of each (name, result, seconds), then yield it."""
    for name, result, seconds in graded:
        if keep_other_exercises:  # a regrade of some exercises keeps the others, as the judge does locally
            previous = load_result(out / name)
            result = merged(previous, result) if previous is not None else result
        publish(result, out / name, visibility=visibility)
        yield name, result, seconds


def _outcome(future, name, path, note, *, exercises) -> tuple[Result, float]:
    """The result of a finished task: the judge's result.json, parsed here, or an error result."""
    from distributed.scheduler import KilledWorker

    error = future.exception()
    if isinstance(error, KilledWorker):
        deaths = int(getattr(error, "allowed_failures", 3)) + 1
        failure = (f"the grading machine died {deaths} times while grading this submission; "
                   "a TA should regrade it")
        detail = f"Dask KilledWorker: {error}"
        return failed_judge_result(name, path, failure, detail, exercises=exercises, seconds=0.0, note=note,
                                   needs_human=True), 0.0
    if error is not None:  # a bug in the task, never the student's: the batch goes on
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return failed_judge_result(name, path, f"the grader failed on this submission; {TA}", detail,
                                   exercises=exercises, seconds=0.0, note=note, needs_human=True), 0.0
    reply = future.result()
    seconds = float(reply["seconds"])
    if reply["result"] is not None:
        try:
            return Result.from_json(reply["result"]).inert(), seconds
        except ResultFormatError as exc:
            reply = {**reply, "failure": f"the grader left no readable result for this submission; {TA}",
                     "detail": f"result.json from {reply['host']}: {exc}\n{reply['detail']}"}
    detail = f"on {reply['host']}, batch slot {reply['slot']}\n{reply['detail']}"
    return failed_judge_result(name, path, reply["failure"], detail, exercises=exercises, seconds=seconds,
                               note=note), seconds


def _rejected(name, path, exc, *, exercises, note) -> Result:
    """A folder the client can't read as a submission: refused with the reason, as the judge does."""
    return error_result(name, str(exc), exercises=exercises, note=note).with_digests(
        submission_digest(path), suites_digest())


def submission_bytes(path) -> tuple[str, bytes]:
    """What travels to the worker: a .zip as it is; a folder as a zip, made in memory, of the
    exercise modules `archive.unpacked` finds in it (regular files only, no symlink followed),
    so the worker grades, and hashes, exactly the files a local judge would."""
    path = Path(path)
    if not path.is_dir():
        return "submission.zip", path.read_bytes()
    buffer = io.BytesIO()
    with unpacked(path) as root, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(Path(root).rglob("*")):
            if file.is_file() and not file.is_symlink():
                archive.write(file, file.relative_to(root).as_posix())
    return "submission.zip", buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# on a Dask worker


def default_judge_command() -> list[str]:
    """`cnn-grader judge` as a subprocess: a daemonic Dask worker may not fork judges of its own,
    and a fresh process per submission is the isolation anyway."""
    return [sys.executable, "-m", "grader", "judge"]


def judge_on_worker(name, filename, data, *, note, isolation, exercises, timeout, visibility,
                    judge_command=None) -> dict:
    """A Dask task: grade one submission in a judge subprocess, in a free batch slot of this host.

    Returns plain text only: result.json's text (or None), the failure and the detail for the
    TA, the seconds, the host and the slot.
    """
    with claimed_slot() as (slot, folder):
        submission = folder / "in" / filename
        submission.parent.mkdir()
        submission.write_bytes(data)
        out_dir = folder / "out" / "result"
        (folder / "cwd").mkdir()  # an empty working directory for the judge
        argv = judge_argv(submission, name, out_dir, isolation=isolation, exercises=exercises,
                          visibility=visibility, note=note)
        outcome = run_judge(judge_command or default_judge_command(), argv, result_path=out_dir / RESULT,
                            timeout=timeout, env=judge_env(slot), cwd=folder / "cwd", log_path=folder / "judge.log")
        text = (out_dir / RESULT).read_text(encoding="utf-8") if outcome.result is not None else None
        return {"result": text, "failure": outcome.failure, "detail": outcome.detail,
                "seconds": outcome.seconds, "host": socket.gethostname(), "slot": slot}


@contextlib.contextmanager
def claimed_slot(directory=None):
    """A batch slot of this host no other process holds: (K, an empty folder of its own).

    Slot K is held by an exclusive lock on DIR/slot-K.lock, which the kernel releases when its
    holder exits, however it dies; its folder DIR/slot-K is emptied by the next holder. Several
    Dask worker processes on one host thus never run two judges in the same slot (the same
    worker user: sandbox.worker_uid, the image's studentK)."""
    base = Path(directory or os.environ.get(SLOT_DIR_ENV) or DEFAULT_SLOT_DIR)
    _private_folder(base)
    slot = 0
    while True:
        fd = os.open(base / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            os.close(fd)
            slot += 1
    try:
        folder = base / f"slot-{slot}"
        shutil.rmtree(folder, ignore_errors=True)  # what a dead holder left
        folder.mkdir(mode=0o700)
        try:
            yield slot, folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(fd)  # releases the lock


def _private_folder(path: Path):
    """Make `path` a folder of this user's alone, or refuse one that someone else could tamper with."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700, parents=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise PermissionError(f"{path} (the batch slots' folder) must be a folder of uid {os.geteuid()} "
                              f"that no one else may write; set {SLOT_DIR_ENV} to another place")
