"""Human-readable views of results (`results.Result`): a score table for instructors and a
Markdown report for the student.

The report shows, per exercise and per test, the test's name, its points, its status and the
short message the hidden suite chose to give; then the tail of what the student's own code
printed. Nothing else from the grader (no reference values, no test code) ever appears.
"""

from __future__ import annotations

import re
import statistics

from . import registry
from .results import ExerciseResult, Result
from .sandboxed.layout import EXERCISES

OUTPUT_LIMIT = 3000  # characters of the student's printed output shown in the report
MESSAGE_LIMIT = 1000

STATUS_LABELS = {
    "passed": ("✅", "passed"),
    "failed": ("❌", "failed"),
    "error": ("💥", "error"),
    "timeout": ("⏱️", "timed out"),
    "grader_error": ("🛠️", "grader error, to be regraded by your TA"),  # the grader's fault, not yours
}
EXERCISE_TITLES = registry.titles()  # from the manifests, so a new exercise has its title


def points(value) -> str:
    """7.5 -> '7.5', 10.0 -> '10', 3.33333 -> '3.33'; '' for a missing value."""
    if value is None or value == "":
        return ""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def display_name(test_name: str) -> str:
    """'test_cutout_matches_reference[seed-3]' -> 'cutout matches reference [seed-3]'."""
    base, bracket, params = str(test_name).partition("[")
    base = base.removeprefix("test_").replace("_", " ").strip() or str(test_name)
    return f"{base} [{params}" if bracket else base


def score_row(result: Result) -> dict:
    """{'submission', 'ex1'..'ex7', 'total'} with numbers (None for an exercise not graded)."""
    row = {"submission": result.submission}
    for exercise in EXERCISES:
        row[exercise] = result.exercises[exercise].score if exercise in result.exercises else None
    row["total"] = result.score
    return row


def score_table(results: list[Result]) -> str:
    """A plain-text table: one row per submission, one column per exercise, and the total."""
    columns = ["submission", *EXERCISES, "total"]
    rows = [score_row(r) for r in results]
    cells = [columns] + [[str(row["submission"])] + [points(row[c]) or "-" for c in columns[1:]]
                         for row in rows]
    if results:
        max_row = results[0]
        maxes = {ex: e.max_score for ex, e in max_row.exercises.items()}
        cells.append(["(out of)"] + [points(maxes.get(ex)) or "-" for ex in EXERCISES]
                     + [points(max_row.max_score)])
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]

    def fmt(row):
        return "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(row, widths))).rstrip()

    lines = [fmt(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(row) for row in cells[1:-1]] if results else []
    if results:
        lines += ["  ".join("-" * w for w in widths), fmt(cells[-1])]
    return "\n".join(lines)


def summary_stats(results: list[Result]) -> str:
    """Per-exercise mean and median over the submissions (only those graded on that exercise)."""
    columns = [*EXERCISES, "total"]
    cells = [["", *columns]]
    for label, fn in (("mean", statistics.fmean), ("median", statistics.median)):
        row = [label]
        for column in columns:
            values = [score_row(r)[column] for r in results]
            values = [float(v) for v in values if v is not None]
            row.append(points(fn(values)) if values else "-")
        cells.append(row)
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
                     for row in cells)


