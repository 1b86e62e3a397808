"""Similarity (grader/similarity.py): planted copies are flagged, independent work is not.

The class: five independently written correct solutions (the reference, the demo's
alice_full_marks, and kim, lee and mo under tests/fixtures/independent, three styles), and two
copies planted from honest ones: kim's with every variable renamed and the functions in
reverse order, and lee's ex3-ex6 (the exercises with freedom, renamed too) inside mo's
ex1, ex2 and ex7.
"""

from __future__ import annotations

import ast
import builtins
import csv
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("copydetect", reason="the similarity extra: pip install -c constraints.txt -e '.[similarity]'")

from grader import cli, report, similarity  # noqa: E402
from grader.paths import REPO_ROOT, SOLUTIONS_DIR  # noqa: E402
from grader.sandboxed.layout import MODULE_FILES  # noqa: E402

INDEPENDENT_DIR = Path(__file__).resolve().parent / "fixtures" / "independent"
INDEPENDENT = {"reference": SOLUTIONS_DIR, "alice": REPO_ROOT / "examples" / "class" / "alice_full_marks",
               **{p.name: p for p in sorted(INDEPENDENT_DIR.iterdir())}}
PLANTED = {("copy_of_kim", "kim"), ("lee", "lee_in_mo")}
FREE = ("ex3", "ex4", "ex5", "ex6")  # the exercises whose code the contract leaves free


def disguise(code: str) -> str:
    """`code` with every local name and argument renamed and the top-level functions reversed
    (and reformatted by ast.unparse, comments gone)."""
    tree = ast.parse(code)
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    keep = set(dir(builtins)) | defined | {"self", "torch", "np", "numpy", "nn", "F", "math", "cnnlab"}
    renamed: dict[str, str] = {}

    def new(name):
        return name if name in keep or name.startswith("__") else renamed.setdefault(name, f"q{len(renamed)}_{name[::-1]}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = new(node.id)
        elif isinstance(node, ast.arg):
            node.arg = new(node.arg)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    tree.body = [node for node in tree.body if not isinstance(node, ast.FunctionDef)] + functions[::-1]
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


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """(the class folder, OUT, the pairs) after `cnn-grader similarity`."""
    root = tmp_path_factory.mktemp("similarity")
    klass, out = make_class(root / "class"), root / "out"
    assert cli.main(["similarity", str(klass), "--out", str(out)]) == 0
    codes = {name: similarity.submission_code(klass / name) for name in sorted(os.listdir(klass))}
    return klass, out, similarity.compare(codes)


def test_planted_copies_are_flagged_and_independent_work_is_not(graded):
    _, _, pairs = graded
    scores = {(p.a, p.b): p.score for p in pairs}
    independent = {pair: s for pair, s in scores.items() if set(pair) <= set(INDEPENDENT)}
    assert len(independent) == 10
    assert {pair for pair, s in scores.items() if s >= similarity.THRESHOLD} == PLANTED
    # the margins written in similarity.THRESHOLD's comment and docs/report.md
    assert max(independent.values()) <= 0.3, sorted(independent.items(), key=lambda kv: -kv[1])[:3]
    assert min(scores[pair] for pair in PLANTED) >= 0.7


def test_the_csv_and_the_view(graded):
    _, out, _ = graded
    rows = report.read_similarity(out)
    assert {(r["a"], r["b"]) for r in rows if r["flagged"] == "yes"} == PLANTED
    assert all(float(r["score"]) >= similarity.CSV_FLOOR for r in rows)
    text = (out / report.CLASS_DIR / report.SIMILARITY_HTML).read_text()
    assert "http://" not in text and "https://" not in text and "<script" not in text

    class Marks(HTMLParser):
        marks, links, headings = 0, [], []

        def handle_starttag(self, tag, attrs):
            self.marks += tag == "mark"
            if tag == "a":
                self.links.append(dict(attrs)["href"])

    page = Marks()
    page.feed(text)
    assert page.marks > 20 and page.links == [report.REPORT_HTML]
    assert "copy_of_kim and kim" in text and "lee and lee_in_mo" in text
    assert "weigh little" in text, "the view says why ex1, ex2 and ex7 count less"


def test_starter_code_and_dictated_exercises_count_little(tmp_path):
    """Two untouched stubs are not similar at all; identical ex7 alone never flags a pair."""
    stubs = modules(REPO_ROOT / "exercises")
    kim = modules(INDEPENDENT["kim"])
    codes = {"a": stubs, "b": dict(stubs), "c": {**stubs, "ex7": kim["ex7"]}, "d": {**stubs, "ex7": kim["ex7"]}}
    pairs = {(p.a, p.b): p for p in similarity.compare(codes)}
    assert pairs["a", "b"].score == 0 and pairs["a", "b"].per_exercise == {}
    assert pairs["c", "d"].per_exercise["ex7"][0] == 1.0 and not pairs["c", "d"].flagged


def test_helpers_beside_the_module_are_read_and_escaped(tmp_path):
    sub = write_submission(tmp_path / "s", {"ex3": "def cutout_mask():\n    return 1\n"})
    (sub / "ex3" / "helpers.py").write_text("X = '</pre><script>alert(1)</script>'\n")
    (sub / "ex3" / "test_cutout.py").write_text("public = 1\n")
    (sub / "ex3" / "link.py").symlink_to("/etc/hostname")
    code = similarity.submission_code(sub)["ex3"]
    assert "helpers.py" in code and "alert(1)" in code and "public" not in code and "link.py" not in code
    html = similarity._code("<b>name</b>", code, ((), ()))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;name" in html


def test_scores_do_not_depend_on_the_hash_seed(graded, tmp_path):
    """copydetect hashes with the salted hash(); window 1 makes the outcome the same for any salt."""
    klass, _, _ = graded
    outputs = []
    for seed in ("1", "12345"):
        out = tmp_path / seed
        subprocess.run([sys.executable, "-m", "grader", "similarity", str(klass), "--out", str(out)], check=True,
                       env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True)
        outputs.append((out / report.CLASS_DIR / report.SIMILARITY_CSV).read_text())
    assert outputs[0] == outputs[1] and "copy_of_kim" in outputs[0]


def test_report_links_the_flags(graded, tmp_path):
    klass, out, _ = graded
    out2 = tmp_path / "out"
    shutil.copytree(out, out2)
    assert cli.main(["report", str(out2), "--similarity", str(klass)]) == 0
    text = (out2 / report.CLASS_DIR / report.REPORT_HTML).read_text()
    assert "Similarity flags (2)" in text and f'href="{report.SIMILARITY_HTML}"' in text


@pytest.mark.parametrize("name", sorted(p.name for p in INDEPENDENT_DIR.iterdir()))
def test_independent_fixtures_score_full_marks(name):
    from grader.grading import grade

    result = grade(INDEPENDENT_DIR / name, isolation="inprocess")
    assert result.score == result.max_score == 70, {ex: e.score for ex, e in result.exercises.items()}
