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

import functools
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
PAIRS_SHOWN = 100  # ... for the highest-scoring flagged pairs (similarity.csv has them all)
MAX_HELPER_BYTES = 64 * 1024
PARALLEL_FROM = 50  # files to lex before a pool of processes pays for itself


@dataclass
class Pair:
    a: str
    b: str
    score: float
    per_exercise: dict  # exercise -> score, for the exercises both wrote

    @property
    def flagged(self) -> bool:
        return self.score >= THRESHOLD


# ---------------------------------------------------------------------------------------------
# reading code


def submission_code(path) -> dict[str, str]:
    """{exercise: its module's code, then each helper's} of the submission at `path` ({} if the
    grader would reject it). Read through `archive.unpacked`, as the grader reads them: the same
    modules and helpers, from folders and zips alike."""
    code = {}
    try:
        with archive.unpacked(Path(path)) as root:
            for exercise, file in MODULE_FILES.items():
                module = root / exercise / file
                if not module.is_file():
                    continue
                code[exercise] = module.read_text(encoding="utf-8", errors="replace")
                for helper in sorted(p for p in (root / exercise).glob("*.py") if p.name != file):
                    if helper.stat().st_size <= MAX_HELPER_BYTES:
                        code[exercise] += f"\n# ---- {helper.name} ----\n" + helper.read_text(encoding="utf-8",
                                                                                              errors="replace")
    except (archive.SubmissionRejected, OSError):
        return {}
    return code


# ---------------------------------------------------------------------------------------------
# fingerprints and scores


def _lex(code: str):
    """copydetect's token filter of `code` (names V/F/O, strings S, no comments or layout) and
    its offsets back into `code`: pygments' lexing, the slow part (15 ms a file here)."""
    from copydetect.utils import filter_code

    return filter_code(code, "submission.py", "python")


_LEXED: dict[str, tuple] = {}  # code -> _lex(code), filled in parallel by `_lex_all`


def _lex_all(texts) -> None:
    """Lex every new text once, on every core (a fork of this process, then the hashing here)."""
    todo = sorted(set(texts) - set(_LEXED))
    if len(todo) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool:
        _LEXED.update(zip(todo, pool.map(_lex, todo, chunksize=16)))


@functools.lru_cache(maxsize=4096)
def _fingerprint(code: str, boilerplate: frozenset = frozenset()):
    """copydetect's fingerprint of `code`, window 1 (deterministic), less the `boilerplate` k-grams.
    Cached: a class holds many identical files (untouched stubs, copies)."""
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    filtered, offsets = _LEXED.get(code) or _lex(code)
    fingerprint = CodeFingerprint("submission.py", K, 1, fp=io.StringIO(filtered), filter=False)
    fingerprint.raw_code, fingerprint.offsets = code, offsets  # what filter=True would have set
    common = fingerprint.hashes & boilerplate
    if common:
        fingerprint.hashes -= common
        for value in common:
            del fingerprint.hash_idx[value]
        fingerprint.token_coverage = get_token_coverage(fingerprint.hash_idx, K, len(fingerprint.filtered_code))
    return fingerprint


@functools.lru_cache(maxsize=None)
def _boilerplate(exercise: str) -> frozenset:
    """The k-grams of what students are given for `exercise`: its stub and public files."""
    hashes = set()
    for path in sorted((EXERCISES_DIR / exercise).glob("*.py")):
        hashes |= _fingerprint(path.read_text(encoding="utf-8")).hashes
    return frozenset(hashes)


