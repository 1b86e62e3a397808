"""Similarity of submissions' code: pairs more alike than independent work, for a TA to look at.

    cnn-grader similarity SUBMISSIONS --out OUT   (or: cnn-grader report OUT --similarity SUBMISSIONS)

Per exercise, each submission's module and the helper .py files beside it (in a folder
submission; a zip gives its modules only) are fingerprinted with copydetect (token winnowing:
names become V/F, strings S, comments and layout vanish, so renaming and reformatting change
nothing). The stub handed out (exercises/exN/*.py) is boilerplate: starter code never counts.
Two submissions' exercise score is copydetect's overlap (the larger of the two shares of
fingerprinted code found in the other); their overall score is the weighted mean over the
exercises both wrote (`WEIGHTS`): the exercises whose code the contract dictates carry little
evidence. A pair at or above `THRESHOLD` is flagged, in OUT/_class/similarity.csv and
similarity.html (our own view: copydetect's report loads Bootstrap from a CDN).

Deterministic: copydetect hashes k-grams with Python's salted `hash()`, and winnowing keeps
the smallest hash of each window, so which fingerprints survive would change from run to run.
With a window of 1 every k-gram is a fingerprint: no choice depends on a hash value, and only
equal k-grams match, whatever the salt (tests/test_similarity.py runs two salts).
"""

from __future__ import annotations

import io
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from . import archive
from .batch import discover
from .feedback import points
from .files import write_atomic
from .html_page import Html, esc, join, page, table, tag
from .paths import EXERCISES_DIR
from .report import (CLASS_DIR, REPORT_HTML, SIMILARITY_COLUMNS, SIMILARITY_CSV, SIMILARITY_HTML, STAFF_ONLY,
                     write_csv)
from .sandboxed.layout import EXERCISES, MODULE_FILES

# copydetect's noise threshold: a match spans at least this many filtered characters. Its
# default, 25, matched independent solutions at 0.3-0.5: short idioms every solution shares.
K = 40
# How much an exercise's similarity counts in a pair's score. The contract of ex7 dictates its
# code almost line by line (the same layers in the same order), and ex1 and ex2 are mostly
# one-line formulas and validation that every correct solution shares: little evidence.
WEIGHTS = {"ex1": 0.3, "ex2": 0.3, "ex3": 1.0, "ex4": 1.0, "ex5": 1.0, "ex6": 1.0, "ex7": 0.1}
MIN_TOKENS = 60  # an exercise with fewer fingerprinted characters than this (after boilerplate) is not compared
MIN_WEIGHT = 1.0  # a pair is flagged only when the exercises both wrote weigh at least this much
# Flag at or above. Measured with K = 40 (tests/test_similarity.py, docs/report.md): the five
# independent correct solutions score at most 0.25 against each other (alice and kim), the
# planted copies at least 0.77 (ex3-ex6 copied): a margin of about 0.25 on either side.
THRESHOLD = 0.5
CSV_FLOOR = 0.2  # similarity.csv lists the pairs scoring at least this (all pairs of a class are too many)
SHOWN = 0.3  # similarity.html shows an exercise's code side by side from this score up
MAX_HELPER_BYTES = 64 * 1024


@dataclass
class Pair:
    a: str
    b: str
    score: float
    per_exercise: dict  # exercise -> (score, slices in a's code, slices in b's code)

    @property
    def flagged(self) -> bool:
        return self.score >= THRESHOLD


# ---------------------------------------------------------------------------------------------
# reading code


def submission_code(path) -> dict[str, str]:
    """{exercise: its module's code, then each helper's} of the submission at `path` ({} if the
    grader would reject it). The modules come through `archive.unpacked`, as the grader reads them."""
    path = Path(path)
    code = {}
    try:
        with archive.unpacked(path) as root:
            for exercise, file in MODULE_FILES.items():
                module = root / exercise / file
                if module.is_file():
                    code[exercise] = module.read_text(encoding="utf-8", errors="replace")
    except (archive.SubmissionRejected, OSError):
        return {}
    if path.is_dir():
        for exercise, helpers in _helpers(path).items():
            if exercise in code:
                code[exercise] += "".join(f"\n# ---- {name} ----\n{text}" for name, text in helpers)
    return code


