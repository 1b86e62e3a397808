"""The class report (grader/report.py, grader/item_stats.py): its numbers, its sections, that
everything a student controls is escaped, and that a real headless Chromium shows it with no
console error and no request for anything outside the file."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader import cli, report
from grader.item_stats import compute, normalise_message, point_biserial
from grader.results import ExerciseResult, Result, TestResult, error_result
from tests.synthetic_class import make_results, write_class

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_MESSAGE = 'expected 3, got <img src=x onerror="alert(2)"> & 4'
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page(HTMLParser):
    """What a page holds: headings, tables (rows of cell texts), every tag with its attributes, text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.headings, self.tables, self.tags, self.text = [], [], [], []
        self._heading = self._cell = None
        self.feed(text)

    def handle_starttag(self, name, attrs):
        self.tags.append((name, dict(attrs)))
        if name in ("h1", "h2", "h3"):
            self._heading = []
        elif name == "table":
            self.tables.append([])
        elif name == "tr":
            self.tables[-1].append([])
        elif name in ("td", "th"):
            self._cell = []

    def handle_endtag(self, name):
        if name in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None
        elif name in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        for part in (self._heading, self._cell):
            if part is not None:
                part.append(data)

    def table_after(self, heading_start):
        """The rows of the first table after the heading that starts with `heading_start`."""
        target = next(i for i, h in enumerate(self.headings) if h.startswith(heading_start))
        headings = tables = 0
        for name, _ in self.tags:
            if name in ("h1", "h2", "h3"):
                headings += 1
            elif name == "table":
                if headings > target:
                    return self.tables[tables]
                tables += 1
        raise AssertionError(f"no table after {heading_start!r}")


def result(name, tests, *, duration=1.0):
    """A graded result from {exercise: [(test, passed, score, max, status, message)]}."""
    exercises = {ex: ExerciseResult(sum(t[2] for t in ts), sum(t[3] for t in ts),
                                    [TestResult(t[0], t[2], t[3], t[4], t[5]) for t in ts]) for ex, ts in tests.items()}
    return Result(name, sum(e.score for e in exercises.values()), sum(e.max_score for e in exercises.values()),
                  exercises, duration_s=duration, isolation="bubblewrap")


def small_class() -> list[Result]:
    def tests(a, b, c, message="values differ at 3"):
        return {"ex1": [("test_a", a, 2.0 * a, 2.0, "passed" if a else "failed", "" if a else message),
                        ("test_b", b, 3.0 * b, 3.0, "passed" if b else "timeout", "" if b else "timed out after 10 s"),
                        ("test_c", c, 5.0 * c, 5.0, "passed" if c else "error", "" if c else HOSTILE_MESSAGE)]}

    return [result("alice", tests(1, 1, 1), duration=3.0), result("bob", tests(1, 1, 0), duration=2.0),
            result(HOSTILE_NAME, tests(0, 1, 0, "values differ at 17"), duration=9.5),
            result("dave", tests(0, 0, 0, "values differ at 4"), duration=1.0),
            error_result("erin", "no exercise file was found in <the folder>")]


# ---------------------------------------------------------------------------------------------
# statistics


def test_point_biserial_is_pearson_and_undefined_without_variance():
    assert point_biserial([True, True, False, False], [4.0, 3.0, 2.0, 1.0]) == pytest.approx(0.8944, abs=1e-4)
    assert point_biserial([True, False], [1.0, 2.0]) == pytest.approx(-1.0)
    assert point_biserial([True, True, True], [1.0, 2.0, 3.0]) is None, "everyone passed"
    assert point_biserial([True, False, True], [2.0, 2.0, 2.0]) is None, "the rest does not vary"
    assert point_biserial([True], [1.0]) is None


def test_item_statistics_use_the_rest_of_the_total_and_group_messages():
    stats = compute(small_class())
    assert [r.submission for r in stats.rejected] == ["erin"] and len(stats.graded) == 4
    items = {item.test: item for item in stats.items}
    assert [item.test for item in stats.items] == ["test_c", "test_a", "test_b"], "hardest first"
    assert items["test_a"].pass_rate == 0.5 and items["test_b"].statuses["timeout"] == 1
    # test_a passed by alice (rest 8) and bob (rest 3), failed by the others (rest 3 and 0)
    assert items["test_a"].discrimination == pytest.approx(point_biserial([1, 1, 0, 0], [8.0, 3.0, 3.0, 0.0]))
    assert items["test_a"].top_messages() == [("values differ at N", 2)], "numbers normalised, grouped"
    assert stats.per_exercise["ex1"]["error"] == 3 and stats.submissions["ex1"]["timeout"] == 1
    assert normalise_message("shape (3, 4) vs  (5,6): 1e-3 0x1f") == "shape (N, N) vs (N,N): N N"


# ---------------------------------------------------------------------------------------------
# the page


@pytest.fixture(scope="module")
def class_out(tmp_path_factory):
    """A batch's OUT with the small class, a regrade diff and a similarity result."""
    out = tmp_path_factory.mktemp("out")
    results = small_class()
    write_class(out, [r for r in results if r.submission != HOSTILE_NAME])
    hostile = next(r for r in results if r.submission == HOSTILE_NAME)
    (out / "hostile").mkdir()
    (out / "hostile" / "result.json").write_text(hostile.to_json())
    (out / report.CLASS_DIR).mkdir()
    with open(out / report.CLASS_DIR / "regrade-2026-12-01.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([["submission", "before", "after"], ["bob", "5", "10"],
                                      [HOSTILE_NAME, "3", "4"]])
    with open(out / report.CLASS_DIR / report.SIMILARITY_CSV, "w", newline="") as handle:
        csv.writer(handle).writerows([report.SIMILARITY_COLUMNS, ["alice", HOSTILE_NAME, "0.91", "yes", "0.9"],
                                      ["bob", "dave", "0.35", "no", "0.35"]])
    path, note = report.write_report(out)
    assert note == ""
    return out