def shares(prints: list):
    """shares[i, j]: the share of i's fingerprinted code found in j, for every pair at once.

    The number copydetect's `compare_files` gives (tokens covered by the k-grams i shares
    with j, over i's token coverage), computed for all j in one pass per i with numpy: one
    call per pair took 1 ms here, 5 minutes for 300 submissions. `tests/test_similarity.py`
    checks the two agree.
    """
    import numpy as np

    n = len(prints)
    result = np.zeros((n, n))
    if n < 2:
        return result
    positions, hashes = [], []
    for fingerprint in prints:
        pairs = [(p, h) for h, where in fingerprint.hash_idx.items() for p in where]
        positions.append(np.array([p for p, _ in pairs], dtype=np.int64))
        hashes.append(np.array([h for _, h in pairs], dtype=np.int64))
    distinct = [np.unique(h) for h in hashes]
    every = np.concatenate(distinct)
    owner = np.repeat(np.arange(n), [len(d) for d in distinct])
    order = np.argsort(every, kind="stable")
    every, owner = every[order], owner[order]
    keys, first, counts = np.unique(every, return_index=True, return_counts=True)
    for i, fingerprint in enumerate(prints):
        if not len(hashes[i]):
            continue
        at = np.searchsorted(keys, hashes[i])
        many = counts[at]
        rows = np.repeat(np.arange(len(at)), many)
        within = np.arange(many.sum()) - np.repeat(np.cumsum(many) - many, many)
        docs = owner[np.repeat(first[at], many) + within]
        length = len(fingerprint.filtered_code)
        matched = np.zeros((n, length + 1), dtype=np.int32)
        matched[docs, positions[i][rows] + 1] = 1
        seen = np.cumsum(matched, axis=1)  # a token t is covered when a match starts in (t - K, t]
        covered = (seen[:, K:] - seen[:, :-K]) > 0
        covered_head = seen[:, 1:K] > 0
        result[i] = (covered.sum(axis=1) + covered_head.sum(axis=1)) / fingerprint.token_coverage
        result[i, i] = 0.0
    return result


def compare(codes: dict[str, dict[str, str]]) -> list[Pair]:
    """Every pair of submissions ({name: submission_code}), highest score first."""
    names = sorted(codes)
    _lex_all(text for code in codes.values() for text in code.values())
    per_exercise = {}  # exercise -> (fingerprints by name, the score matrix over all names)
    for exercise in EXERCISES:
        boilerplate = _boilerplate(exercise)
        prints = {}
        for name in names:
            if exercise in codes[name]:
                fingerprint = _fingerprint(codes[name][exercise], boilerplate)
                if fingerprint.token_coverage >= MIN_TOKENS:
                    prints[name] = fingerprint
        written = list(prints)
        matrix = shares([prints[name] for name in written])
        per_exercise[exercise] = ({name: k for k, name in enumerate(written)}, matrix)
    pairs = []
    for a, b in itertools.combinations(names, 2):
        per, weight, total = {}, 0.0, 0.0
        for exercise, (at, matrix) in per_exercise.items():
            if a in at and b in at:
                per[exercise] = score = float(max(matrix[at[a], at[b]], matrix[at[b], at[a]]))
                weight += WEIGHTS[exercise]
                total += WEIGHTS[exercise] * score
        pairs.append(Pair(a, b, total / weight if weight >= MIN_WEIGHT else 0.0, per))
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
         *(f"{p.per_exercise[ex]:.3f}" if ex in p.per_exercise else "" for ex in EXERCISES)]
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
    if len(flagged) > PAIRS_SHOWN:
        parts.append(tag("p", f"The code of the first {PAIRS_SHOWN} pairs is shown below; similarity.csv lists all.",
                         class_="note"))
    for pair in flagged[:PAIRS_SHOWN]:
        parts.append(tag("h2", f"{pair.a} and {pair.b}: {pair.score:.2f}"))
        for exercise, score in sorted(pair.per_exercise.items(), key=lambda kv: -kv[1]):
            if score < SHOWN:
                continue
            slices_a, slices_b = _spans(codes[pair.a][exercise], codes[pair.b][exercise], exercise)
            parts += [tag("h3", f"{exercise}: {score:.2f} (weight {points(WEIGHTS[exercise])})"),
                      Html('<div class="pair">'),
                      _code(pair.a, codes[pair.a][exercise], slices_a),
                      _code(pair.b, codes[pair.b][exercise], slices_b), Html("</div>")]
    return page("Similar submissions", *parts)


def _cell(pair, exercise):
    return f"{pair.per_exercise[exercise]:.2f}" if exercise in pair.per_exercise else ""


def _spans(first: str, second: str, exercise: str):
    """copydetect's matching spans in each code (only for the pairs shown: 5 ms a pair here)."""
    from copydetect import compare_files

    boilerplate = _boilerplate(exercise)
    return compare_files(_fingerprint(first, boilerplate), _fingerprint(second, boilerplate))[2]


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
