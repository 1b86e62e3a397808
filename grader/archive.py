"""Turning what a student hands in (a folder or a .zip) into a folder that mirrors exercises/.

`unpacked(path)` yields a fresh temporary directory holding only the seven exercise modules
(`ex1/shapes.py`, ..., `ex7/flatten_head.py`) that the submission has, each with the helper
modules beside it and a note where `grader.intake` refused a helper or found a notebook or a
near-miss name instead of the module; everything else is ignored, and a missing module counts
as an untouched stub (the runner reports it as missing, with the note).

Accepted layouts (`find_layout`): `exN/<module>.py` at any depth, whatever the case of its
names, so any number of wrapping folders (an LMS's, `exercises/`, a cloned repository) is fine;
`<module>.py` files without their exN folders when no exercise folder is there at all; and, when
no module is found, the one .zip inside the folder (or the zip) that holds them, as Moodle's
`Name_123_assignsubmission_file_/submission.zip`. Two different files for one module leave
that exercise ungraded with both paths named, never a silent choice; identical copies are one.
The layouts of Canvas, Moodle, Blackboard and GitHub Classroom are in tests/test_lms.py (flat
LMS folders are grouped per student first: grader.lms).

Never trusted: a zip's names, sizes and modes. An archive is refused as a whole, with a
student-facing `SubmissionRejected`, for a path that could leave the extraction directory
(`..`, absolute paths, drive letters, backslashes, NUL), a symlink entry, an encrypted entry,
too many entries, a file or a total that is too large, or a compression ratio typical of a zip
bomb; sizes are checked on the bytes actually decompressed, not only on the headers. Files
are written only under names the grader makes up itself, inside the extraction directory.
A folder is read without ever following a symlink, like the sandbox's own copy.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from . import intake
from .limits import DEFAULT as LIMITS
from .sandboxed.layout import MODULE_FILES, MODULES, NOTE_FILE

MIB = 1024 * 1024
MAX_FILE_BYTES = LIMITS.archive_file_bytes
MAX_TOTAL_BYTES = LIMITS.archive_total_bytes
MAX_ENTRIES = LIMITS.archive_entries
MAX_RATIO = LIMITS.archive_ratio  # uncompressed / compressed, for entries above RATIO_MIN_BYTES
RATIO_MIN_BYTES = LIMITS.archive_ratio_min_bytes
CHUNK = 64 * 1024

def _mb(n: int) -> str:
    return f"{n / MIB:.3g} MB"


IGNORED_TOP = ("__MACOSX",)
HOW_TO_PACK = "pack it again with `python pack_submission.py` from the exercise bundle"


class SubmissionRejected(ValueError):
    """The submission cannot be graded as handed in; the message is meant for the student."""


@contextlib.contextmanager
def unpacked(path):
    """Yield a temporary directory that mirrors exercises/ for the folder or .zip at `path`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such submission: {path}")
    with tempfile.TemporaryDirectory(prefix="cnn-grader-sub-") as tmp:
        root = Path(tmp)
        if path.is_dir():
            _copy_folder(path, root)
        elif path.is_file() and (path.suffix.lower() == ".zip" or zipfile.is_zipfile(path)):
            _extract_zip(path, root)
        else:
            raise SubmissionRejected(f"{path.name} is neither a folder nor a .zip file; {HOW_TO_PACK}")
        yield root


