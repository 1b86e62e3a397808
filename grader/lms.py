"""Flat LMS downloads: one folder of everybody's files, grouped into one submission per student.

Canvas ("Download Submissions") and Blackboard put every uploaded file of every student into
one folder, the student in each file's name:

    Canvas      smithyara_123_4567_cutout.py        <name>_<userid>_<submissionid>_<file>
                smithyara_late_123_4567_cutout.py   `late` (before the ids, or as a `late_` prefix)
                smithyara_123_4599_cutout-1.py      a resubmitted file: -1, -2, ... the latest wins
    Blackboard  Lab 3_ysmith_attempt_2026-11-30-10-22-33_cutout.py   the latest attempt wins
                Lab 3_ysmith_attempt_2026-11-30-10-22-33.txt         (its receipt: ignored)

`stage` copies each student's latest files into a folder of their own, named `smithyara_123`
or `ysmith`, so that the batch grades it like any other submission folder. Folders and .zip
files at the top level are submissions as they are (Moodle and GitHub Classroom give one
folder per student) and are left alone. Standard library only.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .limits import DEFAULT as LIMITS

CANVAS = re.compile(r"^(?:late_)?(?P<name>[a-z0-9]+)_(?:late_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$", re.I)
BLACKBOARD = re.compile(r"^(?P<assignment>.+?)_(?P<user>[^_]+)_attempt_"
                        r"(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<file>.+)|\.txt)?$")
RESUBMITTED = re.compile(r"^(?P<stem>.+?)-(?P<version>\d+)(?P<suffix>\.[^.]*)?$")


@dataclass
class Staged:
    submissions: list = field(default_factory=list)  # (name, path): a staged folder, or a student's one zip
    taken: set = field(default_factory=set)  # the loose files the LMS named: not submissions themselves
    notes: list = field(default_factory=list)  # what was decided, for the batch's output


def _version(file_name: str) -> tuple[str, int]:
    """('cutout.py', 2) for 'cutout-2.py'; ('cutout.py', 0) for 'cutout.py'."""
    match = RESUBMITTED.match(file_name)
    if match and not match.group("stem").endswith("-"):
        return match.group("stem") + (match.group("suffix") or ""), int(match.group("version"))
    return file_name, 0


def loose_files(directory) -> list[Path]:
    """Regular files at the top of `directory` (no symlinks, no hidden files)."""
    return sorted(Path(e.path) for e in os.scandir(directory)
                  if e.is_file(follow_symlinks=False) and not e.name.startswith("."))


def group(files) -> tuple[dict[str, dict[str, Path]], list[str]]:
    """{student: {file name: path of its latest version}} of the files an LMS named; and notes."""
    versions: dict[str, dict[str, tuple]] = {}
    notes = []
    for path in files:
        canvas, blackboard = CANVAS.match(path.name), BLACKBOARD.match(path.name)
        if canvas:
            student = f"{canvas['name'].lower()}_{canvas['user']}"
            file_name, version = _version(canvas["file"])
            rank = (version, int(canvas["submission"]))
        elif blackboard:
            if not blackboard["file"]:  # the attempt's receipt
                continue
            student, file_name, rank = blackboard["user"], blackboard["file"], (blackboard["stamp"],)
            if student.startswith("."):  # "..": it would name a folder outside the staging folder
                notes.append(f"ignored {path.name}: its user name {student!r} can't name a submission")
                continue
        else:
            if not path.name.lower().endswith(".zip"):  # a zip is a submission of its own
                notes.append(f"ignored {path.name}: a file outside any submission folder, and not named "
                             "as Canvas or Blackboard name a student's upload")
            continue
        best = versions.setdefault(student, {}).get(file_name)
        if best is None or rank > best[0]:
            versions[student][file_name] = (rank, path)
    latest = {}
    for student, files_of in versions.items():
        if any(len(r) == 1 for r, _ in files_of.values()):  # Blackboard: only the latest attempt
            newest = max(r for r, _ in files_of.values())
            files_of = {n: (r, p) for n, (r, p) in files_of.items() if r == newest}
        latest[student] = {name: path for name, (rank, path) in files_of.items()}
        older = sum(1 for p in files if _belongs(p, student)) - len(latest[student])
        if older > 0:
            notes.append(f"{student}: graded the latest version of each file; {older} earlier upload(s) left out")
    return latest, notes


def _belongs(path: Path, student: str) -> bool:
    canvas, blackboard = CANVAS.match(path.name), BLACKBOARD.match(path.name)
    if canvas:
        return f"{canvas['name'].lower()}_{canvas['user']}" == student
    return bool(blackboard and blackboard["file"] and blackboard["user"] == student)


def lms_named(path: Path) -> bool:
    """Whether Canvas or Blackboard named this file (so it is part of a student's upload)."""
    return bool(CANVAS.match(path.name) or BLACKBOARD.match(path.name))


def stage(directory, staging) -> Staged:
    """Copy each student's latest loose files into `staging/<student>/`; a student whose upload is
    one .zip is that zip. Folders, and zips the LMS did not name, are submissions as they are."""
    staged = Staged()
    loose = loose_files(directory)
    staged.taken = {p.name for p in loose if lms_named(p)}
    grouped, staged.notes = group(loose)
    for student, files in sorted(grouped.items()):
        if len(files) == 1 and next(iter(files)).lower().endswith(".zip"):
            staged.submissions.append((student, next(iter(files.values()))))
            continue
        folder = Path(staging) / student
        folder.mkdir(parents=True)
        for name, path in sorted(files.items()):
            if path.stat().st_size > LIMITS.archive_total_bytes:
                staged.notes.append(f"{student}: left out {path.name}, which is larger than a submission may be")
                continue
            if not Path(name).name.startswith("."):
                shutil.copyfile(path, folder / Path(name).name, follow_symlinks=False)
        staged.submissions.append((student, folder))
    return staged
