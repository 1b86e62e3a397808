"""A class for the similarity tests and benchmark: independent solutions and planted copies.

Five independently written correct solutions: the reference, the demo's alice_full_marks, and
kim, lee and mo under tests/fixtures/independent (three styles: plain loops, compact helpers,
a class per concern). Two copies planted from honest ones: kim's with every variable renamed
and the functions in reverse order, and lee's ex3-ex6 (the exercises with freedom, renamed
too) inside mo's ex1, ex2 and ex7.
"""

from __future__ import annotations

import ast
import builtins
import random
from pathlib import Path

from grader.paths import REPO_ROOT, SOLUTIONS_DIR
from grader.sandboxed.layout import MODULE_FILES

INDEPENDENT_DIR = Path(__file__).resolve().parent / "fixtures" / "independent"
INDEPENDENT = {"reference": SOLUTIONS_DIR, "alice": REPO_ROOT / "examples" / "class" / "alice_full_marks",
               **{p.name: p for p in sorted(INDEPENDENT_DIR.iterdir())}}
PLANTED = {("copy_of_kim", "kim"), ("lee", "lee_in_mo")}
FREE = ("ex3", "ex4", "ex5", "ex6")  # the exercises whose code the contract leaves free


def disguise(code: str, prefix: str = "q", rng: random.Random | None = None) -> str:
    """`code` with every local name and argument renamed (`prefix` and a number) and the
    top-level functions reversed, or shuffled by `rng` (reformatted by ast.unparse, comments gone)."""
    tree = ast.parse(code)
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    keep = set(dir(builtins)) | defined | {"self", "torch", "np", "numpy", "nn", "F", "math", "cnnlab"}
    renamed: dict[str, str] = {}

    def new(name):
        return name if name in keep or name.startswith("__") else renamed.setdefault(name, f"{prefix}{len(renamed)}_{name[::-1]}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = new(node.id)
        elif isinstance(node, ast.arg):
            node.arg = new(node.arg)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    if rng is None:
        functions.reverse()
    else:
        rng.shuffle(functions)
    tree.body = [node for node in tree.body if not isinstance(node, ast.FunctionDef)] + functions
    return ast.unparse(tree)


def modules(root: Path) -> dict[str, str]:
    return {ex: (root / ex / file).read_text() for ex, file in MODULE_FILES.items()}


def write_submission(root: Path, code: dict[str, str]) -> Path:
    for ex, text in code.items():
        (root / ex).mkdir(parents=True, exist_ok=True)
        (root / ex / MODULE_FILES[ex]).write_text(text)
    return root


def make_class(folder: Path) -> Path:
    for name, path in INDEPENDENT.items():
        write_submission(folder / name, modules(path))
    write_submission(folder / "copy_of_kim", {ex: disguise(c) for ex, c in modules(INDEPENDENT["kim"]).items()})
    lee, mo = modules(INDEPENDENT["lee"]), modules(INDEPENDENT["mo"])
    write_submission(folder / "lee_in_mo", {ex: disguise(lee[ex]) if ex in FREE else mo[ex] for ex in mo})
    return folder
