"""The grader's import structure: no cycles, layers import only downwards, a self-contained worker kit.

Every import of every module under grader/ is read with `ast` (top-level and lazy ones inside
functions alike, absolute and relative), so a cycle hidden behind a lazy import counts too.
An import of `grader.a.b` is an edge to that module only (not to the packages above it).

Layers, lowest first (a module may import its own layer and the layers listed under it):

- core: what every part needs and that needs no part: the exercise list, result documents,
  failures, files, inert text, the grader's and the kernel's limits, paths, and the sandboxed worker kit;
- judge: grading one submission in this process (archive, sandbox, worker link, seam, runner,
  the hidden suites);
- views: what a result looks like to people (feedback, Gradescope's results.json);
- apps: the commands (cli, api, batch, release, otter, the judge processes).

judge and views sit side by side: neither imports the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader import registry

PACKAGE = Path(__file__).resolve().parent.parent / "grader"

BELOW = {  # layer -> the layers it may import (besides its own)
    "core": set(),
    "judge": {"core"},
    "views": {"core"},
    "apps": {"core", "judge", "views"},
}

LAYERS = {
    # core
    "grader": "core",
    "grader.paths": "core",
    "grader.failures": "core",
    "grader.files": "core",
    "grader.inert": "core",
    "grader.cgroups": "core",
    "grader.seccomp": "core",
    "grader.results": "core",
    "grader.registry": "core",
    "grader.limits": "core",  # every time and size limit; stdlib and the registry only
    "grader.intake": "core",  # what a submission holds (modules, helpers, notebooks); stdlib only, in the bundle too
    "grader.templates.pack_submission": "core",
    "grader.templates.notebook_tools": "core",  # the notebook's helpers; stdlib only in the bundle
    "grader.templates.notebook": "core",  # builds exercises.ipynb; stdlib only  # the students' pack script; stdlib only in the bundle
    "grader.templates.check": "core",  # the students' check.py; stdlib only in the bundle
    # the worker kit: copied into the sandbox alone (see test_worker_kit_imports_only_itself)
    "grader.sandboxed": "core",
    "grader.sandboxed.boot": "core",
    "grader.sandboxed.codec": "core",
    "grader.sandboxed.eager": "core",
    "grader.sandboxed.framing": "core",
    "grader.sandboxed.layout": "core",
    "grader.sandboxed.worker": "core",
    "grader.sandboxed.calls": "core",
    # the course: its probe registry and each exercise's probes enter the kit too (as `course`)
    "grader.course": "core",
    "grader.course.probing": "core",
    **{f"grader.course.{exercise}": "core" for exercise in registry.ids()},
    **{f"grader.course.{exercise}.probes": "core" for exercise in registry.ids()
       if (registry.COURSE_DIR / exercise / "probes.py").is_file()},
    # bug-zoo mutants: plain data over a stdlib dataclass (read by tests and `cnn-grader audit`)
    "grader.bugzoo": "core",
    **{f"grader.course.{exercise}.bugzoo": "core" for exercise in registry.ids()},
    # judge
    "grader.archive": "judge",
    "grader.sandbox": "judge",
    "grader.worker_link": "judge",
    "grader.seam": "judge",
    "grader.source_checks": "judge",  # static checks of the submission's source, read in the judge; stdlib only
    "grader.runner": "judge",
    "grader.grading": "judge",
    "grader.digests": "judge",
    "grader.lms": "core",
    "grader.architecture": "judge",  # rebuilds a student's model from its description (ex6, ex7)
    "grader.course.checks": "judge",
    "grader.course.models": "judge",  # the suites' rebuilt-model helpers: check, train, score
    "grader.course.conftest": "judge",
    **{f"grader.course.{exercise}.test_{exercise}": "judge" for exercise in registry.ids()},
    # views
    "grader.feedback": "views",
    "grader.gradescope": "views",
    "grader.roster": "views",
    "grader.html_page": "views",  # self-contained staff pages (report, similarity)
    "grader.item_stats": "views",
    "grader.report": "views",
    # apps
    "grader.judge_process": "apps",
    "grader.rubric": "apps",
    "grader.audit": "apps",
    "grader.authoring": "apps",
    "grader.publish": "apps",
    "grader.judge_command": "apps",
    "grader.batch": "apps",
    "grader.scaleout": "apps",  # batch --scheduler: the judges on a Dask cluster
    "grader.regrade": "apps",
    "grader.release": "apps",
    "grader.api": "apps",
    "grader.cli": "apps",
    "grader.similarity": "apps",  # reads submissions as batch names them (batch.discover, archive)
    "grader.__main__": "apps",
    "grader.otter": "apps",
    "grader.otter.__main__": "apps",
    "grader.otter.build": "apps",
    "grader.otter.plugin": "apps",
    "grader.otter.results": "apps",
}

# Edges that break a rule on purpose, each with the reason. (None today: seam.py's import of the
# worker's Dispatcher, which the probes branch removes, is judge -> core, so it is allowed anyway.)
ALLOWED = set()


# ---------------------------------------------------------------------------------- the checker


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_of(root: Path) -> dict[str, Path]:
    """Every module under `root` (a package folder), by dotted name."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py")) if "__pycache__" not in p.parts}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that module `name` imports anywhere in its file (lazily too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                base_name = ".".join(base + ([node.module] if node.module else []))
            else:
                base_name = node.module
            # `from X import y`: y is a module of X, or a name in X
            targets = [f"{base_name}.{alias.name}" if f"{base_name}.{alias.name}" in known else base_name
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import grader.a.b` with only grader.a known
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = modules_of(root)
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a sorted list."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def unplaced(graph, layers) -> list[str]:
    return sorted(set(graph) - set(layers))


def upward_edges(graph, layers, below=BELOW, allowed=frozenset()) -> list[str]:
    """Edges from a module to one in a layer its own may not import, as "a (layer) -> b (layer)"."""
    bad = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            low, high = layers.get(source), layers.get(target)
            if low is None or high is None or (source, target) in allowed:
                continue
            if high != low and high not in below[low]:
                bad.append(f"{source} ({low}) -> {target} ({high})")
    return bad


def in_kit(name: str) -> bool:
    """What grader.sandbox.make_kit copies: grader.sandboxed, and of grader.course only the
    package, its probe registry and each exercise's package and probes."""
    parts = name.split(".")
    if parts[:2] == ["grader", "sandboxed"]:
        return True
    return parts[:2] == ["grader", "course"] and (
        len(parts) == 2 or parts[2:] == ["probing"] or (len(parts) == 3 and registry.ID_PATTERN.fullmatch(parts[2]))
        or (len(parts) == 4 and parts[3] == "probes"))


def kit_escapes(graph, kit="grader.sandboxed") -> list[str]:
    """Imports from the worker kit of grader modules outside it."""
    if kit == "grader.sandboxed":
        inside = in_kit
    else:
        inside = lambda name: name == kit or name.startswith(kit + ".")  # noqa: E731
    return [f"{source} -> {target}" for source, targets in sorted(graph.items()) if inside(source)
            for target in sorted(targets) if not inside(target)]


# ---------------------------------------------------------------------------------- the tree


@pytest.fixture(scope="module")
def graph():
    return import_graph(PACKAGE)


def test_every_module_has_a_layer(graph):
    missing = unplaced(graph, LAYERS)
    assert not missing, (f"new module(s) {missing}: add each to LAYERS in tests/test_architecture.py, "
                         "in the lowest layer whose modules are all it imports")
    assert not set(LAYERS) - set(graph), f"LAYERS names modules that are gone: {sorted(set(LAYERS) - set(graph))}"


def test_no_import_cycles(graph):
    assert find_cycles(graph) == [], "modules that import each other (directly or through others)"


def test_layers_import_only_downwards(graph):
    assert upward_edges(graph, LAYERS, allowed=ALLOWED) == []


def test_worker_kit_imports_only_itself(graph):
    assert kit_escapes(graph) == [], "the sandboxed worker kit is copied into the sandbox without the rest of grader"


def test_nothing_below_the_command_line_imports_it(graph):
    users = sorted(source for source, targets in graph.items() if "grader.cli" in targets)
    assert users == ["grader.__main__", "grader.otter.__main__"]


# ---------------------------------------------------------------------------------- the checker itself


def test_the_checker_reports_a_cycle_an_upward_edge_and_an_escape(tmp_path):
    """A small package with every fault, as files, so the import reading is tested too."""
    files = {
        "__init__.py": "",
        "low.py": "def f():\n    from . import high  # lazy, and upwards\n",
        "mid.py": "from .low import f\n",
        "high.py": "import pkg.mid\nfrom pkg import low\n",
        "kit/__init__.py": "",
        "kit/worker.py": "from ..low import f\nfrom . import tools\n",
        "kit/tools.py": "import os\n",
        "fresh.py": "",
    }
    root = tmp_path / "pkg"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    graph = import_graph(root)
    assert graph["pkg.low"] == {"pkg.high"}
    assert graph["pkg.high"] == {"pkg.mid", "pkg.low"}
    assert graph["pkg.kit.worker"] == {"pkg.low", "pkg.kit.tools"}
    layers = {"pkg": "core", "pkg.low": "core", "pkg.mid": "judge", "pkg.high": "apps",
              "pkg.kit": "core", "pkg.kit.worker": "core", "pkg.kit.tools": "core"}
    assert find_cycles(graph) == [["pkg.high", "pkg.low", "pkg.mid"]]
    assert upward_edges(graph, layers) == ["pkg.low (core) -> pkg.high (apps)"]
    assert upward_edges(graph, layers, allowed={("pkg.low", "pkg.high")}) == []
    assert kit_escapes(graph, kit="pkg.kit") == ["pkg.kit.worker -> pkg.low"]
    assert unplaced(graph, layers) == ["pkg.fresh"]


def test_judge_and_views_do_not_import_each_other():
    graph = {"a": {"b"}, "b": set()}
    assert upward_edges(graph, {"a": "judge", "b": "views"}) == ["a (judge) -> b (views)"]
    assert upward_edges(graph, {"a": "apps", "b": "views"}) == []
