#!/usr/bin/env python3
"""Check every exercise the way the grader will see it, before you hand in.

    python check.py              # every exercise
    python check.py ex3 ex5      # some of them

Each exercise's public tests run in a fresh Python (`python -m pytest exercises/exN -q`), so
nothing is left over from another exercise, and one endless loop or syntax error never stops
the others. Then come the pre-flight warnings of `pack_submission.py`.

The points column is a preview: the grader's hidden tests use other inputs, and the public
checks stand for the exercise's points only as a whole (passed / total of its points).
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# BEGIN INTAKE: `cnn-grader release` replaces these lines with an import of intake.py, beside
# this script in the bundle.
from grader import intake
# END INTAKE
RUBRIC = "rubric.json"  # written by `cnn-grader release`: per exercise, its module and points
PROGRESS = re.compile(r"^([.FEsxX]+)\s*(\[\s*\d+%\])?$")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")


def run_public_tests(root: Path, exercise: str, timeout: float) -> dict:
    """{'passed', 'total', 'problem'} of one exercise's public tests, run in a fresh process."""
    cmd = [sys.executable, "-m", "pytest", f"exercises/{exercise}", "-q", "-p", "no:cacheprovider"]
    try:
        run = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout,
                             env={**os.environ, "COLUMNS": "400"})  # pytest's summary lines, uncut
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        done = "".join(m.group(1) for m in map(PROGRESS.match, out.splitlines()) if m)
        return {"passed": done.count("."), "total": None,
                "problem": f"stopped after {timeout:g} s (an endless loop?); the grader stops each call after 10 s"}
    out = run.stdout + run.stderr
    counts = {}
    for number, word in COUNT.findall(out.splitlines()[-1] if out.strip() else ""):
        counts[word.rstrip("s") if word.startswith("error") else word] = int(number)
    passed = counts.get("passed", 0)
    total = sum(counts.values())
    problem = ""
    if counts.get("error"):  # the test file could not import the module: its one line says why
        lines = [line for line in out.splitlines() if line.startswith("ERROR ")]
        problem = lines[0].partition(" - ")[2] if lines else "the tests could not run"
        total = None
    elif not counts:
        problem = (out.strip().splitlines() or ["pytest did not run"])[-1]
    return {"passed": passed, "total": total, "problem": problem}


def row(exercise: str, info: dict, result: dict) -> str:
    points = info.get("points", 10)
    total = result["total"]
    if total:
        share = f"~{points * result['passed'] / total:.3g}/{points:g} points"
        checks = f"{result['passed']}/{total} public checks"
    else:
        share, checks = f"?/{points:g} points", f"{result['passed']}/? public checks"
    return f"{exercise:<5} {info.get('module', '') + '.py':<18} {checks:<20} {share:<18} {result['problem']}"


def main(argv=None, root=HERE, rubric=None) -> int:
    parser = argparse.ArgumentParser(description="Run each exercise's public tests in a fresh process.")
    parser.add_argument("exercises", nargs="*", help="e.g. ex3 ex5 (default: all)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per exercise (default 60)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON (the notebook's table)")
    args = parser.parse_args(argv)
    root = Path(root)
    if rubric is None:
        rubric = json.loads((root / RUBRIC).read_text(encoding="utf-8"))
    known = rubric["exercises"]
    unknown = [ex for ex in args.exercises if ex not in known]
    if unknown:
        parser.error(f"unknown exercise {', '.join(unknown)}; choose from {', '.join(known)}")
    chosen = args.exercises or list(known)
    if not args.json:
        print("Public checks, one fresh run per exercise. The points are a PREVIEW: hidden tests use other inputs.")
    results = {}
    for exercise in chosen:
        results[exercise] = run_public_tests(root, exercise, args.timeout)
        if not args.json:
            print(row(exercise, known[exercise], results[exercise]), flush=True)
    modules = {ex: info["module"] for ex, info in known.items()}
    found = intake.scan(root / "exercises", modules)
    findings = [f for f in intake.preflight(lambda rel: (root / "exercises" / rel).read_bytes(), found, modules)
                if not f.exercise or f.exercise in chosen]
    if args.json:
        print(json.dumps({"rows": [{"exercise": ex, "module": known[ex].get("module", ""),
                                    "points": known[ex].get("points", 10), **results[ex]} for ex in chosen],
                          "findings": [{"exercise": f.exercise, "message": f.message, "blocking": f.blocking}
                                       for f in findings]}))
        return 0
    if findings:
        print("\nBefore you hand in (pack_submission.py says the same):")
        for finding in findings:
            print(f"  {'error' if finding.blocking else 'note'}: {finding.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
