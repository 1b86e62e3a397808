"""The class report for staff: OUT/_class/report.html, its plots and item_stats.csv.

    cnn-grader report OUT [--similarity SUBMISSIONS]

Reads every OUT/<name>/result.json of a batch (through `results.read_result`) and shows how
the class and each hidden test did (see docs/report.md for what each section means). It names
hidden tests and quotes failure messages, so it is for staff only, and says so at the top.

Class-level outputs live in one folder, OUT/_class (`CLASS_DIR`), a name batch never gives a
submission (batch.RESERVED_NAMES). The page is self-contained (`html_page`); the plots need
matplotlib (the `plots` extra) and are left out, with a note, without it.
"""

from __future__ import annotations

import csv
import io
import os
import statistics
from pathlib import Path

from . import inert
from .feedback import points
from .files import write_atomic
from .html_page import Html, esc, join, page, png, table, tag
from .item_stats import ClassStats, compute
from .results import Result, read_result
from .sandboxed.layout import EXERCISES

CLASS_DIR = "_class"
REPORT_HTML = "report.html"
ITEM_CSV = "item_stats.csv"
PLOTS = {"totals": "totals.png", "exercises": "exercises.png", "durations": "durations.png"}
# similarity.csv is written by grader.similarity; its columns are here so both sides agree.
SIMILARITY_CSV = "similarity.csv"
SIMILARITY_HTML = "similarity.html"
SIMILARITY_COLUMNS = ["a", "b", "score", "flagged", *EXERCISES]
REGRADE_GLOB = "regrade-*.csv"
ROWS_SHOWN = 200  # rows of a regrade diff or a list shown on the page (the CSVs have all)
STAFF_ONLY = ("Staff only: do not share this page with students. It names the hidden tests and "
              "quotes what they report, and compares students with each other.")
NO_PLOTS = "plots left out: matplotlib is not installed (pip install 'cnn-grader[plots]')"


def class_dir(out) -> Path:
    return Path(out) / CLASS_DIR


