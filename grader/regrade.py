"""`cnn-grader regrade SUBMISSIONS --out OUT [--only NAME ...] [--exercises ...] [--changed-suites]`

Grades chosen submissions of a finished batch again, in place: each previous result.json goes
to OUT/NAME/history/ first, the exercises not regraded are kept, and
OUT/_class/regrade-<time>.csv lists every regraded score before and after, so a changed grade
is never silent. `--changed-suites` picks the results whose hidden suites were other than
today's (grader.digests), e.g. after a fix to a test.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import time
from pathlib import Path

from . import inert
from .batch import CLASS_DIR, discover, run_batch
from .digests import suites_digest
from .feedback import points
from .files import write_atomic
from .lms import stage
from .publish import HISTORY, RESULT, load_result
from .sandboxed.layout import EXERCISES

DIFF_HEADER = ["submission", "exercise", "before", "after", "change"]


def choose(directory, out, *, only=None, changed_suites=False) -> list[str]:
    """Names to regrade: `only` (all by default), less, with `changed_suites`, those whose result
    was made by today's hidden suites. Unknown names are an error that lists them."""
    with tempfile.TemporaryDirectory(prefix="cnn-grader-lms-") as staging:  # the batch's names, flat LMS folders too
        names = [found.name for found in discover(directory, stage(directory, staging))]
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise ValueError(f"no submission named {', '.join(unknown)} in {directory}")
    chosen = [n for n in names if not only or n in only]
    if changed_suites:
        today = suites_digest()
        chosen = [n for n in chosen if (r := load_result(Path(out) / n)) is None or r.suites_sha256 != today]
    return chosen


def regrade(directory, out, *, only=None, exercises=EXERCISES, changed_suites=False, report=None,
            **batch_options) -> dict:
    """Regrade, keep history, write the before-and-after CSV; returns the batch summary plus `diff`."""
    out = Path(out)
    if not out.is_dir():
        raise ValueError(f"{out} is not a batch's output folder: run `cnn-grader batch` first")
    chosen = choose(directory, out, only=only, changed_suites=changed_suites)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    before = {}
    for name in chosen:
        previous = out / name / RESULT
        before[name] = load_result(out / name)
        if before[name] is not None:
            (out / name / HISTORY).mkdir(exist_ok=True)
            shutil.copyfile(previous, out / name / HISTORY / f"{stamp}-{RESULT}")
    say = report or print
    if not chosen:
        say("regrade: nothing to regrade" + (" (every result was made by today's hidden suites)"
                                             if changed_suites else ""))
        return {"results": [], "graded": 0, "diff": None}
    summary = run_batch(directory, out, exercises=exercises, regrade=set(chosen), report=report, **batch_options)
    after = {r.submission: r for r in summary["results"] if r.submission in before}
    rows = diff_rows(before, after, exercises)
    diff_path = out / CLASS_DIR / f"regrade-{stamp}.csv"
    diff_path.parent.mkdir(exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DIFF_HEADER)
    writer.writerows([inert.cell(c) for c in row] for row in rows)
    write_atomic(diff_path, buffer.getvalue())
    moved = [row for row in rows if row[1] == "total" and row[2] != row[3]]
    say(f"regraded {len(chosen)} submission(s); {len(moved)} total(s) changed; before and after: {diff_path}")
    for name, _, old, new, change in moved:
        say(f"  {inert.escape(name)}: {old or '-'} -> {new} ({change or 'new'})")
    return {**summary, "diff": str(diff_path)}


def diff_rows(before: dict, after: dict, exercises) -> list[list[str]]:
    """One row per regraded exercise and one for the total, per submission: before, after, change."""
    rows = []
    for name, new in after.items():
        old = before.get(name)
        for key in (*[ex for ex in EXERCISES if ex in exercises], "total"):
            was = (old.score if key == "total" else old.exercises[key].score
                   if key in old.exercises else None) if old is not None else None
            now = new.score if key == "total" else new.exercises[key].score if key in new.exercises else None
            change = "" if was is None or now is None else points(now - was)
            rows.append([name, key, points(was), points(now), change])
    return rows
