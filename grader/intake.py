"""What a student handed in: each exercise's module, its helpers, and what looks wrong.

Standard library only: the student bundle ships this file beside pack_submission.py and
check.py, and the grader uses the same rules, so what the pack script accepts is what is graded.

Two steps, kept apart so that other sources (a zip's names, an LMS folder) can reuse the second:

- `list_files(root)`: the relative POSIX paths of a folder's regular files (no symlinks);
- `judge(paths, modules)`: what those paths are, per exercise (`Intake`), as plain data.

`preflight(read, intake, modules)` then reads the accepted files and says what will go wrong at
grading time (stubs left, syntax errors, imports the grader lacks, work done at import time).
"""

from __future__ import annotations

import ast
import difflib
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# Names a helper may not take: the grader imports these itself, so a helper would shadow them.
RESERVED = ("torch", "numpy", "cnnlab", "pytest")
ALLOWED_IMPORTS = frozenset(sys.stdlib_module_names) | {"torch", "numpy", "cnnlab", "__future__"}
SKIPPED_DIRS = ("__pycache__", ".ipynb_checkpoints", "__MACOSX", ".git")


@dataclass
class ExerciseFiles:
    """One exercise's files (paths as found, relative to the folder that holds exN/)."""

    exercise: str
    module: str | None = None  # e.g. "ex3/cutout.py" (or "ex3/Cutout.py": matched case-insensitively)
    helpers: list[str] = field(default_factory=list)  # the student's own modules beside it
    refused: dict[str, str] = field(default_factory=dict)  # helper path -> why it is refused
    hints: list[str] = field(default_factory=list)  # notebooks, near-miss names

    def messages(self) -> list[str]:
        return [*self.refused.values(), *self.hints]


@dataclass
class Intake:
    exercises: dict[str, ExerciseFiles]
    messages: list[str] = field(default_factory=list)  # not tied to one exercise

    def accepted(self) -> dict[str, list[str]]:
        """{exercise: [module, *helpers]} of the files that go to the grader."""
        return {ex: [f.module, *f.helpers] for ex, f in self.exercises.items() if f.module}


@dataclass
class Finding:
    """A pre-flight message; `blocking` ones mean the module cannot even be imported."""

    exercise: str
    message: str
    blocking: bool = False


def list_files(root) -> list[str]:
    """Every regular file under `root`, as relative POSIX paths; symlinks and caches are skipped."""
    root = Path(root)
    found = []
    for folder, dirs, files in os.walk(root):  # os.walk does not follow symlinked folders
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            if not name.startswith(".") and stat.S_ISREG(os.lstat(path).st_mode):
                found.append(path.relative_to(root).as_posix())
    return found