def test_report_files_and_sections(class_out):
    folder = class_out / report.CLASS_DIR
    for name in (report.REPORT_HTML, report.ITEM_CSV, *report.PLOTS.values()):
        assert (folder / name).stat().st_size > 0, name
    assert (folder / "totals.png").read_bytes().startswith(b"\x89PNG")
    page = Page((folder / report.REPORT_HTML).read_text())
    assert page.headings == ["Class report", "Scores", "Tests, hardest first", "Most common failure messages",
                             "Timeouts, crashes, rejections and grader errors", "Rejected submissions (1)",
                             "Grading time per submission", "Slowest", "Regrades", "regrade-2026-12-01.csv",
                             "Similarity flags (1)"]
    assert "Staff only" in "".join(page.text)
    tests = page.table_after("Tests, hardest first")
    assert [row[1] for row in tests[1:]] == ["test_c", "test_a", "test_b"]
    assert tests[2][4] == "50%" and tests[2][5] != ""
    messages = page.table_after("Most common failure messages")
    assert ["ex1", "test_a", "2", "values differ at N"] in messages
    assert ["ex1", "test_c", "3", normalise_message(HOSTILE_MESSAGE)] in messages
    assert page.table_after("Rejected submissions") == [["submission", "why"],
                                                        ["erin", "no exercise file was found in <the folder>"]]
    assert page.table_after("Slowest")[1][:2] == [HOSTILE_NAME, "9.5"]
    assert page.table_after("regrade-")[2] == [HOSTILE_NAME, "3", "4"]
    assert page.table_after("Similarity flags")[1][:3] == ["alice", HOSTILE_NAME, "0.91"]
    assert ("a", {"href": report.SIMILARITY_HTML}) in page.tags
    with open(folder / report.ITEM_CSV, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["test"] for r in rows] == ["test_c", "test_a", "test_b"] and rows[1]["top_message_count"] == "2"


def test_everything_a_student_controls_is_escaped_and_nothing_is_fetched(class_out):
    text = (class_out / report.CLASS_DIR / report.REPORT_HTML).read_text()
    page = Page(text)
    assert HOSTILE_NAME in "".join(page.text), "shown as text"
    assert "<script" not in text and "<img src=x" not in text and "onerror=\"alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert [name for name, _ in page.tags if name in ("script", "iframe", "object", "embed", "link")] == []
    assert "http://" not in text and "https://" not in text
    sources = [attrs.get("src", "") for name, attrs in page.tags if name == "img"]
    assert len(sources) == 3 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert any(name == "meta" and attrs.get("http-equiv") == "Content-Security-Policy" for name, attrs in page.tags)


def test_without_matplotlib_the_page_has_no_plots_and_says_so(tmp_path, monkeypatch):
    write_class(tmp_path, make_results(20))

    def no_matplotlib(stats):
        raise ImportError("No module named 'matplotlib'")

    monkeypatch.setattr(report, "_plots", no_matplotlib)
    path, note = report.write_report(tmp_path)
    assert note == report.NO_PLOTS
    page = Page(path.read_text())
    assert report.NO_PLOTS in page.text and not [t for t, _ in page.tags if t == "img"]
    assert not list(path.parent.glob("*.png"))
    assert "Regrades" not in page.headings and not [h for h in page.headings if h.startswith("Similarity")]


def test_cli_report(tmp_path, capsys):
    write_class(tmp_path, make_results(30))
    assert cli.main(["report", str(tmp_path)]) == 0
    assert "staff only" in capsys.readouterr().out
    assert (tmp_path / report.CLASS_DIR / report.REPORT_HTML).is_file()
    assert len(report.read_results(tmp_path)) == 30, "the _class folder is not a submission"


def test_a_batch_writes_the_report(tmp_path):
    from tests.test_batch import fake_batch, make_class

    make_class(tmp_path / "class", ["alice", "bob"])
    fake_batch(tmp_path / "class", tmp_path / "out")
    page = Page((tmp_path / "out" / report.CLASS_DIR / report.REPORT_HTML).read_text())
    assert page.table_after("Slowest")[1][0] in ("alice", "bob") and len(page.table_after("Slowest")) == 3


# ---------------------------------------------------------------------------------------------
# a real browser


def chromium(*args, timeout=90):
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--no-first-run", "--disable-extensions", *args],
                          capture_output=True, text=True, timeout=timeout)


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line or "Uncaught" in line or "Refused to" in line or "net::ERR" in line]


@pytest.fixture
def need_chromium():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing under CI: .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium); under CI this fails instead")


def test_chromium_detects_a_console_error(tmp_path, need_chromium):
    """The check below works: a page with a failing script is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>throw new Error('planted-error')</script>")
    run = chromium("--dump-dom", bad.as_uri())
    assert any("planted-error" in line for line in console_lines(run.stderr)), run.stderr[-2000:]


def test_report_in_headless_chromium(class_out, tmp_path, need_chromium):
    page = class_out / report.CLASS_DIR / report.REPORT_HTML
    shot = tmp_path / "report.png"
    run = chromium(f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_lines(run.stderr) == [], "no console message, error or blocked request"
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000, "a non-empty screenshot"
    dom = chromium("--dump-dom", page.as_uri()).stdout
    assert "Tests, hardest first" in dom and "<script" not in dom, "the DOM as rendered holds no script"