def read_results(out) -> list[Result]:
    """Every valid OUT/<name>/result.json, sorted by submission name."""
    found = []
    for entry in sorted(os.scandir(out), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.name == CLASS_DIR or not entry.is_dir(follow_symlinks=False):
            continue
        result = read_result(Path(entry.path) / "result.json")
        if result is not None:
            found.append(result)
    return found


def read_similarity(out) -> list[dict] | None:
    """The rows of OUT/_class/similarity.csv, or None when similarity was not run."""
    path = class_dir(out) / SIMILARITY_CSV
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows) -> Path:
    """A CSV whose every cell is inert (a spreadsheet shows it, never runs it)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([inert.cell(v) for v in row] for row in rows)
    return write_atomic(path, buffer.getvalue())


def write_report(out, results: list[Result] | None = None) -> tuple[Path, str]:
    """Write report.html, item_stats.csv and the plots into OUT/_class; returns (the page's
    path, a one-line note: "" or why the plots are missing)."""
    out = Path(out)
    results = read_results(out) if results is None else results
    stats = compute(results)
    folder = class_dir(out)
    folder.mkdir(exist_ok=True)
    write_csv(folder / ITEM_CSV, _item_rows(stats))
    try:
        images = _plots(stats)
    except ImportError:
        images, note = {}, NO_PLOTS
    else:
        note = ""
        for key, data in images.items():
            write_atomic(folder / PLOTS[key], data)
    html = render(stats, images, note=note, similarity=read_similarity(out), regrades=_regrades(folder))
    return write_atomic(folder / REPORT_HTML, html), note


# ---------------------------------------------------------------------------------------------
# the page


def render(stats: ClassStats, images: dict, *, note="", similarity=None, regrades=()) -> str:
    totals = [r.score for r in stats.graded]
    summary = (f"{len(stats.graded) + len(stats.rejected)} submission(s): {len(stats.graded)} graded, "
               f"{len(stats.rejected)} rejected.")
    if totals:
        summary += (f" Total: mean {points(statistics.fmean(totals))}, median {points(statistics.median(totals))}"
                    f" of {points(stats.graded[0].max_score)}.")
    return page(
        "Class report", tag("h1", "Class report"), tag("p", STAFF_ONLY, class_="staff"), tag("p", summary),
        tag("p", note, class_="note") if note else "",
        _scores(stats, images), _tests(stats), _messages(stats), _problems(stats), _durations(stats, images),
        _regrade_section(regrades), _similarity_section(similarity),
    )


def _image(images, key, alt):
    return png(images[key], alt) if key in images else ""


def _scores(stats, images):
    rows = []
    for exercise in EXERCISES:
        values = [r.exercises[exercise] for r in stats.graded if exercise in r.exercises]
        if values:
            scores = [e.score for e in values]
            rows.append([exercise, len(scores), points(statistics.fmean(scores)), points(statistics.median(scores)),
                         points(min(scores)), points(max(scores)),
                         sum(e.score >= e.max_score > 0 for e in values), points(values[0].max_score)])
    return join(tag("h2", "Scores"), _image(images, "totals", "histogram of totals"),
                _image(images, "exercises", "score distribution per exercise"),
                table(["exercise", "graded", "mean", "median", "min", "max", "full marks", "out of"], rows,
                      numeric=range(1, 8)))


def _ratio(value):
    return "" if value is None else f"{value:.2f}"


def _tests(stats):
    rows = [[item.exercise, item.test, points(item.max_score), item.taken, f"{item.pass_rate:.0%}",
             _ratio(item.discrimination), item.statuses["timeout"], item.statuses["error"],
             item.statuses["grader_error"]] for item in stats.items]
    return join(tag("h2", "Tests, hardest first"),
                tag("p", "Discrimination is the point-biserial correlation of passing the test with the rest of "
                         "the total (the total less this test's points), over graded submissions. Near 0 or "
                         "negative: the test does not separate strong submissions from weak ones. It is blank "
                         "when undefined: everyone passed, everyone failed, or the rest does not vary.",
                    class_="note"),
                table(["exercise", "test", "points", "taken", "pass rate", "discrimination", "timeouts", "errors",
                       "grader errors"], rows, numeric=range(2, 9)))


def _messages(stats):
    rows = [[item.exercise, item.test, count, tag("code", message)]
            for item in stats.items for message, count in item.top_messages()]
    return join(tag("h2", "Most common failure messages"),
                tag("p", "Per test, the most frequent messages of its failures, with every number written N "
                         "so that messages differing only in values group together.", class_="note"),
                table(["exercise", "test", "count", "message"], rows, numeric={2}) if rows
                else tag("p", "No test failed with a message."))


def _problems(stats):
    rows = []
    for exercise in EXERCISES:
        tests, subs = stats.per_exercise.get(exercise, {}), stats.submissions.get(exercise, {})
        rows.append([exercise, *(f"{tests.get(s, 0)} / {subs.get(s, 0)}" for s in ("timeout", "error", "grader_error"))])
    rejected = [[r.submission, r.error or "no exercise graded"] for r in stats.rejected[:ROWS_SHOWN]]
    return join(tag("h2", "Timeouts, crashes, rejections and grader errors"),
                tag("p", "Per exercise: tests / submissions with that status. A crash is status error (the "
                         "student's code raised or its worker died); a grader error is the grader's fault and "
                         "scores 0 until a TA regrades it.", class_="note"),
                table(["exercise", "timeouts", "crashes (error)", "grader errors"], rows, numeric={1, 2, 3}),
                tag("h3", f"Rejected submissions ({len(stats.rejected)})"),
                table(["submission", "why"], rejected) if rejected else tag("p", "None."))


def _durations(stats, images):
    results = sorted(stats.graded + stats.rejected, key=lambda r: -r.duration_s)
    seconds = [r.duration_s for r in results]
    if not seconds:
        return ""
    line = (f"median {statistics.median(seconds):.1f} s, max {seconds[0]:.1f} s, "
            f"total {sum(seconds) / 60:.1f} min of judge time")
    return join(tag("h2", "Grading time per submission"), tag("p", line),
                _image(images, "durations", "histogram of grading times"),
                tag("h3", "Slowest"), table(["submission", "seconds", "isolation"],
                                            [[r.submission, f"{r.duration_s:.1f}", r.isolation] for r in results[:20]],
                                            numeric={1}))


def _regrades(folder: Path) -> list[tuple[str, list[list[str]]]]:
    found = []
    for path in sorted(folder.glob(REGRADE_GLOB)):
        with open(path, newline="", encoding="utf-8", errors="replace") as handle:
            found.append((path.name, list(csv.reader(handle))))
    return found


def _regrade_section(regrades):
    if not regrades:
        return ""
    parts = [tag("h2", "Regrades")]
    for name, rows in regrades:
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        more = f" (first {ROWS_SHOWN} of {len(body)} rows)" if len(body) > ROWS_SHOWN else ""
        parts += [tag("h3", name + more), table(header, body[:ROWS_SHOWN])]
    return join(*parts)


def _similarity_section(rows):
    if rows is None:
        return ""
    flagged = [row for row in rows if row.get("flagged") == "yes"]
    link = Html(f'<a href="{SIMILARITY_HTML}">{SIMILARITY_HTML}</a>')
    body = [[row.get("a", ""), row.get("b", ""), row.get("score", ""),
             *(row.get(ex, "") for ex in EXERCISES)] for row in flagged[:ROWS_SHOWN]]
    return join(tag("h2", f"Similarity flags ({len(flagged)})"),
                tag("p", join("Pairs whose code is more alike than independent work is; the code side by side: ",
                              link, ". A flag is a reason to look, not a verdict."), class_="note"),
                table(["submission", "submission", "score", *EXERCISES], body, numeric=range(2, 10))
                if body else tag("p", "No pair is flagged."))


# ---------------------------------------------------------------------------------------------
# the CSV and the plots


def _item_rows(stats: ClassStats):
    yield ["exercise", "test", "max_score", "taken", "passed", "pass_rate", "discrimination", "timeouts",
           "errors", "grader_errors", "top_message", "top_message_count"]
    for item in stats.items:
        top = item.top_messages(1)
        yield [item.exercise, item.test, points(item.max_score), item.taken, item.passed, f"{item.pass_rate:.4f}",
               "" if item.discrimination is None else f"{item.discrimination:.4f}", item.statuses["timeout"],
               item.statuses["error"], item.statuses["grader_error"], *(top[0] if top else ("", ""))]


def _plots(stats: ClassStats) -> dict[str, bytes]:
    """PNG bytes of each plot; ImportError without matplotlib. Figures are made without pyplot,
    so no global backend or state is touched (headless, thread-safe)."""
    from matplotlib.figure import Figure

    def save(figure) -> bytes:
        buffer = io.BytesIO()
        figure.subplots_adjust(left=0.08, right=0.98, bottom=0.18, top=0.88)  # not "tight": half the time
        figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    images = {}
    graded = stats.graded
    figure = Figure(figsize=(8, 3))
    axes = figure.subplots()
    axes.hist([r.score for r in graded] or [0], bins=20, color="#4a78b0")
    axes.set(title="Totals", xlabel="points", ylabel="submissions")
    images["totals"] = save(figure)

    figure = Figure(figsize=(10, 3))
    axes = figure.subplots()
    data = [[r.exercises[ex].score for r in graded if ex in r.exercises] or [0] for ex in EXERCISES]
    axes.boxplot(data, tick_labels=list(EXERCISES))
    axes.set(title="Score per exercise", ylabel="points")
    images["exercises"] = save(figure)

    figure = Figure(figsize=(8, 3))
    axes = figure.subplots()
    axes.hist([r.duration_s for r in graded + stats.rejected] or [0], bins=20, color="#6a9a58")
    axes.set(title="Grading time", xlabel="seconds", ylabel="submissions")
    images["durations"] = save(figure)
    return images