def find_layout(names) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Where each exercise's module is: ({exercise: path}, {exercise: [paths]} when there are several).

    `names` are the submission's files as relative POSIX paths. A module is found at any depth,
    so any number of wrapping folders (an LMS's, a zip's, `exercises/`) is fine, and names match
    whatever their case: `exN/<module>.py` wherever it is, or, when no exercise folder is
    there at all, `<module>.py` files dragged in one by one. Several candidates for one module
    are reported, never silently chosen (`_pick` lets identical copies through).
    """
    usable = [n for n in names if not any(_ignored(part) for part in n.split("/")[:-1])]
    found = {ex: [] for ex in MODULE_FILES}
    for name in usable:
        parts = name.lower().split("/")
        for exercise, file in MODULE_FILES.items():
            if parts[-1] == file.lower() and len(parts) >= 2 and parts[-2] == exercise.lower():
                found[exercise].append(name)
    if not any(found.values()):
        for name in usable:
            for exercise, file in MODULE_FILES.items():
                if name.lower().split("/")[-1] == file.lower():
                    found[exercise].append(name)
    layout = {ex: paths[0] for ex, paths in found.items() if len(paths) == 1}
    return layout, {ex: sorted(paths, key=lambda p: (p.count("/"), p)) for ex, paths in found.items()
                    if len(paths) > 1}


def _pick(layout, several, read) -> dict[str, str]:
    """Notes for the exercises with several candidates; identical copies count as one (the
    shallowest is graded), differing ones leave the exercise ungraded with both paths named."""
    notes = {}
    for exercise, paths in several.items():
        if len({read(p) for p in paths}) == 1:
            layout[exercise] = paths[0]
        else:
            notes[exercise] = (f"{exercise} was not graded: the submission holds {len(paths)} different "
                               f"files for {exercise}/{MODULE_FILES[exercise]} ({', '.join(paths)}); keep one "
                               f"and {HOW_TO_PACK}")
    return notes


def _nothing_found(what, names=()) -> SubmissionRejected:
    expected = ", ".join(f"{ex}/{file}" for ex, file in MODULE_FILES.items())
    found = intake.judge(names, MODULES)  # notebooks and near misses say what to do instead
    hints = [m for files in found.exercises.values() for m in files.hints] + found.messages
    if hints:  # the likely cause first: a notebook, a near-miss name
        return SubmissionRejected(f"no exercise file was found in {what}: " + "; ".join(hints)
                                  + f". Expected files such as {expected}; {HOW_TO_PACK}")
    return SubmissionRejected(
        f"no exercise file was found in {what}: expected files such as {expected} "
        f"(or the same inside an exercises/ folder); {HOW_TO_PACK}")


def _nested_zip(names) -> str | None:
    """The one .zip inside a submission that has no module outside it (an LMS folder that holds
    the student's upload); SubmissionRejected when there are several."""
    zips = [n for n in names if n.lower().endswith(".zip") and not any(_ignored(p) for p in n.split("/")[:-1])]
    if len(zips) > 1:
        raise SubmissionRejected(f"the submission holds {len(zips)} zip files ({', '.join(zips[:5])}) and no "
                                 f"exercise module outside them; submit one; {HOW_TO_PACK}")
    return zips[0] if zips else None


def plan(layout: dict[str, str], names) -> tuple[dict[str, list[tuple[str, str]]], dict[str, str]]:
    """What to write for each exercise: ({exercise: [(source name, file name)]}, {exercise: note}).

    The modules `find_layout` found, plus the helpers beside them and the notes (a refused
    helper; what was found instead of a missing module) that `grader.intake` gives, read in
    the folder that holds each module's exN/ (its base)."""
    files = {ex: [(rel, MODULE_FILES[ex])] for ex, rel in layout.items()}
    bases = {ex: rel[:len(rel) - len(f"{ex}/{MODULE_FILES[ex]}")] for ex, rel in layout.items()
             if rel.lower().endswith(f"{ex}/{MODULE_FILES[ex]}".lower())}
    if not bases:  # modules dragged in without their exN folders: no helpers either
        return files, {}
    main_base = max(set(bases.values()), key=list(bases.values()).count)
    notes = {}
    for base in sorted(set(bases.values())):
        found = intake.judge([n[len(base):] for n in names if n.startswith(base)], MODULES)
        for exercise, judged in found.exercises.items():
            if exercise in files and bases.get(exercise) == base:
                files[exercise] += [(base + h, PurePosixPath(h).name) for h in judged.helpers]
                messages = list(judged.refused.values())
            elif exercise not in files and base == main_base:
                messages = judged.messages()  # what was found instead of the missing module
            else:
                continue
            if messages:
                notes[exercise] = "; ".join(messages)
    return files, notes


def _ignored(name: str) -> bool:
    return name in IGNORED_TOP or name.startswith(".") or name == "__pycache__"


# ---------------------------------------------------------------------------------------------
# folders


def _regular_file(root: Path, rel: str) -> bool:
    """True if `rel` is a regular file under `root` reached through real folders only."""
    current = root
    parts = PurePosixPath(rel).parts
    for i, part in enumerate(parts):
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return False
        if i < len(parts) - 1:
            if not stat.S_ISDIR(mode):  # a symlink to a folder is not followed
                return False
        elif not stat.S_ISREG(mode):
            return False
    return True


def _copy_folder(source: Path, dest: Path) -> None:
    try:
        os.scandir(source).close()
    except OSError as err:
        raise SubmissionRejected(f"the submission folder {source.name} cannot be read: {err.strerror}") from None
    names = intake.list_files(source)
    layout, several = find_layout(names)
    if not layout and not several:
        inner = _nested_zip(names)
        if inner is not None and _regular_file(source, inner):
            return _extract_zip(source / inner, dest, label=f"{source.name}/{inner}")
        raise _nothing_found(f"the folder {source.name}", names)
    conflicts = _pick(layout, several, lambda rel: _read_no_follow(source / rel, rel))
    files, notes = plan(layout, names)
    for exercise, pairs in files.items():
        for rel, name in pairs:
            _write_module(dest, exercise, _read_no_follow(source / rel, rel), name)
    _write_notes(dest, {**notes, **conflicts})


def _read_no_follow(path: Path, rel: str) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise SubmissionRejected(f"{rel} cannot be read: {err.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise SubmissionRejected(f"{rel} is not a regular file")
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise SubmissionRejected(f"{rel} is larger than {_mb(MAX_FILE_BYTES)}; an exercise module "
                                 "is a few kilobytes of Python")
    return data


def _write_notes(dest: Path, notes: dict[str, str]) -> None:
    for exercise, note in notes.items():
        (dest / exercise).mkdir(exist_ok=True)
        (dest / exercise / NOTE_FILE).write_text(note, encoding="utf-8")


def _write_module(dest: Path, exercise: str, data: bytes, name: str | None = None) -> None:
    """Write under a name the grader chooses itself, or a helper's name that `intake` accepted
    (a Python identifier + .py): nothing can land outside `dest`."""
    folder = dest / exercise
    folder.mkdir(exist_ok=True)
    target = folder / (name or MODULE_FILES[exercise])
    assert target.resolve().is_relative_to(dest.resolve())
    with open(target, "xb") as handle:
        handle.write(data)


# ---------------------------------------------------------------------------------------------
# zip archives

_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_name_reason(name: str) -> str | None:
    """Why an archive member name could escape the extraction directory (None: it can't)."""
    if "\x00" in name:
        return "contains a NUL character"
    if "\\" in name:
        return "uses backslashes (\\) as separators"
    if name.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    if ".." in PurePosixPath(name).parts:
        return "goes up a folder (..)"
    return None


def _extract_zip(path: Path, dest: Path, *, label=None, nested=False) -> None:
    label = label or path.name
    try:
        if path.stat().st_size > MAX_TOTAL_BYTES:
            raise SubmissionRejected(f"{label} is larger than {_mb(MAX_TOTAL_BYTES)}; {HOW_TO_PACK}")
        with zipfile.ZipFile(path) as archive:
            members = _checked_members(archive, label)
            files = sorted(name for name, info in members.items() if not info.is_dir())
            layout, several = find_layout(files)
            budget = [MAX_TOTAL_BYTES]
            if not layout and not several:
                inner = None if nested else _nested_zip(files)
                if inner is None:
                    raise _nothing_found(label, files)
                with tempfile.TemporaryDirectory(prefix="cnn-grader-zip-") as tmp:  # a zip in the zip
                    inner_path = Path(tmp) / "inner.zip"
                    inner_path.write_bytes(_read_member(archive, members[inner], inner, budget))
                    return _extract_zip(inner_path, dest, label=f"{label}/{inner}", nested=True)
            conflicts = _pick(layout, several, lambda name: _read_member(archive, members[name], name, [MAX_TOTAL_BYTES]))
            plans, notes = plan(layout, files)
            for exercise, pairs in plans.items():
                for name, target in pairs:
                    _write_module(dest, exercise, _read_member(archive, members[name], name, budget), target)
            _write_notes(dest, {**notes, **conflicts})
    except SubmissionRejected:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as err:
        raise SubmissionRejected(f"{label} is not a valid .zip file ({err}); {HOW_TO_PACK}") from None
    except OSError as err:
        raise SubmissionRejected(f"{label} could not be read ({err.strerror or err}); {HOW_TO_PACK}") from None


def _checked_members(archive: zipfile.ZipFile, label: str) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise SubmissionRejected(f"{label} holds {len(infos)} entries, more than the {MAX_ENTRIES} allowed; "
                                 f"{HOW_TO_PACK}")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        raw = info.orig_filename
        reason = unsafe_name_reason(raw)
        if reason:
            raise SubmissionRejected(f"{label} was refused: the entry {raw!r} {reason}, which could write "
                                     f"outside the submission folder; {HOW_TO_PACK}")
        mode = (info.external_attr >> 16) & 0xFFFF
        if stat.S_ISLNK(mode):
            raise SubmissionRejected(f"{label} was refused: {raw!r} is a symbolic link; submit the files "
                                     f"themselves ({HOW_TO_PACK})")
        if info.flag_bits & 0x1:
            raise SubmissionRejected(f"{label} was refused: {raw!r} is encrypted; submit a zip without a password")
        if info.file_size > MAX_FILE_BYTES:
            raise SubmissionRejected(f"{label} was refused: {raw!r} unpacks to {_mb(info.file_size)}, "
                                     f"more than the {_mb(MAX_FILE_BYTES)} allowed per file; {HOW_TO_PACK}")
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SubmissionRejected(f"{label} was refused: {raw!r} is compressed suspiciously well "
                                     f"(like a zip bomb); {HOW_TO_PACK}")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise SubmissionRejected(f"{label} was refused: it unpacks to more than {_mb(MAX_TOTAL_BYTES)}; "
                                     f"{HOW_TO_PACK}")
        name = raw.rstrip("/") if info.is_dir() else raw
        while name.startswith("./"):
            name = name[2:]
        if name in members:
            raise SubmissionRejected(f"{label} was refused: it holds {name!r} twice; {HOW_TO_PACK}")
        if name:
            members[name] = info
    return members


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: list) -> bytes:
    """Decompress one member, counting the bytes that actually come out (headers may lie)."""
    limit = min(MAX_FILE_BYTES, budget[0])
    chunks, size = [], 0
    with archive.open(info) as source:
        while True:
            chunk = source.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise SubmissionRejected(f"{name} unpacks to more than {_mb(limit)}; {HOW_TO_PACK}")
            if size > RATIO_MIN_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
                raise SubmissionRejected(f"{name} is compressed suspiciously well (like a zip bomb); {HOW_TO_PACK}")
            chunks.append(chunk)
    budget[0] -= size
    return b"".join(chunks)