def _fence(text: str) -> str:
    """A fenced code block that `text` cannot break out of."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def _escape_inline(text: str) -> str:
    """Neutralise Markdown/HTML in a one-line label (a test name)."""
    return re.sub(r"([\\`*_{}\[\]<>|#])", r"\\\1", " ".join(str(text).split()))


def _headline(score: float, max_score: float, *, partial: bool = False) -> str:
    if max_score <= 0:
        return "Nothing was graded this time."
    fraction = score / max_score
    if partial:
        return ("The exercises that were graded are below, with what the grader expected."
                if score > 0 else "The messages below say what the grader expected.")
    if fraction >= 1:
        return "Full marks: every test passed. Excellent work! 🎉"
    if fraction >= 0.7:
        return "Great work: most tests pass. The notes below show what is left to polish."
    if fraction > 0:
        return ("Good start: some tests pass already. Each message below says what the grader "
                "expected, so you know where to look next.")
    return ("No test passes yet. That is a normal place to start: run `pytest exercises/ex1` "
            "and work through the messages below one exercise at a time.")


def _exercise_note(exercise: str, entry: ExerciseResult) -> str | None:
    tests = entry.tests
    if tests and all(t.status == "passed" for t in tests):
        return "All tests pass. Well done!"
    messages = [t.message for t in tests]
    if tests and all("not implemented yet" in m for m in messages):
        return (f"Not started yet: replace each `raise NotImplementedError` in "
                f"`{exercise}/` and run `pytest exercises/{exercise}` to try it.")
    if tests and all("missing from the submission" in m for m in messages):
        return "This exercise's file was not in the submission, so it counts as not started."
    return None


def feedback_markdown(result: Result, *, visibility: str = "visible") -> str:
    """The student-facing report for one result, as Markdown.

    `visibility` is Gradescope's value for the hidden tests (grader.gradescope.VISIBILITIES).
    Anything but "visible" means grades are not published yet: then the report shows only the
    tests that repeat a public check, and no hidden test's name, result or message, no total
    that counts hidden points, and not what the code printed (it may echo hidden inputs).
    """
    if visibility != "visible":
        return _unpublished_markdown(result)
    score, max_score = result.score, result.max_score
    lines = _title(result) + [f"**Score: {points(score)} / {points(max_score)}**", ""]
    if result.error:  # nothing was graded: say why once, not once per exercise
        lines += [f"Your submission could not be graded: {_escape_inline(result.error)}", ""]
    elif result.missing:  # what happened first; and missing work is never "great"
        lines += _missing_lines(result) + [_headline(score, max_score, partial=True), ""]
    else:
        lines += [_headline(score, max_score), ""]

    exercises = result.exercises
    lines += ["| Exercise | Score |", "|---|---:|"]
    for exercise, entry in exercises.items():
        lines.append(f"| {_exercise_title(exercise)} | {points(entry.score)} / {points(entry.max_score)} |")
    lines.append("")
    if result.error:
        return "\n".join(lines + _footer(result))

    for exercise, entry in exercises.items():
        lines += [f"## {_exercise_title(exercise, ' — ')}: {points(entry.score)} / {points(entry.max_score)}", ""]
        if exercise in result.missing:  # said once, at the top
            lines += [NOT_GRADED, ""]
            continue
        note = _exercise_note(exercise, entry)
        if note:
            lines += [note, ""]
        lines += _test_lines(entry.tests)
        lines.append("")

    output = result.output
    lines.append("## What your code printed")
    lines.append("")
    if output.strip():
        if len(output) > OUTPUT_LIMIT:
            output = "[... earlier output cut ...]\n" + output[-OUTPUT_LIMIT:]
        lines += ["The end of what your code printed while it was graded (handy for debugging):", "",
                  _fence(output)]
    else:
        lines.append("Your code printed nothing while it was graded.")
    return "\n".join(lines + [""] + _footer(result))


def _unpublished_markdown(result: Result) -> str:
    """Before publication: the public checks' results only (see `feedback_markdown`)."""
    lines = _title(result)
    if result.error:
        lines += [f"Your submission could not be graded: {_escape_inline(result.error)}", ""]
        return "\n".join(lines + _footer(result))
    lines += _missing_lines(result)
    public = {ex: [t for t in entry.tests if t.visibility == "visible"] for ex, entry in result.exercises.items()}
    got = sum(t.score for tests in public.values() for t in tests)
    out_of = sum(t.max_score for tests in public.values() for t in tests)
    lines += ["Grades are not published yet. This page shows the tests that repeat your public checks "
              "(`pytest exercises/exN`). The hidden tests are graded too: their results and your total "
              "appear here when your instructor publishes the grades.", "",
              f"**Public checks: {points(got)} / {points(out_of)} points**", "",
              "| Exercise | Public checks | Hidden tests |", "|---|---:|---:|"]
    for exercise, entry in result.exercises.items():
        tests = public[exercise]
        hidden = entry.max_score - sum(t.max_score for t in tests)
        lines.append(f"| {_exercise_title(exercise)} | {points(sum(t.score for t in tests))} / "
                     f"{points(sum(t.max_score for t in tests))} | {points(hidden)} points, after publication |")
    lines.append("")
    for exercise, entry in result.exercises.items():
        tests = public[exercise]
        lines += [f"## {_exercise_title(exercise, ' — ')}", ""]
        if exercise in result.missing:
            lines += [NOT_GRADED, ""]
            continue
        lines += _test_lines(tests) if tests else ["No public check of this exercise is graded.", ""]
        hidden = len(entry.tests) - len(tests)
        if hidden:
            lines += [f"- {hidden} hidden {'test' if hidden == 1 else 'tests'}: results after publication", ""]
    lines += ["What your code printed while it was graded is shown after publication.", ""]
    return "\n".join(lines + _footer(result))


NOT_GRADED = "Not graded: its module was not in your submission (see the top of this page)."


def _missing_lines(result: Result) -> list[str]:
    """The exercises whose module the grader did not get, and why (it is the student's upload, not a
    hidden test, so it is shown before publication too)."""
    if not result.missing:
        return []
    return ["**Part of your submission could not be graded**, so these exercises score 0:", "",
            *(f"- {exercise}: {_escape_inline(why)}" for exercise, why in result.missing.items()), "",
            "Fix the files and hand them in again: `python pack_submission.py` packs them where the grader "
            "looks.", ""]


def _title(result: Result) -> list[str]:
    lines = [f"# Feedback for {_escape_inline(result.submission or 'your submission')}", ""]
    if result.note:
        lines += [f"Note: {_escape_inline(result.note)}", ""]
    return lines


def _exercise_title(exercise: str, dash: str = " — ") -> str:
    title = EXERCISE_TITLES.get(exercise, "")
    return f"{exercise}{dash + title if title else ''}"


def _test_lines(tests) -> list[str]:
    lines = []
    for test in tests:
        icon, word = STATUS_LABELS.get(test.status, ("•", test.status))
        lines.append(f"- {icon} **{_escape_inline(display_name(test.name))}** — "
                     f"{points(test.score)} / {points(test.max_score)} "
                     f"{'point' if points(test.max_score) == '1' else 'points'}, {word}")
        message = test.message.strip()
        if message and test.status != "passed":
            lines += ["", _indent(_fence(message[:MESSAGE_LIMIT]), "  "), ""]
    return lines


def _footer(result: Result) -> list[str]:
    return ["---", "",
            "Statuses: ✅ passed · ❌ failed (a wrong answer) · 💥 error (your code raised an "
            "exception or crashed) · ⏱️ timed out · 🛠️ grader error (the grader itself failed; "
            "your TA regrades the test). Questions about a result? Ask your TA, "
            f"and mention grader version {result.grader_version}.", ""]


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())
