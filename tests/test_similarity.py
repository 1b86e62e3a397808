"""Similarity (grader/similarity.py): planted copies are flagged, independent work is not.

The class (tests/similar_class.py): five independently written correct solutions and two
copies planted from honest ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("copydetect", reason="the similarity extra: pip install -c constraints.txt -e '.[similarity]'")

from grader import cli, report, similarity  # noqa: E402
from grader.paths import REPO_ROOT  # noqa: E402

from tests.similar_class import INDEPENDENT, INDEPENDENT_DIR, PLANTED, make_class, modules, write_submission  # noqa: E402


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


def test_the_fast_shares_are_copydetects(graded):
    from copydetect import compare_files

    klass, _, _ = graded
    boilerplate = similarity._boilerplate("ex3")
    prints = [similarity._fingerprint(similarity.submission_code(klass / name)["ex3"], boilerplate)
              for name in sorted(os.listdir(klass))]
    matrix = similarity.shares(prints)
    for i, first in enumerate(prints):
        for j, second in enumerate(prints):
            if i != j:
                assert matrix[i, j] == pytest.approx(float(compare_files(first, second)[1][0]), abs=1e-12), (i, j)


def test_lexing_in_parallel_changes_nothing(graded, monkeypatch):
    klass, _, pairs = graded
    monkeypatch.setattr(similarity, "PARALLEL_FROM", 1)
    monkeypatch.setattr(similarity, "_LEXED", {})
    similarity._fingerprint.cache_clear()
    codes = {name: similarity.submission_code(klass / name) for name in sorted(os.listdir(klass))}
    again = similarity.compare(codes)
    assert similarity._LEXED, "the pool lexed the files"
    assert [(p.a, p.b, p.per_exercise) for p in again] == [(p.a, p.b, p.per_exercise) for p in pairs]


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
    assert pairs["c", "d"].per_exercise["ex7"] == 1.0 and not pairs["c", "d"].flagged


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
