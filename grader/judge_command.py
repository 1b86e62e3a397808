"""The judge of one submission: grade it and publish OUT/NAME (`cnn-grader judge`).

A batch runs one judge process per submission (see judge_process), forked from a preloaded
server with `main` as its entry, or as the command `cnn-grader judge ...`. Both come here, so
the judge never re-enters the command line, and both run under `limit_memory`.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time

from .archive import SubmissionRejected
from .digests import submission_digest, suites_digest
from .grading import grade
from .gradescope import VISIBILITIES
from .judge_process import limit_memory
from .publish import load_result, publish
from .results import Result, error_result, merged
from .sandboxed.layout import EXERCISES


def judge(submission, *, name, out_dir, isolation="sandbox", exercises=EXERCISES,
          visibility="after_published", handle_signals=False, note="", keep_other_exercises=False) -> Result:
    """Grade one submission and publish its folder; a refused upload gets an error result (0).

    `note` (why the batch renamed the submission) goes into result.json and feedback.md. With
    `keep_other_exercises` (a regrade of some exercises), the exercises of the result already in
    `out_dir` that were not graded now are kept (`results.merged`).

    With `handle_signals` (the judge process of a batch), SIGTERM or the batch's death stops
    grading cleanly and publishes nothing.
    """
    exercises = tuple(exercises)
    stopped = _stop_on_signals() if handle_signals else threading.Event()
    started = time.monotonic()
    try:
        result = grade(submission, name=name, isolation=isolation, exercises=exercises)
    except SubmissionRejected as exc:
        result = error_result(name, str(exc), exercises=exercises, duration_s=time.monotonic() - started
                              ).with_digests(submission_digest(submission), suites_digest())
    if note:
        result = result.with_note(note)
    previous = load_result(out_dir) if keep_other_exercises else None
    if previous is not None:
        result = merged(previous, result)
    if stopped.is_set():
        raise KeyboardInterrupt("the judge was stopped")
    publish(result, out_dir, visibility=visibility)
    return result


def _stop_on_signals() -> threading.Event:
    """SIGTERM, or losing the batch that started us, stops grading without publishing anything.

    The signal becomes a KeyboardInterrupt, which pytest turns into an interrupted session, so
    the runner's clean-up (killing the sandboxed worker) still runs.
    """
    stopped = threading.Event()

    def on_term(signum, frame):
        stopped.set()
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_term)
        parent = os.getppid()

        def watch():
            while not stopped.is_set():
                if os.getppid() != parent:
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
                time.sleep(0.5)

        if os.environ.get("CNN_GRADER_JUDGE_OF_BATCH"):
            _signal_on_parent_death(signal.SIGTERM)
            threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    return stopped


def _signal_on_parent_death(signum):
    """Have the kernel send `signum` the moment the thread that started us exits (PR_SET_PDEATHSIG).

    The watch above polls; this is immediate. It fires when the creating *thread* ends, which is
    safe here: a batch's (or a Dask worker's) thread that starts a judge waits for it in
    `judge_process.run_judge`, so it outlives the judge unless its whole process dies.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signum), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the watch alone
        pass


def exercise_list(text):
    """An argparse type: "ex1,ex3" -> ("ex1", "ex3"), known exercises only."""
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [ex for ex in chosen if ex not in EXERCISES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown exercise(s) {', '.join(unknown) or '(none given)'}: choose from {', '.join(EXERCISES)}")
    return chosen


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments of `cnn-grader judge` (the CLI's subcommand and `main` share them)."""
    parser.add_argument("submission")
    parser.add_argument("--name", required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--isolation", choices=["sandbox", "inprocess"], default="sandbox")
    parser.add_argument("--exercises", type=exercise_list, default=None, metavar="ex1,ex2,...")
    parser.add_argument("--visibility", choices=VISIBILITIES, default="after_published")
    parser.add_argument("--note", default="", help="why the batch renamed this submission")
    parser.add_argument("--keep-other-exercises", action="store_true",
                        help="merge into OUT-DIR's result.json: keep the exercises not graded now")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Judge the submission of parsed `cnn-grader judge` arguments, under the judge's memory cap."""
    limit_memory()  # every judge of a batch, forked or a command, runs this
    result = judge(args.submission, name=args.name, out_dir=args.out_dir, isolation=args.isolation,
                   exercises=args.exercises or EXERCISES, visibility=args.visibility,
                   handle_signals=True, note=args.note, keep_other_exercises=args.keep_other_exercises)
    print(f"{result.submission}: {result.score:g} / {result.max_score:g} -> {args.out_dir}")
    return 0


def main(argv) -> int:
    """`cnn-grader judge ARGV...` without the command line: the entry of a forked judge."""
    args = add_arguments(argparse.ArgumentParser(prog="cnn-grader judge")).parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:  # stopped by its batch: nothing was published
        return 130
