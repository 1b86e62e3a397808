"""A class roster: who each submission belongs to, who handed nothing in, and a gradebook an
LMS imports (`cnn-grader batch ... --roster roster.csv [--canvas "Title (id)"]`).

The roster is a CSV with `id` and `name` columns, and optionally `email` and `login`.
A submission's name is what the LMS download calls it. The default rule (`match="auto"`) knows
the download names of Canvas (`smithyara_123_4567_cutout.py`, `late_...`), Moodle
(`Yara Smith_123_assignsubmission_file_`), Blackboard (`Lab3_ysmith_attempt_2026-...`) and
GitHub Classroom (`cnn-exercises-ysmith`): it matches, in this order, a roster id as a token
of the name, a login or an email's local part as a token, then the full name with case, accents
and separators ignored. `match` may instead name one column (id, login, email or name) that
must equal the submission's name. One submission never counts for two students: an ambiguous
match is reported, not guessed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import inert
from .feedback import points
from .files import write_atomic
from .results import Result

MATCH_RULES = ("auto", "id", "login", "email", "name")
REQUIRED, OPTIONAL = ("id", "name"), ("email", "login")


class RosterError(ValueError):
    """A roster that can't be used, with the line and the reason."""


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str = ""
    login: str = ""


@dataclass
class Matching:
    by_student: dict  # student id -> submission name
    missing: list  # students with no submission
    unmatched: list  # submission names that match no student
    ambiguous: dict  # submission name -> the student ids it could be


def read_roster(path) -> list[Student]:
    """The students of a roster CSV; RosterError names the problem (columns, a duplicate id)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"can't read the roster {path}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower(): c for c in (reader.fieldnames or [])}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RosterError(f"the roster {path} needs the columns id and name (optionally email, login); "
                          f"missing: {', '.join(missing)}")
    students, seen = [], set()
    for line, row in enumerate(reader, start=2):
        values = {key: (row.get(columns[key]) or "").strip() for key in (*REQUIRED, *OPTIONAL) if key in columns}
        if not values["id"]:
            raise RosterError(f"{path}, line {line}: a student without an id")
        if values["id"] in seen:
            raise RosterError(f"{path}, line {line}: the id {values['id']!r} appears twice")
        seen.add(values["id"])
        students.append(Student(**values))
    return students


def _folded(text: str) -> str:
    """Lower case, no accents, letters and digits only: 'Yara  Smíth' -> 'yarasmith'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _tokens(name: str) -> set[str]:
    return {_folded(t) for t in re.split(r"[^0-9A-Za-z@.\-]+|[_\s]+", name) if t} | {
        _folded(t) for t in re.split(r"[-_\s.]+", name) if t}


def _keys(student: Student, rule: str) -> list[tuple[str, str]]:
    """(kind, folded key) pairs a submission name may show, strongest first."""
    keys = []
    if rule in ("auto", "id") and student.id:
        keys.append(("token", _folded(student.id)))
    if rule in ("auto", "login") and student.login:
        keys.append(("token", _folded(student.login)))
    if rule in ("auto", "email") and student.email:
        keys.append(("token", _folded(student.email.partition("@")[0])))
    if rule in ("auto", "name") and student.name:
        parts = [p for p in re.split(r"[,\s]+", student.name) if p]
        keys.append(("name", _folded(student.name)))
        if "," in student.name:  # "Smith, Yara" also as "Yara Smith"
            keys.append(("name", _folded(" ".join(parts[1:] + parts[:1]))))
        keys.append(("name", _folded(" ".join(reversed(parts)))))
    return keys


def match(students: list[Student], submissions: list[str], rule: str = "auto") -> Matching:
    """Which submission belongs to which student (see the module's docstring)."""
    if rule not in MATCH_RULES:
        raise RosterError(f"unknown match rule {rule!r}: choose from {', '.join(MATCH_RULES)}")
    candidates: dict[str, list[str]] = {}
    for submission in submissions:
        tokens, whole = _tokens(submission), _folded(submission)
        found = []
        for student in students:
            for kind, key in _keys(student, rule):
                if not key:
                    continue
                exact = key == whole
                if exact if rule != "auto" else (exact or (kind == "token" and key in tokens)
                                                  or (kind == "name" and len(key) >= 4 and key in whole)):
                    found.append(student.id)
                    break
        candidates[submission] = found
    by_student, ambiguous, unmatched = {}, {}, []
    for submission, ids in candidates.items():
        if not ids:
            unmatched.append(submission)
        elif len(ids) > 1:
            ambiguous[submission] = ids
        elif ids[0] in by_student:  # two submissions for one student: both need a human
            ambiguous[submission] = ids
            ambiguous.setdefault(by_student[ids[0]], ids)
        else:
            by_student[ids[0]] = submission
    for submission in ambiguous:
        by_student = {sid: sub for sid, sub in by_student.items() if sub != submission}
    missing = [s.id for s in students if s.id not in by_student]
    return Matching(by_student, missing, sorted(unmatched), ambiguous)


