"""The bundle students get: `cnn-grader release --out DIR`.

    DIR/
      README.md            how to install, test, and hand in
      requirements.txt     torch / numpy / pytest / pytest-timeout: ranges that keep a torch 2.x
                           already installed (Colab, CUDA); the grader's own pins are in a comment
      pyproject.toml       the same, and pytest's settings for the bundle
      pack_submission.py   `python pack_submission.py` -> submission.zip, as `cnn-grader grade` takes it
                           (grader/templates/pack_submission.py with layout.MODULES written in)
      check.py             `python check.py [ex3 ...]`: public tests, one fresh process per exercise,
                           with a preview of the points (grader/templates/check.py)
      intake.py            grader/intake.py: the pre-flight the pack script, check.py and the grader share
      rubric.json          per exercise: module, title, points and its graded behaviours (`rubric_data`)
      exercises.ipynb      the notebook path (Jupyter, Colab): a section per exercise, `edit`, `check`,
                           `pack` (grader/templates/notebook.py builds it from the registry and READMEs)
      notebook_tools.py    its helpers: each check runs check.py in a fresh process (never stale)
      docs/                the student pages the READMEs link (STUDENT_DOCS)
      cnnlab/              the course lab
      exercises/           stubs, READMEs, public tests, conftest.py (its staff-only block left out)

It never contains the reference solutions, the hidden suites or the grader: the bundle is
checked before it is put in place, and a file whose text equals a solution or hidden-suite file
stops the release. The bundle is built in a temporary folder and renamed into place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from . import __version__
from .files import write_atomic
from .limits import DEFAULT as LIMITS
from .paths import COURSE_DIR, EXERCISES_DIR, REPO_ROOT, SOLUTIONS_DIR, hidden_suite
from .sandboxed.layout import MODULES, POINTS

STUDENT_PACKAGES = ("torch", "numpy", "pytest", "pytest-timeout")
SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# Real files, so linters and tests see them; the release writes the exercise list into them.
PACK_TEMPLATE = Path(__file__).resolve().parent / "templates" / "pack_submission.py"
CHECK_TEMPLATE = Path(__file__).resolve().parent / "templates" / "check.py"
INTAKE_MODULE = Path(__file__).resolve().parent / "intake.py"
TEMPLATES = Path(__file__).resolve().parent / "templates"
MODULES_BLOCK = re.compile(r"^# BEGIN MODULES\b.*?^# END MODULES\n", re.M | re.S)
INTAKE_BLOCK = re.compile(r"^# BEGIN INTAKE\b.*?^# END INTAKE\n", re.M | re.S)
# The student conftest's staff-only part (CNN_GRADER_TARGET=solutions) stays in the repo.
STAFF_BLOCK = re.compile(r"^# BEGIN STAFF\b.*?^# END STAFF\n", re.M | re.S)
IMPORT_INTAKE = "sys.path.insert(0, str(HERE))  # intake.py, beside this script\nimport intake  # noqa: E402\n"
# What students install: ranges, so that pip keeps a torch 2.x they already have (Colab, a CUDA
# build) instead of replacing it with the grader's exact pin (pyproject.toml, constraints.txt).
STUDENT_RANGES = {"torch": ">=2.0,<3", "numpy": ">=1.24,<3", "pytest": ">=8", "pytest-timeout": ">=2.1"}
RUBRIC_FORMAT = 1
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve")


class ReleaseError(RuntimeError):
    """The bundle would leak something it must not hold."""


STUDENT_DOCS = ("model-rebuild.md",)  # docs/ pages written for students; the rest are staff-only


def build_release(out, *, force=False) -> Path:
    """Write the student bundle to `out` (which must be absent or empty, unless `force`)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise ValueError(f"{out} already exists and is not empty (use --force to replace it)")
    target = out.resolve()
    sources = [REPO_ROOT / name for name in ("exercises", "solutions", "grader", "cnnlab")]
    if target == REPO_ROOT.resolve() or any(target == s.resolve() or s.resolve() in target.parents
                                            for s in sources):
        raise ValueError(f"{out} is the project itself or inside its sources; choose another folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        os.chmod(tmp, 0o755)
        _copy_tree(EXERCISES_DIR, tmp / "exercises")
        write_atomic(tmp / "exercises" / "conftest.py", student_conftest())
        import cnnlab

        _copy_tree(Path(cnnlab.__file__).resolve().parent, tmp / "cnnlab")
        pins = pinned_requirements()
        write_atomic(tmp / "requirements.txt", _requirements(pins))
        write_atomic(tmp / "pyproject.toml", _pyproject(pins))
        write_atomic(tmp / "README.md", _readme())
        write_atomic(tmp / "pack_submission.py", pack_script(), mode=0o755)
        write_atomic(tmp / "check.py", check_script(), mode=0o755)
        write_atomic(tmp / "intake.py", INTAKE_MODULE.read_bytes())
        write_atomic(tmp / "rubric.json", json.dumps(rubric_data(), indent=2) + "\n")
        write_atomic(tmp / "notebook_tools.py", (TEMPLATES / "notebook_tools.py").read_bytes())
        write_atomic(tmp / "exercises.ipynb", notebook_json())
        (tmp / "docs").mkdir()
        for name in STUDENT_DOCS:  # the READMEs of ex6 and ex7 link them
            write_atomic(tmp / "docs" / name, (REPO_ROOT / "docs" / name).read_bytes())
        problems = leaks(tmp)
        if problems:
            raise ReleaseError("the bundle would leak grader files:\n  " + "\n  ".join(problems))
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _copy_tree(source: Path, dest: Path) -> None:
    """Regular files only (no symlinks, no caches), each written atomically."""
    dest.mkdir(parents=True)
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        if entry.name in SKIPPED_NAMES or entry.name.endswith(SKIPPED_SUFFIXES) or entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            _copy_tree(Path(entry.path), dest / entry.name)
        elif entry.is_file(follow_symlinks=False):
            write_atomic(dest / entry.name, Path(entry.path).read_bytes())


def _normalised(data: bytes) -> str:
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def secret_files() -> list[Path]:
    """Every file of the reference solutions and of the course's staff folders (hidden suites,
    probes, bug zoos, manifests)."""
    found = []
    for root in (SOLUTIONS_DIR, COURSE_DIR):
        if root.is_dir():
            found += [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return found


def leaks(bundle) -> list[str]:
    """Why `bundle` must not go to students ([] if it may)."""
    bundle = Path(bundle)
    secrets = {}
    for path in secret_files():
        text = _normalised(path.read_bytes())
        if text:
            secrets[text] = path
    problems = []
    for path in sorted(bundle.rglob("*")):
        rel = path.relative_to(bundle)
        if path.is_symlink():
            problems.append(f"{rel} is a symlink")
            continue
        if path.is_dir():
            if path.name in ("solutions", "hidden", "course", "grader"):
                problems.append(f"{rel}/ is a grader folder")
            continue
        match = secrets.get(_normalised(path.read_bytes()))
        if match is not None:
            problems.append(f"{rel} has the same text as {match.relative_to(REPO_ROOT) if match.is_relative_to(REPO_ROOT) else match}")
    return problems


def pinned_requirements() -> dict[str, str]:
    """{'torch': '==2.13.0', ...} from the project's pyproject.toml, for the student packages."""
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib

        deps = tomllib.loads(text)["project"]["dependencies"]
    except (ImportError, KeyError):
        deps = re.findall(r'"([A-Za-z0-9_.-]+\s*==\s*[^"]+)"', text)
    pins = {}
    for dep in deps:
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(==\s*[^;\s]+)", dep)
        if match and match.group(1).lower() in STUDENT_PACKAGES:
            pins[match.group(1).lower()] = match.group(2).replace(" ", "")
    missing = [p for p in STUDENT_PACKAGES if p not in pins]
    if missing:
        raise ReleaseError(f"pyproject.toml pins no version of {', '.join(missing)}")
    return {p: pins[p] for p in STUDENT_PACKAGES}


def _grader_versions(pins) -> str:
    return ", ".join(f"{name}{version}" for name, version in pins.items())


def _requirements(pins) -> str:
    lines = ["# What the exercises need: pip install -r requirements.txt",
             "# A torch 2.x you already have (Colab, a CUDA build) is kept. The grader itself runs",
             f"# {_grader_versions(pins)}.",
             "# Without torch, pip takes PyTorch's CPU-only build: a few hundred MB instead of several GB.",
             "--extra-index-url https://download.pytorch.org/whl/cpu"]
    return "\n".join(lines + [f"{name}{STUDENT_RANGES[name]}" for name in pins]) + "\n"


def _pyproject(pins) -> str:
    deps = "\n".join(f'    "{name}{STUDENT_RANGES[name]}",' for name in pins)
    return f'''# The course exercises. Nothing to build: install what they need with
#   pip install -r requirements.txt
# (a torch 2.x you already have is kept; the grader runs {_grader_versions(pins)})
# and run everything from this folder (the lab, cnnlab/, is imported from here).
[project]
name = "cnn-exercises"
version = "{__version__}"
requires-python = ">=3.10"
dependencies = [
{deps}
]

[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
packages = ["cnnlab"]

[tool.pytest.ini_options]
testpaths = ["exercises"]
# A test that runs longer than this (an endless loop?) stops with a clear message.
timeout = {LIMITS.public_test_timeout_s:g}
'''


def student_conftest() -> str:
    """exercises/conftest.py without its staff-only block."""
    text = (EXERCISES_DIR / "conftest.py").read_text(encoding="utf-8")
    text, count = STAFF_BLOCK.subn("", text)
    if count != 1:
        raise ReleaseError(f"exercises/conftest.py needs one '# BEGIN STAFF' ... '# END STAFF' block, found {count}")
    return text


def notebook_json() -> str:
    """exercises.ipynb: a section per exercise, from the registry and the READMEs."""
    from . import registry
    from .templates.notebook import build

    titles = registry.titles()
    return build({ex: {"module": module, "title": titles.get(ex, module),
                       "readme": (EXERCISES_DIR / ex / "README.md").read_text(encoding="utf-8")
                       if (EXERCISES_DIR / ex / "README.md").is_file() else ""}
                  for ex, module in MODULES.items()})


def check_script() -> str:
    """check.py with an import of the intake.py beside it."""
    return _replace_block(CHECK_TEMPLATE, INTAKE_BLOCK, "# BEGIN INTAKE\n" + IMPORT_INTAKE + "# END INTAKE\n")


def _replace_block(template: Path, pattern, block: str) -> str:
    text, count = pattern.subn(lambda _: block, template.read_text(encoding="utf-8"))
    if count != 1:
        raise ReleaseError(f"{template} needs one {pattern.pattern.split(chr(92))[0]} ... block, found {count}")
    return text


def rubric_data() -> dict:
    """What check.py shows points from. Extensible: readers ignore keys they do not know, and a
    behaviour may later name the public checks that stand for it."""
    from .registry import exercises as registered
    from .rubric import hidden_tests

    exercises = {}
    for ex in registered():
        behaviours = [{"name": t.name, "points": t.points, "public": t.public}
                      for t in hidden_tests(hidden_suite(ex.id))]
        exercises[ex.id] = {"module": ex.module, "title": ex.title, "points": ex.points, "behaviours": behaviours}
    return {"format": RUBRIC_FORMAT,
            "note": "public checks map to points only per exercise (passed / total of its points)",
            "exercises": exercises}


def pack_script() -> str:
    """The template with layout.MODULES written in: adding an exercise needs no edit to it."""
    entries = "".join(f"    {json.dumps(exercise)}: {json.dumps(module)},\n" for exercise, module in MODULES.items())
    block = ("# BEGIN MODULES: the course's exercises and their modules, and the checks of intake.py\n"
             f"{IMPORT_INTAKE}MODULES = {{\n{entries}}}\n# END MODULES\n")
    return _replace_block(PACK_TEMPLATE, MODULES_BLOCK, block)


def _number(n: int) -> str:
    """'seven' for 7, as the README's prose says it; digits past twelve."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def _points_sentence() -> str:
    values = set(POINTS.values())
    if len(values) == 1:
        return f"Each exercise is worth {values.pop():g} points."
    return "Points: " + ", ".join(f"{ex} {points:g}" for ex, points in POINTS.items()) + "."


def _readme() -> str:
    count = _number(len(MODULES))
    exercises = "\n".join(f"| {ex} | `exercises/{ex}/{module}.py` | `pytest exercises/{ex}` |"
                          for ex, module in MODULES.items())
    return f"""# CNN exercises

{count.capitalize()} graded exercises around a small convolutional network (the lab in `cnnlab/`).
{_points_sentence()}

## 1. Install (once)

You need Python 3.10 or newer. In this folder:

```bash
python -m venv .venv
source .venv/bin/activate          # Windows: .venv\\Scripts\\activate
pip install -r requirements.txt
```

`requirements.txt` keeps a torch 2.x you already have (on Colab, say) and otherwise installs
one; its comment names the exact versions the grader runs. Run every command below from this
folder: that is how `cnnlab` is found.

Prefer a notebook (Jupyter or Colab)? Open `exercises.ipynb`: each section opens an
exercise's file, checks it in a fresh Python and shows a table, and `pack()` makes the zip.
On Colab, upload this folder as `cnn-exercises` next to the notebook; Colab's own torch is kept.

## 2. Work on an exercise

| Exercise | Your file | Public tests |
|---|---|---|
{exercises}

1. Read `exercises/exN/README.md` (where there is one) and the docstrings in your file.
2. Replace each `raise NotImplementedError` with your code. Keep the file names, function
   names and arguments as they are: the grader calls them by name.
3. Run the public tests, for example:

   ```bash
   pytest exercises/ex3
   ```

   A function you have not written yet shows up as one clear line,
   `cutout_mask() is not implemented yet: open exercises/ex3/cutout.py ...`.
   Run `pytest exercises` to try everything at once.

The public tests are a friendly subset of what is graded: the grader runs more (hidden)
tests of the same functions, so passing every public test is a good sign but not a promise.
Randomness must come only from the `rng` argument, drawn in the order the docstring gives.

You can explore the lab with `python -m cnnlab` (it trains the course's small CNN).

Before you hand in, `python check.py` (or `python check.py ex3 ex5`) runs each exercise's
public tests in a fresh Python and prints one line per exercise: the public checks passed and
a preview of the points (the hidden tests use other inputs), then what the pack step will
warn about.

## 3. Hand in

```bash
python pack_submission.py
```

writes `submission.zip` with your {count} exercise files (`exercises/exN/<module>.py`) and
the helper modules of your own beside them (`exercises/exN/helpers.py`), and tells you what
the grader will stumble on: a `raise NotImplementedError` left, a file with a wrong name,
an import of a package the grader does not have, code that runs (prints, trains) when the
module is imported. A module that cannot be imported at all is not packed (`--force` packs
it anyway). Upload `submission.zip`. Notebooks and data are not included: put your code in
the `.py` files.

## How grading works

Your code runs in a sandbox, one call at a time, with time limits (an endless loop costs
only the tests that hit it). Each test is worth some points of its exercise; you get a
feedback report listing every test, its points, and a short message saying what was
expected. Printing is fine: the end of what your code printed is shown in your feedback.
"""
