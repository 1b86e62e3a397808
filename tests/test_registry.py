"""The exercise registry (grader/registry.py) is the only list: every exercise it names has all its
parts, nothing exists outside it, the README rubrics follow the hidden suites, and the worker kit
gets the same list without importing grader.*. Torch-free: these run in a second."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader import feedback, registry, rubric, sandbox
from grader.paths import COURSE_DIR, EXERCISES_DIR, REPO_ROOT, SOLUTIONS_DIR, hidden_suite
from grader.sandboxed import layout

IDS = registry.ids()


# --- the course's own registry -----------------------------------------------------------------

def test_registry_and_course_folders_agree():
    folders = {p.name for p in registry.COURSE_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert sorted(folders - set(IDS)) == [], f"folders in {registry.COURSE_DIR} with no line in registry.txt"
    assert sorted(set(IDS) - folders) == [], "registry.txt lines with no folder"
    elsewhere = {
        "exercises/": {p.name for p in EXERCISES_DIR.iterdir() if p.is_dir() and p.name.startswith("ex")},
        "solutions/": {p.name for p in SOLUTIONS_DIR.iterdir() if p.is_dir() and p.name.startswith("ex")},
        "grader/course/*/test_*.py": {p.stem.removeprefix("test_") for p in COURSE_DIR.glob("*/test_*.py")},
    }
    assert {where: sorted(found ^ set(IDS)) for where, found in elsewhere.items()} == {w: [] for w in elsewhere}, \
        "an exercise outside the registry, or one of the registry's missing"


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_has_all_its_parts(exercise_id):
    ex = registry.get(exercise_id)
    parts = {
        "student stub": EXERCISES_DIR / ex.id / ex.module_file,
        "README": EXERCISES_DIR / ex.id / "README.md",
        "reference solution": SOLUTIONS_DIR / ex.id / ex.module_file,
        "package": COURSE_DIR / ex.id / "__init__.py",
        "hidden suite": hidden_suite(ex.id),
        "bug zoo": COURSE_DIR / ex.id / "bugzoo.py",
    }
    missing = {what: str(path) for what, path in parts.items() if not path.is_file()}
    assert missing == {}
    assert list((EXERCISES_DIR / ex.id).glob("test_*.py")), f"exercises/{ex.id} has no public tests"


@pytest.mark.parametrize("exercise_id", IDS)
def test_hidden_points_add_up_to_the_manifest(exercise_id):
    ex = registry.get(exercise_id)
    tests = rubric.hidden_tests(rubric.suite_path(ex.id))
    assert tests, f"{rubric.suite_path(ex.id)} has no test with @pytest.mark.points"
    assert sum(t.points for t in tests) == ex.points


def test_readme_rubrics_are_up_to_date():
    assert rubric.stale() == [], "run `python -m grader.rubric --write`"
    assert rubric.main(["--check"]) == 0


def test_everything_else_derives_from_the_registry():
    assert layout.MODULES == {ex.id: ex.module for ex in registry.exercises()}
    assert layout.EXERCISES == IDS
    assert layout.POINTS == {ex.id: ex.points for ex in registry.exercises()}
    assert layout.MODULE_FILES == {ex.id: ex.module_file for ex in registry.exercises()}
    assert feedback.EXERCISE_TITLES == registry.titles() and all(registry.titles().values())
    assert registry.total_points() == sum(layout.POINTS.values())


def test_the_light_modules_load_without_torch():
    code = ("import sys, grader.registry, grader.rubric, grader.sandboxed.layout, grader.feedback; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


def test_the_worker_kit_gets_the_list_as_data_and_imports_no_grader(tmp_path):
    kit = sandbox.make_kit(tmp_path / "kit")
    assert json.loads((kit / "sandboxed" / layout.COURSE_JSON).read_text()) == registry.course_data()
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import sandboxed.layout as l; "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'grader'], 'imported grader'; "
            "print(json.dumps([l.MODULES, l.POINTS]))")
    run = subprocess.run([sys.executable, "-I", "-c", code, str(kit)], cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == [layout.MODULES, layout.POINTS]
    (kit / "sandboxed" / layout.COURSE_JSON).unlink()
    run = subprocess.run([sys.executable, "-I", "-c", code, str(kit)], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode != 0 and "make_kit" in run.stderr, "a kit without its list fails loudly"


def _texts(root: Path) -> dict[str, Path]:
    return {p.read_text(encoding="utf-8", errors="replace").strip(): p for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_worker_kit_holds_the_probes_and_no_staff_only_part(tmp_path):
    """Only grader/sandboxed, cnnlab, boot.py and, of the course, probing.py and each probes.py
    (with their package files): no hidden suite, checks, conftest, bug zoo, manifest or solution."""
    kit = sandbox.make_kit(tmp_path / "kit")
    course = {str(p.relative_to(kit / "course")) for p in (kit / "course").rglob("*") if p.is_file()}
    with_probes = [ex for ex in IDS if (COURSE_DIR / ex / "probes.py").is_file()]
    assert course == {"__init__.py", "probing.py", *(f"{ex}/{name}" for ex in with_probes
                                                      for name in ("__init__.py", "probes.py"))}
    assert {p.name for p in kit.iterdir()} == {"boot.py", "sandboxed", "cnnlab", "course"}
    staff = [p for p in COURSE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts
             and p.name not in ("probes.py", "probing.py", "__init__.py")]
    staff += [p for p in SOLUTIONS_DIR.rglob("*.py")]
    assert any(p.name.startswith("test_") for p in staff) and any(p.name == "bugzoo.py" for p in staff)
    names = {p.name for p in kit.rglob("*")}
    assert sorted(names & {p.name for p in staff if p.name != "__init__.py"}) == [], "a staff file's name"
    texts = _texts(kit)
    leaked = [str(p.relative_to(REPO_ROOT)) for p in staff
              if p.read_text(encoding="utf-8", errors="replace").strip() in texts]
    assert leaked == [], "a staff-only text in the worker kit"
    for p in staff:  # not even a part of one: a hidden test's or mutant's name
        if p.name.startswith("test_") or p.name == "bugzoo.py":
            for line in p.read_text().splitlines():
                if line.startswith("def test_") or "name=" in line:
                    needle = line.split("(")[0].removeprefix("def ").strip() if line.startswith("def ") \
                        else line.split("name=")[1].strip(" ,")
                    assert not any(needle in t for t in texts), f"{needle} ({p.name}) is in the kit"


def test_the_kit_loads_every_probe_without_grader(tmp_path):
    """The probes' relative imports work in the kit's `course` package as in grader.course."""
    from grader.course import probing

    kit = sandbox.make_kit(tmp_path / "kit")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from sandboxed.worker import probes; "
            "names = sorted(probes()); "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'grader'], 'imported grader'; "
            "print(' '.join(names))")
    run = subprocess.run([sys.executable, "-I", "-c", code, str(kit)], cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    course = sorted(name for name, fn in probing.load_probes().items()
                    if fn.__module__.startswith("grader.course."))  # tests may register their own
    assert run.stdout.split() == course


# --- reading registries and manifests ----------------------------------------------------------

def _course(tmp_path, ids="ex1\n", **manifests) -> Path:
    (tmp_path / "registry.txt").write_text(ids)
    for exercise_id, text in manifests.items():
        (tmp_path / exercise_id).mkdir()
        (tmp_path / exercise_id / "manifest.toml").write_text(text)
    return tmp_path


GOOD = 'module = "shapes"\ntitle = "shapes"\npoints = 10\n'


def test_a_valid_course_with_limits(tmp_path):
    course = _course(tmp_path, "# comment\nex1  # the first\n\nex2\n", ex1=GOOD,
                     ex2='module = "mixup"\ntitle = "mixup"\npoints = 5\n[limits]\ncall_timeout_s = 20\n')
    ex1, ex2 = registry.load(course)
    assert (ex1.id, ex1.module, ex1.title, ex1.points, dict(ex1.limits)) == ("ex1", "shapes", "shapes", 10, {})
    assert (ex2.id, ex2.points, dict(ex2.limits)) == ("ex2", 5, {"call_timeout_s": 20})
    assert registry.course_data(course) == {"exercises": [{"id": "ex1", "module": "shapes", "points": 10},
                                                          {"id": "ex2", "module": "mixup", "points": 5}]}


@pytest.mark.parametrize("ids, manifest, needle", [
    ("ex1\n", None, "ex1/manifest.toml: missing"),
    ("ex1\nex1\n", GOOD, "registry.txt:2: 'ex1' is listed twice"),
    ("exercise1\n", GOOD, "registry.txt:1: 'exercise1' is not an exercise id"),
    ("# nothing\n", GOOD, "lists no exercise"),
    ("ex1\n", "module = \n", "not valid TOML"),
    ("ex1\n", 'module = "shapes"\npoints = 10\n', "field 'title' is missing"),
    ("ex1\n", 'module = "Shapes.py"\ntitle = "t"\npoints = 10\n', "field 'module' must be"),
    ("ex1\n", 'module = "shapes"\ntitle = ""\npoints = 10\n', "field 'title' must be"),
    ("ex1\n", 'module = "shapes"\ntitle = "t"\npoints = "10"\n', "field 'points' must be a positive number"),
    ("ex1\n", 'module = "shapes"\ntitle = "t"\npoints = true\n', "field 'points' must be a positive number"),
    ("ex1\n", GOOD + 'pionts = 3\n', "field 'pionts' is not a manifest field"),
    ("ex1\n", GOOD + 'limits = 3\n', "field 'limits' must be a table"),
    ("ex1\n", GOOD + '[limits]\ncall_timeout = 3\n', "field 'limits.call_timeout' is not a limit"),
    ("ex1\n", GOOD + '[limits]\ntraining_timeout_s = -1\n', "field 'limits.training_timeout_s' must be a positive"),
])
def test_an_invalid_registry_or_manifest_names_the_file_and_field(tmp_path, ids, manifest, needle):
    course = _course(tmp_path, ids, **({"ex1": manifest} if manifest is not None else {}))
    with pytest.raises(registry.RegistryError) as caught:
        registry.load(course)
    assert needle in str(caught.value) and str(tmp_path) in str(caught.value)


def test_two_exercises_sharing_a_module_are_refused(tmp_path):
    course = _course(tmp_path, "ex1\nex2\n", ex1=GOOD, ex2=GOOD)
    with pytest.raises(registry.RegistryError, match="ex2/manifest.toml: field 'module' 'shapes' is already"):
        registry.load(course)


# --- the rubric generator ----------------------------------------------------------------------

SUITE = '''
import pytest

@pytest.mark.points(2)
def test_first(sub):
    """Checks the first thing. And more."""

@pytest.mark.public
@pytest.mark.points(1)
def test_second(sub):
    """Checks the second thing."""

def test_helper_without_points():
    pass

@pytest.mark.points(1)
def test_new(sub):
    """A test the README does not know yet."""
'''

README = """# exN

