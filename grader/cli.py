"""`cnn-grader` command line: a thin layer over `grader.api`."""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__, api, judge_command
from .batch import JUDGE_TIMEOUT_S, GradingStopped
from .gradescope import VISIBILITIES
from .judge_command import exercise_list
from .roster import MATCH_RULES
from .sandboxed.layout import EXERCISES


def _grade(args):
    from .archive import SubmissionRejected
    from .results import error_result, submission_name, write_result

    exercises = args.exercises or EXERCISES
    if args.out:  # the same folder a batch writes for one submission
        result = api.judge(args.submission, name=submission_name(args.submission), out_dir=args.out,
                           isolation=args.isolation, exercises=exercises, visibility=args.visibility)
    else:
        try:
            result = api.grade(args.submission, isolation=args.isolation, exercises=exercises)
        except SubmissionRejected as exc:  # the student's fault, so a graded 0 with the reason
            result = error_result(submission_name(args.submission), str(exc), exercises=exercises)
    if args.json:
        write_result(args.json, result)
    if args.gradescope:
        from .gradescope import to_gradescope

        api.write_json(to_gradescope(result), args.gradescope)
    from .feedback import score_table

    print(score_table([result]))
    print(f"isolation: {result.isolation}")
    return 0


def _batch(args):
    try:
        summary = api.batch(args.directory, out=args.out, jobs=args.jobs, resume=args.resume,
                            isolation=args.isolation, exercises=args.exercises or EXERCISES, timeout=args.timeout,
                            visibility=args.visibility, progress=not args.no_progress, roster=args.roster,
                            match=args.match, canvas=args.canvas, scheduler=args.scheduler)
    except GradingStopped as exc:  # e.g. a lost Dask scheduler: what happened and what to do, in one line
        print(f"cnn-grader: stopped: {exc}", file=sys.stderr)
        return 3
    flagged = sorted(name for name, status in summary["statuses"].items() if status != "graded")
    if args.strict and flagged:
        print(f"--strict: {len(flagged)} submission(s) need a human (see above), so the exit code is 1",
              file=sys.stderr)
        return 1
    return 0


def _feedback(args):
    from pathlib import Path

    from .publish import rewrite_feedback

    if not Path(args.out).is_dir():
        print(f"cnn-grader feedback: {args.out} is not a folder", file=sys.stderr)
        return 2
    names = rewrite_feedback(args.out, visibility=args.visibility)
    print(f"rewrote feedback.md and results.json of {len(names)} submissions for visibility {args.visibility}")
    return 0


def _regrade(args):
    api.regrade(args.directory, out=args.out, only=args.only, exercises=args.exercises or EXERCISES,
            changed_suites=args.changed_suites, jobs=args.jobs, isolation=args.isolation,
            timeout=args.timeout, visibility=args.visibility, progress=not args.no_progress)
    return 0


def _report(args):
    from .report import write_report

    if args.similarity:
        from .similarity import write_similarity

        print(write_similarity(args.similarity, args.out))
    path, note = write_report(args.out)
    print(f"wrote {path} (staff only: it names the hidden tests)" + (f"; {note}" if note else ""))
    return 0


def _similarity(args):
    from .similarity import write_similarity

    print(write_similarity(args.submissions, args.out))
    return 0


def _release(args):
    out = api.release(args.out, force=args.force)
    print(f"wrote the student bundle to {out}")
    print(f"try it: cd {out} && pip install -r requirements.txt && pytest exercises/ex1")
    return 0


def _check(args):
    from .paths import REPO_ROOT
    from .release import rubric_data
    from .templates import check

    return check.main([*args.exercises, "--timeout", str(args.timeout)], root=REPO_ROOT, rubric=rubric_data())


def _otter(args):
    path = api.otter(args.out, visibility=args.visibility, judge_timeout=args.judge_timeout,
                     python_version=args.python_version)
    print(f"wrote the Gradescope autograder to {path}; upload it as the assignment's autograder (docs/otter.md)")
    return 0


def _new(args):
    from .authoring import main as new_main

    return new_main([args.exercise, "--module", args.module, *(["--title", args.title] if args.title else [])])