def _is_test_file(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def shadow_reason(stem: str, modules: dict[str, str], exercise: str) -> str | None:
    """Why a helper called `stem` would break imports (None: the name is fine)."""
    if stem in sys.stdlib_module_names:
        return "a standard library module"
    if stem in RESERVED:
        return f"the {stem} package"
    other = next((ex for ex, module in modules.items() if module == stem and ex != exercise), None)
    if other:
        return f"{other}'s module"
    return None


def judge(paths, modules: dict[str, str]) -> Intake:
    """Sort `paths` (relative to the folder that holds ex1/, ex2/, ...) into an `Intake`.

    `modules` maps each exercise to its module name without .py ({"ex3": "cutout", ...})."""
    exact = {f"{module}.py" for module in modules.values()}  # ex3/cutout.py wins over ex3/Cutout.py
    paths = sorted((PurePosixPath(p) for p in paths), key=lambda p: (p.name not in exact, p.as_posix()))
    exercises = {ex: ExerciseFiles(ex) for ex in modules}
    by_lower = {ex.lower(): ex for ex in modules}
    loose = []  # files outside any exercise folder, or deeper inside one
    for path in paths:
        exercise = by_lower.get(path.parts[0].lower()) if len(path.parts) == 2 else None
        if exercise is None:
            loose.append(path)
            continue
        files, rel = exercises[exercise], path.as_posix()
        expected = f"{modules[exercise]}.py"
        if path.suffix.lower() == ".ipynb":
            files.hints.append(_notebook(rel, f"the .py module {exercise}/{expected}"))
        elif path.suffix != ".py" or _is_test_file(path.name):
            continue
        elif path.name.lower() == expected.lower() and files.module is None:
            files.module = rel
        elif not path.stem.isidentifier():
            loose.append(path)  # "cutout (1).py" can't be imported: a near miss at best
        else:
            reason = shadow_reason(path.stem, modules, exercise)
            if reason:
                files.refused[rel] = (f"{rel} is refused: a helper may not take the name of {reason} "
                                      f"({path.stem}); rename it, e.g. {exercise}/my_{path.stem}.py")
            else:
                files.helpers.append(rel)
    intake = Intake(exercises)
    for exercise, files in exercises.items():
        if files.module is None:
            _near_misses(exercise, f"{modules[exercise]}.py", files, paths)
    stems = {module.lower(): ex for ex, module in modules.items()}
    for path in loose:
        if path.suffix.lower() == ".ipynb":
            close = difflib.get_close_matches(path.stem.lower(), stems, n=1, cutoff=0.6)
            if close:  # cutout.ipynb, wherever it is, stands for ex3
                exercise = stems[close[0]]
                expected = f"the .py module {exercise}/{modules[exercise]}.py"
                exercises[exercise].hints.append(_notebook(path.as_posix(), expected))
            else:
                intake.messages.append(_notebook(path.as_posix(), "the .py modules (exN/<module>.py)"))
    return intake


def _notebook(rel: str, expected: str) -> str:
    return (f"found {rel}: notebooks are not graded; submit {expected} instead, "
            "packed with `python pack_submission.py`")


def _near_misses(exercise, expected, files, paths) -> None:
    """'found ex5/metrics_final.py; expected ex5/metrics.py' for the closest names anywhere."""
    want = f"{exercise}/{expected}"
    candidates = {p.as_posix(): p.stem.lower() for p in paths
                  if p.suffix == ".py" and not _is_test_file(p.name) and p.as_posix() != want}
    close = difflib.get_close_matches(PurePosixPath(expected).stem.lower(), set(candidates.values()),
                                      n=3, cutoff=0.6)
    for rel, stem in candidates.items():
        if stem in close:
            files.hints.append(f"found {rel}; expected {want}")


def scan(root, modules: dict[str, str]) -> Intake:
    """`judge` of a folder's files."""
    return judge(list_files(root), modules)


# ------------------------------------------------------------------------------- pre-flight


def _stub_count(tree) -> int:
    return sum(isinstance(node, ast.Raise) and node.exc is not None
               and "NotImplementedError" in ast.unparse(node.exc) for node in ast.walk(tree))


def _top_level(body):
    """Module-level statements, looking inside `if`/`try` blocks but not `if __name__ == ...`."""
    for node in body:
        if isinstance(node, ast.If):
            if "__name__" in ast.unparse(node.test):
                continue
            yield from _top_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_level(node.body + node.orelse + node.finalbody)
        else:
            yield node


def check_module(exercise: str, rel: str, data: bytes, local: set[str]) -> list[Finding]:
    """Findings for one module or helper; `local` holds the stems of that exercise's helpers."""
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        return [Finding(exercise, f"{rel}: is not UTF-8 text; the grader will not be able to read it", True)]
    try:
        tree = ast.parse(source, filename=rel)
    except SyntaxError as err:
        return [Finding(exercise, f"{rel}: syntax error on line {err.lineno} ({err.msg}); "
                                  f"{exercise} will get 0 points", True)]
    found = []
    stubs = _stub_count(tree)
    if stubs:
        found.append(Finding(exercise, f"{rel}: still has {stubs} `raise NotImplementedError` (not finished yet?)"))
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for node in _top_level(tree.body):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module.split(".")[0]]
        for name in names:
            if name not in ALLOWED_IMPORTS and name not in local:
                found.append(Finding(exercise, f"{rel}: imports {name}, which will not be in your submission "
                                               f"(use torch, numpy and the standard library, or put a helper "
                                               f"module {name}.py in {exercise}/)", True))
        effect = _import_time_effect(node, defined)
        if effect:
            found.append(Finding(exercise, f"{rel}: line {node.lineno} runs {effect} when the module is imported; "
                                           f"move it into a function or under `if __name__ == \"__main__\":`"))
    top = set(map(id, _top_level(tree.body)))
    for node in ast.walk(tree):  # the grader puts a helper within reach only while it imports the module
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in (n.split(".")[0] for n in names):
                if name in local:
                    found.append(Finding(exercise, f"{rel}: line {node.lineno} imports your helper {name} inside a "
                                                   "function; import it at the top of the module instead"))
    return found


def _import_time_effect(node, defined) -> str | None:
    """'print(...)' for a statement that does work at import time (None for defs, imports, constants)."""
    if isinstance(node, (ast.For, ast.While, ast.With, ast.AsyncFor, ast.AsyncWith)):
        return f"a `{type(node).__name__.lower().replace('async', '')}` loop or block"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return f"{ast.unparse(node.value.func)}(...)"
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
        for call in ast.walk(node.value):  # `model = train(...)`: the student's own code, at import time
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in defined:
                return f"{call.func.id}(...)"
    return None


def preflight(read, intake: Intake, modules: dict[str, str]) -> list[Finding]:
    """Every finding for the accepted files (`read(rel) -> bytes`), then intake's own messages,
    and 'not found' for each exercise without its module."""
    found = []
    for exercise, files in intake.exercises.items():
        if files.module is None:
            found.append(Finding(exercise, f"{exercise}/{modules[exercise]}.py: not found, so {exercise} "
                                           "counts as not started"))
        local = {PurePosixPath(h).stem for h in files.helpers}
        for rel in [files.module, *files.helpers] if files.module else []:
            found += check_module(exercise, rel, read(rel), local)
        found += [Finding(exercise, message, blocking=True) for message in files.refused.values()]
        found += [Finding(exercise, message) for message in files.hints]
    found += [Finding("", message) for message in intake.messages]
    return found