Intro.

## How it is graded (3 points)

Prose that stays.

| Hidden test | Points |
|---|---|
| `test_second` — hand-written words | 5 |
| `test_first` | 2 |
| `test_gone` — a test that no longer exists | 1 |

## After
"""


def test_rubric_regenerates_a_stale_table_and_keeps_the_words(tmp_path):
    (tmp_path / "test_exN.py").write_text(SUITE)
    tests = rubric.hidden_tests(tmp_path / "test_exN.py")
    assert [(t.name, t.points, t.public) for t in tests] == [("test_first", 2, False), ("test_second", 1, True),
                                                             ("test_new", 1, False)]
    ex = registry.Exercise("exN", "thing", "a thing", 4, public_checks={"test_first": "test_public_first"})
    assert rubric.render(README, ex, tests) == README.replace("(3 points)", "(4 points)").replace(
        "| Hidden test | Points |\n|---|---|\n", "| hidden test | points | public check |\n|---|---|---|\n").replace(
        "| `test_second` — hand-written words | 5 |\n| `test_first` | 2 |\n"
        "| `test_gone` — a test that no longer exists | 1 |\n",
        "| `test_first` | 2 | `test_public_first` |\n| `test_second` — hand-written words | 1 | — |\n"
        "| `test_new` — A test the README does not know yet | 1 | — |\n")
    rendered = rubric.render("# exN\n\nIntro.\n", ex, tests)
    assert rendered.endswith("## Grading (4 points)\n\n| hidden test | points | public check |\n|---|---|---|\n"
                             "| `test_first` — Checks the first thing | 2 | `test_public_first` |\n"
                             "| `test_second` — Checks the second thing | 1 | — |\n"
                             "| `test_new` — A test the README does not know yet | 1 | — |\n"), "a README without one gets one"
    assert rubric.render(rendered, ex, tests) == rendered
    with pytest.raises(rubric.RubricError, match="add up to 4, but .*says points = 10"):
        rubric.render(README, registry.Exercise("exN", "thing", "a thing", 10), tests)


def test_rubric_check_fails_on_a_stale_readme(tmp_path, monkeypatch):
    original, ex1 = rubric.readme_path("ex1").read_text(), registry.get("ex1")
    readme = tmp_path / "ex1" / "README.md"
    readme.parent.mkdir()
    readme.write_text(original.replace(" | 2 | ", " | 3 | ", 1))
    monkeypatch.setattr(rubric, "EXERCISES_DIR", tmp_path)
    monkeypatch.setattr(registry, "exercises", lambda: (ex1,))
    assert rubric.stale() == [readme]
    assert rubric.main(["--check"]) == 1
    assert rubric.main(["--write"]) == 0
    assert readme.read_text() == original
    assert rubric.main(["--check"]) == 0