def _audit(args):
    from .audit import main as audit_main

    return audit_main([*args.exercises, "--isolation", args.isolation])


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _scheduler(text):
    """An argparse type for --scheduler (called only when it is given: a local batch never imports
    grader.scaleout, nor dask, which that imports only once the batch starts)."""
    from .scaleout import check_scheduler

    try:
        return check_scheduler(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser():
    parser = argparse.ArgumentParser(prog="cnn-grader", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cnn-grader {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade one submission (folder or .zip)")
    grade.add_argument("submission")
    grade.add_argument("--json", metavar="FILE", help="write result.json here")
    grade.add_argument("--gradescope", metavar="FILE", help="write Gradescope's results.json here")
    grade.add_argument("--isolation", choices=["sandbox", "inprocess"], default="sandbox",
                       help="inprocess runs student code in this process: only for trusted code")
    grade.add_argument("--exercises", type=exercise_list, default=None, metavar="ex1,ex2,...",
                       help="grade only these exercises (default: all)")
    grade.add_argument("--out", metavar="DIR", default=None,
                       help="write DIR/{result.json,feedback.md,results.json}, as a batch does for one submission")
    grade.add_argument("--visibility", choices=VISIBILITIES, default="after_published",
                       help="for --out's feedback.md and results.json (see `batch --help`)")
    grade.set_defaults(run=_grade)

    batch = commands.add_parser(
        "batch", help="grade every subfolder and .zip of a folder, one judge process each",
        description="Grade a class: each subfolder or .zip of DIRECTORY is one submission. Writes "
                    "OUT/NAME/{result.json,feedback.md,results.json} and OUT/grades.csv. Exits 0 "
                    "when grading completed, whatever the scores (with --strict: 1 when a submission "
                    "needs a human).")
    batch.add_argument("directory")
    batch.add_argument("--out", required=True, metavar="OUT", help="folder for the results")
    batch.add_argument("--jobs", "-j", type=_positive_int, default=None, metavar="N",
                       help="grade N submissions at a time (default 1); with --scheduler, the most submissions "
                            "in flight on the cluster (default: twice its worker threads)")
    batch.add_argument("--resume", action="store_true",
                       help="skip submissions whose OUT/NAME/result.json already exists")
    batch.add_argument("--isolation", choices=["sandbox", "inprocess"], default="sandbox",
                       help="inprocess runs student code in the judge process: only for trusted code")
    batch.add_argument("--exercises", type=exercise_list, default=None, metavar="ex1,ex2,...",
                       help="grade only these exercises (default: all)")
    batch.add_argument("--timeout", type=_positive_float, default=None, metavar="SECONDS",
                       help=f"wall-clock limit per submission (default {JUDGE_TIMEOUT_S:g})")
    batch.add_argument("--visibility", choices=VISIBILITIES, default="after_published",
                       help="when students see the hidden tests' results and the total, in each "
                            "feedback.md and results.json (tests that repeat public checks are always "
                            "visible); after publication, `cnn-grader feedback OUT --visibility visible`")
    batch.add_argument("--scheduler", metavar="ADDRESS", default=None, type=_scheduler,
                       help="grade on a Dask cluster: tcp://HOST:PORT (tls://... with Dask's security config) of "
                            "a running scheduler, or local:N for a local cluster of N one-thread workers; needs "
                            "the dask extra (docs/scale-out.md). --resume works as without it")
    batch.add_argument("--no-progress", action="store_true", help="no progress bar")
    batch.add_argument("--strict", action="store_true",
                       help="exit 1 when any submission is not simply graded (grader-error, rejected, "
                            "needs-review, incomplete): for scripts that must not publish such a gradebook")
    batch.add_argument("--roster", metavar="CSV", default=None,
                       help="a roster (columns id, name; optionally email, login): OUT/_class/roster.csv lists "
                            "each student's submission, students with none, and submissions with no student")
    batch.add_argument("--match", choices=MATCH_RULES, default="auto",
                       help="how a submission's name finds its student (default auto: an id, login or email "
                            "token, then the full name, as Canvas, Moodle, Blackboard and GitHub Classroom name them)")
    batch.add_argument("--canvas", metavar="'TITLE (ID)'", default=None,
                       help="with --roster, also write OUT/_class/gradebook-canvas.csv in Canvas's import format, "
                            "the total in the assignment column 'TITLE (ID)'")
    batch.set_defaults(run=_batch)

    report = commands.add_parser("report", help="write OUT/_class/report.html: the class's scores and item "
                                                "statistics (staff only)")
    report.add_argument("out", metavar="OUT", help="a batch's output folder")
    report.add_argument("--similarity", metavar="SUBMISSIONS", default=None,
                        help="first compare the submissions' code (cnn-grader similarity)")
    report.set_defaults(run=_report)

    similarity = commands.add_parser("similarity", help="flag pairs of submissions whose code is alike "
                                                        "(OUT/_class/similarity.html, .csv)")
    similarity.add_argument("submissions", metavar="SUBMISSIONS", help="the folder batch graded")
    similarity.add_argument("--out", required=True, metavar="OUT", help="the batch's output folder")
    similarity.set_defaults(run=_similarity)

    judge_command.add_arguments(
        commands.add_parser("judge", help="(internal, used by batch) grade one submission into a folder"))

    regrade = commands.add_parser(
        "regrade", help="grade chosen submissions of a batch again, keeping history and a before/after CSV",
        description="Regrade in place: each previous result.json goes to OUT/NAME/history/, exercises not "
                    "regraded are kept, and OUT/_class/regrade-<time>.csv lists every score before and after.")
    regrade.add_argument("directory", metavar="SUBMISSIONS")
    regrade.add_argument("--out", required=True, metavar="OUT", help="the batch's output folder")
    regrade.add_argument("--only", nargs="+", metavar="NAME", default=None,
                         help="regrade only these submissions (their names in grades.csv)")
    regrade.add_argument("--exercises", type=exercise_list, default=None, metavar="ex1,ex2,...",
                         help="regrade only these exercises; the others keep their results")
    regrade.add_argument("--changed-suites", action="store_true",
                         help="regrade only results made by other hidden suites than today's")
    regrade.add_argument("--jobs", "-j", type=_positive_int, default=1, metavar="N")
    regrade.add_argument("--isolation", choices=["sandbox", "inprocess"], default="sandbox")
    regrade.add_argument("--timeout", type=_positive_float, default=None, metavar="SECONDS")
    regrade.add_argument("--visibility", choices=VISIBILITIES, default="after_published")
    regrade.add_argument("--no-progress", action="store_true")
    regrade.set_defaults(run=_regrade)

    feedback = commands.add_parser(
        "feedback", help="render every OUT/NAME/feedback.md and results.json again for a visibility",
        description="After grades are published, `cnn-grader feedback OUT --visibility visible` gives "
                    "students the hidden tests' results and their total. result.json is not changed.")
    feedback.add_argument("out", metavar="OUT", help="a batch's output folder")
    feedback.add_argument("--visibility", choices=VISIBILITIES, required=True)
    feedback.set_defaults(run=_feedback)

    release = commands.add_parser("release", help="write the bundle students get (no solutions, no hidden tests)")
    release.add_argument("--out", required=True, metavar="DIR")
    release.add_argument("--force", action="store_true", help="replace DIR if it is not empty")
    release.set_defaults(run=_release)

    check = commands.add_parser("check", help="run each exercise's public tests in a fresh process, as the "
                                              "students' check.py does, with a preview of the points")
    check.add_argument("exercises", nargs="*", help="exercise ids (default: every exercise)")
    check.add_argument("--timeout", type=_positive_float, default=60.0, metavar="SECONDS",
                       help="wall-clock limit per exercise (default 60)")
    check.set_defaults(run=_check)

    otter = commands.add_parser("otter", help="build an otter-grader autograder zip for Gradescope")
    otter.add_argument("--out", default="autograder.zip", metavar="ZIP", help="default autograder.zip")
    otter.add_argument("--visibility", choices=VISIBILITIES, default="after_published",
                       help="when students see the hidden tests' results and the total "
                            "(tests that repeat public checks are always visible)")
    otter.add_argument("--judge-timeout", type=_positive_float, default=None, metavar="SECONDS",
                       help="wall-clock limit for grading one upload")
    otter.add_argument("--python-version", default=None, help="Python of Gradescope's environment (default: this one)")
    otter.set_defaults(run=_otter)

    new = commands.add_parser("new", help="scaffold a new exercise (every part, with a working example)")
    new.add_argument("exercise", help="the new exercise id, e.g. ex8")
    new.add_argument("--module", required=True, help="the file students hand in, without .py")
    new.add_argument("--title", default=None, help="shown in feedback and on Gradescope (default: the module)")
    new.set_defaults(run=_new)

    audit = commands.add_parser("audit", help="prove exercises sound: reference, stub, public tests, bug zoo, "
                                              "points, README; exits 1 on any failure")
    audit.add_argument("exercises", nargs="*", help="exercise ids (default: every exercise)")
    audit.add_argument("--isolation", choices=["sandbox", "inprocess"], default="sandbox",
                       help="where the reference's graded run happens (default: sandbox)")
    audit.set_defaults(run=_audit)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError) as exc:
        print(f"cnn-grader: error: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:  # a setup problem: say which file, never a traceback
        print(f"cnn-grader: error: permission denied: {exc.filename or exc}. The grader runs as uid "
              f"{os.getuid()}; make the file readable (or the folder writable) for it", file=sys.stderr)
        return 2