def roster_csv(students: list[Student], matching: Matching, results: dict[str, Result]) -> str:
    """One row per student: id, name, submission, total, status (graded, missing, ambiguous)."""
    rows = [["id", "name", "submission", "total", "status"]]
    ambiguous_by_student = {sid: sub for sub, ids in matching.ambiguous.items() for sid in ids}
    for student in students:
        submission = matching.by_student.get(student.id)
        if submission is not None:
            result = results.get(submission)
            rows.append([student.id, student.name, submission, points(result.score) if result else "", "graded"])
        elif student.id in ambiguous_by_student:
            rows.append([student.id, student.name, ambiguous_by_student[student.id], "", "ambiguous"])
        else:
            rows.append([student.id, student.name, "", "", "missing"])
    for submission in matching.unmatched:
        result = results.get(submission)
        rows.append(["", "", submission, points(result.score) if result else "", "no student"])
    return _csv(rows)


CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_ASSIGNMENT = re.compile(r"^.+ \(\d+\)$")


def canvas_csv(students: list[Student], matching: Matching, results: dict[str, Result], assignment: str) -> str:
    """Canvas's gradebook import: its export's columns, a "Points Possible" row, then one row
    per student with the total (empty when there is no submission: Canvas leaves it ungraded)."""
    if not CANVAS_ASSIGNMENT.match(assignment):
        raise RosterError(f"the Canvas assignment column is 'Title (id)', as in Canvas's own export, "
                          f"e.g. 'CNN exercises (4242)'; got {assignment!r}")
    max_score = max((r.max_score for r in results.values()), default=0.0)
    rows = [[*CANVAS_COLUMNS, assignment], ["    Points Possible", "", "", "", "", points(max_score)]]
    for student in students:
        submission = matching.by_student.get(student.id)
        result = results.get(submission) if submission else None
        rows.append([student.name, student.id, student.id, student.login or student.email, "",
                     points(result.score) if result else ""])
    return _csv(rows)


def _csv(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([inert.cell(c) for c in row] for row in rows)
    return buffer.getvalue()


def write_roster_outputs(class_dir, students, results: dict[str, Result], *, rule="auto",
                         canvas_assignment=None) -> tuple[Matching, list[Path]]:
    """CLASS_DIR/roster.csv (and gradebook-canvas.csv); returns the matching and the files."""
    matching = match(students, sorted(results), rule)
    class_dir = Path(class_dir)
    class_dir.mkdir(parents=True, exist_ok=True)
    written = [write_atomic(class_dir / "roster.csv", roster_csv(students, matching, results))]
    if canvas_assignment:
        written.append(write_atomic(class_dir / "gradebook-canvas.csv",
                                    canvas_csv(students, matching, results, canvas_assignment)))
    return matching, written


def summary_lines(students, matching: Matching) -> list[str]:
    """What the batch prints: students with no submission, submissions with no student."""
    names = {s.id: s.name for s in students}
    lines = []
    if matching.missing:
        lines += [f"no submission from {len(matching.missing)} student(s) on the roster:",
                  *(f"  {inert.escape(names[sid])} ({inert.escape(sid)})" for sid in matching.missing)]
    if matching.unmatched:
        lines += [f"{len(matching.unmatched)} submission(s) match no student on the roster:",
                  *(f"  {inert.escape(name)}" for name in matching.unmatched)]
    if matching.ambiguous:
        lines += [f"{len(matching.ambiguous)} submission(s) match more than one student, or share one:",
                  *(f"  {inert.escape(name)}: {', '.join(map(inert.escape, ids))}"
                    for name, ids in sorted(matching.ambiguous.items()))]
    return lines