def _helpers(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Other .py files in each exercise folder of a folder submission (not public tests or
    conftest; no symlink, nothing outside the submission)."""
    top = path.resolve()
    tops = sorted(e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False) and not e.name.startswith("."))
    layout = archive.find_layout(lambda rel: (path / rel).is_file(), tops)
    found = {}
    for exercise, rel in layout.items():
        folder = (path / rel).parent
        if folder.name != exercise or not folder.resolve().is_relative_to(top):
            continue
        found[exercise] = [
            (p.name, p.read_text(encoding="utf-8", errors="replace")) for p in sorted(folder.glob("*.py"))
            if p.name != MODULE_FILES[exercise] and not p.name.startswith("test_") and p.name != "conftest.py"
            and not p.is_symlink() and p.is_file() and p.stat().st_size <= MAX_HELPER_BYTES]
    return found


# ---------------------------------------------------------------------------------------------
# fingerprints and scores


def _fingerprint(code: str, boilerplate: frozenset = frozenset()):
    """copydetect's fingerprint of `code`, window 1 (deterministic), less the `boilerplate` k-grams."""
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    fingerprint = CodeFingerprint("submission.py", K, 1, fp=io.StringIO(code))
    common = fingerprint.hashes & boilerplate
    if common:
        fingerprint.hashes -= common
        for value in common:
            del fingerprint.hash_idx[value]
        fingerprint.token_coverage = get_token_coverage(fingerprint.hash_idx, K, len(fingerprint.filtered_code))
    return fingerprint


def _boilerplate(exercise: str) -> frozenset:
    """The k-grams of what students are given for `exercise`: its stub and public files."""
    hashes = set()
    for path in sorted((EXERCISES_DIR / exercise).glob("*.py")):
        hashes |= _fingerprint(path.read_text(encoding="utf-8")).hashes
    return frozenset(hashes)


def compare(codes: dict[str, dict[str, str]]) -> list[Pair]:
    """Every pair of submissions ({name: submission_code}), highest score first."""
    from copydetect import compare_files

    prints = {}
    for exercise in EXERCISES:
        boilerplate = _boilerplate(exercise)
        for name, code in codes.items():
            if exercise in code:
                fingerprint = _fingerprint(code[exercise], boilerplate)
                if fingerprint.token_coverage >= MIN_TOKENS:
                    prints[name, exercise] = fingerprint
    pairs = []
    for a, b in itertools.combinations(sorted(codes), 2):
        per, weight, total = {}, 0.0, 0.0
        for exercise in EXERCISES:
            first, second = prints.get((a, exercise)), prints.get((b, exercise))
            if first is None or second is None:
                continue
            if first.hashes.isdisjoint(second.hashes):
                score, slices = 0.0, ((), ())
            else:
                _, shares, slices = compare_files(first, second)
                score = float(max(shares))
            per[exercise] = (score, *slices)
            weight += WEIGHTS[exercise]
            total += WEIGHTS[exercise] * score
        overall = total / weight if weight >= MIN_WEIGHT else 0.0
        pairs.append(Pair(a, b, overall, per))
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


# ---------------------------------------------------------------------------------------------
# outputs


def write_similarity(submissions, out) -> str:
    """Compare the submissions in `submissions` (named as batch names them) and write
    OUT/_class/similarity.csv and similarity.html; returns a one-line summary."""
    found = discover(submissions)
    codes = {name: submission_code(path) for name, path, _ in found}
    pairs = compare(codes)
    folder = Path(out) / CLASS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / SIMILARITY_CSV, [SIMILARITY_COLUMNS] + [
        [p.a, p.b, f"{p.score:.3f}", "yes" if p.flagged else "no",
         *(f"{p.per_exercise[ex][0]:.3f}" if ex in p.per_exercise else "" for ex in EXERCISES)]
        for p in pairs if p.score >= CSV_FLOOR])
    flagged = [p for p in pairs if p.flagged]
    path = write_atomic(folder / SIMILARITY_HTML, render(flagged, codes, compared=len(pairs)))
    return f"similarity: {len(flagged)} of {len(pairs)} pair(s) flagged (threshold {THRESHOLD}): {path}"


def render(flagged: list[Pair], codes, *, compared: int) -> str:
    weights = ", ".join(f"{ex} {points(w)}" for ex, w in WEIGHTS.items())
    parts = [tag("h1", "Similar submissions"), tag("p", STAFF_ONLY, class_="staff"),
             tag("p", join(f"{len(flagged)} of {compared} pair(s) score at least {THRESHOLD} and are flagged. "
                           "A flag is a reason to look at the code, not a verdict. Back to the ",
                           Html(f'<a href="{REPORT_HTML}">class report</a>'), "."), class_="note"),
             tag("p", f"Score: copydetect's share of matching code per exercise (starter code excluded), averaged "
                      f"with these weights: {weights}. Exercises whose code the contract dictates almost line by "
                      "line (ex7; the one-line formulas of ex1 and ex2) weigh little: matching there is weak "
                      "evidence.", class_="note"),
             table(["submission", "submission", "score", *EXERCISES],
                   [[p.a, p.b, f"{p.score:.2f}", *(_cell(p, ex) for ex in EXERCISES)] for p in flagged],
                   numeric=range(2, 10))]
    for pair in flagged:
        parts.append(tag("h2", f"{pair.a} and {pair.b}: {pair.score:.2f}"))
        for exercise, (score, slices_a, slices_b) in sorted(pair.per_exercise.items(), key=lambda kv: -kv[1][0]):
            if score < SHOWN:
                continue
            parts += [tag("h3", f"{exercise}: {score:.2f} (weight {points(WEIGHTS[exercise])})"),
                      Html('<div class="pair">'),
                      _code(pair.a, codes[pair.a][exercise], slices_a),
                      _code(pair.b, codes[pair.b][exercise], slices_b), Html("</div>")]
    return page("Similar submissions", *parts)


def _cell(pair, exercise):
    return f"{pair.per_exercise[exercise][0]:.2f}" if exercise in pair.per_exercise else ""


def _code(name: str, code: str, slices) -> Html:
    """`code` escaped, with the spans copydetect matched in <mark>."""
    pieces, at = [], 0
    spans = sorted(zip(*slices)) if len(slices) else []
    for start, end in spans:
        start, end = max(int(start), at), int(end)
        if end <= start:
            continue
        pieces += [esc(code[at:start]), Html("<mark>"), esc(code[start:end]), Html("</mark>")]
        at = end
    pieces.append(esc(code[at:]))
    return join(Html("<div>"), tag("h4", name), Html("<pre>"), *pieces, Html("</pre></div>"))
