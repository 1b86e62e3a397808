"""Outputs are inert: what a student controls (names, printed output, exception messages) never
acts on a terminal, a viewer or a spreadsheet, and no name stops a batch (grader/inert.py,
batch.discover).

Most tests use the fake judge of tests/test_batch.py; `test_escape_codes_reach_no_output`
grades for real in the sandbox (ex1 only), since only there is the student's output captured.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import unicodedata
import zipfile
from pathlib import Path

from grader import api, batch, inert
from grader.sandboxed.worker import MODULES
from tests.test_batch import FAKE_JUDGE, assert_complete, fake_batch, make_class

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def raw_controls(text: str) -> list[str]:
    """The control characters (but newline and tab) and bidi controls in `text`."""
    return sorted({f"U+{ord(c):04X}" for c in text if c not in "\n\t"
                   and (unicodedata.category(c) in ("Cc", "Cs") or c in BIDI)})


def strings(document):
    """Every string of a JSON document, keys included."""
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from strings(value)
    elif isinstance(document, list):
        for value in document:
            yield from strings(value)


def assert_inert(text: str, where):
    assert raw_controls(text) == [], where
    if str(where).endswith(".json"):
        for value in strings(json.loads(text)):
            assert raw_controls(value) == [], (where, value)


def assert_outputs_inert(out: Path, console: str):
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.suffix != ".png")
    assert any(p.name == "feedback.md" for p in files)
    for path in files:
        assert_inert(path.read_text(encoding="utf-8"), path)
    assert_inert(console, "the console")


def zip_folder(folder: Path, target: Path):
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(folder.rglob("*.py")):
            zf.write(path, path.relative_to(folder).as_posix())


def grades(out: Path) -> dict[str, dict]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


# --- the helpers ----------------------------------------------------------------------------------


def test_cells_and_text_are_made_inert():
    assert [inert.cell(v) for v in ("=1+1", " =1", "\t=1", "@SUM(1)", "+1", "-cmd", "alice", "-1.5", "70", "")] \
        == ["'=1+1", "' =1", "'\t=1", "'@SUM(1)", "'+1", "'-cmd", "alice", "-1.5", "70", ""]
    assert inert.escape("a\x1b[2J\tb\n\r\x07\x7f\x9b\u202e") == "a\\x1b[2J\tb\n\\x0d\\x07\\x7f\\x9b\\u202e"
    assert inert.document({"k\x1b": ["\x1b", 1.5, None]}) == {"k\\x1b": ["\\x1b", 1.5, None]}


# --- formulas in grades.csv -------------------------------------------------------------------------


def test_formula_names_are_text_in_grades_csv_and_scores_stay_numbers(tmp_path):
    names = ['=HYPERLINK("x.example","y")', "@SUM(1)", "+1", "-cmd", "alice"]  # a file name has no "/"
    make_class(tmp_path / "class", names)
    summary = fake_batch(tmp_path / "class", tmp_path / "out")
    assert summary["errors"] == [], "a name such as -cmd is no option of the judge's"
    results = {r.submission: r for r in summary["results"]}
    results['=HYPERLINK("http://x","y")'] = dataclasses.replace(results["alice"], score=-1.5)
    batch.write_csv(tmp_path / "out", results)
    rows = list(csv.reader(open(tmp_path / "out" / "grades.csv", newline="", encoding="utf-8")))
    assert rows[0][-3:] == ["total", "status", "note"]
    total = rows[0].index("total")
    assert sorted(row[0] for row in rows[1:]) == sorted(["'=HYPERLINK(\"http://x\",\"y\")", "alice",
                                                        *("'" + name for name in names[:-1])])
    for row in rows[1:]:
        assert [float(v) for v in row[1:total + 1]], "the exercises and the total stay numbers"
    assert "-1.5" in [row[total] for row in rows]
    assert not [cell for row in rows for cell in row if cell.lstrip().startswith(("=", "+", "@"))]


# --- terminal control codes ---------------------------------------------------------------------------

HOSTILE_MODULE = '''
print("\\x1b[2J\\x1b[Halice: 70 / 70", flush=True)       # clear the screen, fake a score line
print("\\x1b]52;c;cm0gLXJmIH4=\\x07", flush=True)        # OSC 52: write the clipboard
print("\\rmallory: 70 / 70\\x9b2K\\u202e07 / 0", flush=True)  # CR, C1 CSI, a bidi override


def conv2d_output_size(*args, **kwargs):
    raise ValueError("\\x1b[2J\\x1b]52;c;aGk=\\x07mallory: 70 / 70")


pool2d_output_size = trace_shapes = conv2d_output_size
'''


def test_escape_codes_reach_no_output(tmp_path, capsys):
    """Real grading, sandboxed: output and messages with ESC/OSC/C1/bidi, in every writer."""
    module = tmp_path / "class" / "mallory" / "ex1" / f"{MODULES['ex1']}.py"
    module.parent.mkdir(parents=True)
    module.write_text(HOSTILE_MODULE)
    tables = []
    summary = api.batch(tmp_path / "class", out=tmp_path / "out", exercises=("ex1",), isolation="sandbox",
                        timeout=300, progress=False, report=tables.append, visibility="visible")
    assert summary["errors"] == [] and summary["graded"] == 1
    feedback = (tmp_path / "out" / "mallory" / "feedback.md").read_text()
    assert "\\x1b[2J\\x1b[Halice: 70 / 70" in feedback, "the output is shown, written out"
    assert "\\x1b]52;c;aGk=\\x07mallory" in feedback, "so is the exception's message"

    # the `grade` command: its JSON files and its table, for a submission whose file name has ESC
    from grader.cli import main

    upload = tmp_path / "eve\x1b[2J\x1b]0;pwned\x07.zip"
    zip_folder(tmp_path / "class" / "mallory", upload)
    assert main(["grade", str(upload), "--json", str(tmp_path / "out" / "eve.json"),
                 "--gradescope", str(tmp_path / "out" / "eve-gradescope.json")]) == 0
    console = capsys.readouterr()
    assert "eve\\x1b[2J" in console.out
    assert_outputs_inert(tmp_path / "out", "\n".join([*tables, console.out, console.err]))


# --- names that cannot be used as they are ---------------------------------------------------------------


def test_discover_renames_unusable_names_deterministically(tmp_path, monkeypatch):
    klass = make_class(tmp_path / "class", ["Carol", "carol", "carol~2", "alice"])
    zip_folder(klass / "alice", klass / "carol.zip")
    zip_folder(klass / "alice", klass / "GRADES.csv.zip")
    expected = [("Carol", "Carol"), ("GRADES.csv~2", "GRADES.csv.zip"), ("alice", "alice"),
                ("carol~2", "carol~2"), ("carol~3", "carol"), ("carol~4", "carol.zip")]
    found = batch.discover(klass)
    assert [(name, path.name) for name, path, _ in found] == expected, "an honest carol~2 keeps its name"
    assert {name: bool(note) for name, _, note in found} == {
        "Carol": False, "GRADES.csv~2": True, "alice": False, "carol~2": False, "carol~3": True, "carol~4": True}
    listing = os.scandir
    monkeypatch.setattr(batch.os, "scandir", lambda path: reversed(list(listing(path))))
    assert batch.discover(klass) == found, "the listing order changes nothing"


def test_hostile_names_are_graded_under_safe_names_with_a_note(tmp_path, capsys):
    klass = make_class(tmp_path / "class", ["alice", "carol", "report", "_class", "eve\x1b[2J\x07", "x" * 250])
    zip_folder(klass / "alice", klass / "grades.csv.zip")
    zip_folder(klass / "alice", klass / "carol.zip")
    (klass / "bad\udcff" / "ex1").mkdir(parents=True)  # a name that is not UTF-8
    (klass / "bad\udcff" / "ex1" / f"{MODULES['ex1']}.py").write_text("x = 1\n")
    tables = []
    summary = batch.run_batch(klass, tmp_path / "out", judge_command=FAKE_JUDGE,
                              progress=False, report=tables.append)
    out = tmp_path / "out"
    reasons = {"bad_~2": "non-UTF-8", "carol~2": "another submission (carol) has the same name",
               "eve_[2J_~2": "control, invisible", "grades.csv~2": "reserved for the batch's own outputs",
               "report~2": "reserved", "_class~2": "reserved", "x" * 192 + "~2": "longer than 200 bytes"}
    rows = grades(out)
    assert sorted(rows) == sorted([*reasons, "alice", "carol"]) and summary["errors"] == []
    assert rows["alice"]["note"] == rows["carol"]["note"] == ""
    for name, reason in reasons.items():
        note = rows[name]["note"]
        assert note.startswith(f"graded as {name}: ") and reason in note, note
        assert float(rows[name]["total"]) > 0
        assert json.loads((out / name / "result.json").read_text())["note"] == note
        assert reason in (out / name / "feedback.md").read_text()
    assert "eve\\x1b[2J\\x07" in rows["eve_[2J_~2"]["note"], "the original name, written out"
    assert (out / "grades.csv").is_file()
    assert_complete(out)
    console = capsys.readouterr()
    assert "carol~2: " in console.err
    assert_outputs_inert(out, "\n".join([*tables, console.out, console.err]))
