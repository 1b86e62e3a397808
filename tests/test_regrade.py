"""Safe regrades: --resume regrades what changed, `regrade` keeps history and says what moved."""

from __future__ import annotations

import csv
import json
import zipfile

import pytest

from grader import digests, regrade
from grader.results import Result
from tests.test_batch import FAKE_JUDGE, fake_batch, make_class


def _doc(out, name) -> dict:
    return json.loads((out / name / "result.json").read_text())


def _edit(out, name, **changes):
    """Rewrite OUT/NAME/result.json as an earlier grading might have left it."""
    doc = _doc(out, name)
    for key, value in changes.items():
        if key == "ex1_score":
            doc["exercises"]["ex1"]["score"] = doc["exercises"]["ex1"]["tests"][0]["score"] = value
            doc["score"] = sum(e["score"] for e in doc["exercises"].values())
        else:
            doc[key] = value
    (out / name / "result.json").write_text(json.dumps(doc))


def test_resume_regrades_exactly_the_submissions_whose_files_changed(tmp_path, monkeypatch):
    klass = make_class(tmp_path / "class", ["alice", "bob", "carol_zip"])
    out = tmp_path / "out"
    fake_batch(klass, out)
    for name in ("alice", "bob", "carol_zip"):
        assert len(_doc(out, name)["files_sha256"]) == 64, "result.json records the graded files' hash"
        assert _doc(out, name)["suites_sha256"] == digests.suites_digest()

    (klass / "bob" / "ex1" / "shapes.py").write_text("x = 2  # fixed after the deadline\n")
    with zipfile.ZipFile(klass / "carol_zip.zip", "w") as zf:  # a replaced upload
        zf.writestr("exercises/ex1/shapes.py", "x = 3\n")
    (klass / "alice" / "notes.txt").write_text("not graded, so not a change")
    monkeypatch.setenv("FAKE_JUDGE_GREETING", "regraded")
    summary = fake_batch(klass, out, resume=True)
    assert summary["changed"] == ["bob", "carol_zip"]
    assert summary["graded"] == 2 and summary["skipped"] == 1
    assert _doc(out, "alice")["output"] == "hello from alice\n", "alice was kept"
    assert _doc(out, "bob")["output"] == "regraded from bob\n"
    assert _doc(out, "carol_zip")["exercises"]["ex1"]["score"] == 1.0, "carol's new upload has one module"

    again = fake_batch(klass, out, resume=True)
    assert again["changed"] == [] and again["graded"] == 0, "nothing changed since"


def test_a_result_without_a_hash_is_kept_on_resume_and_said_so(tmp_path, capsys):
    """Written by a grader that kept no hash: resume can't tell, so it keeps it (as it always has)
    and says how to regrade it."""
    klass = make_class(tmp_path / "class", ["alice", "bob"])
    out = tmp_path / "out"
    fake_batch(klass, out)
    doc = _doc(out, "alice")
    del doc["files_sha256"]
    (out / "alice" / "result.json").write_text(json.dumps(doc))
    summary = fake_batch(klass, out, resume=True)
    assert summary["changed"] == [] and summary["skipped"] == 2
    assert "kept 1 result(s) written by an older grader" in capsys.readouterr().err


def test_regrade_changed_suites_keeps_history_and_writes_before_and_after(tmp_path, monkeypatch):
    klass = make_class(tmp_path / "class", ["alice", "bob", "dave"])
    out = tmp_path / "out"
    fake_batch(klass, out)
    _edit(out, "alice", suites_sha256="made-by-last-weeks-suites", ex1_score=0.0)
    old_alice = (out / "alice" / "result.json").read_text()
    monkeypatch.setenv("FAKE_JUDGE_GREETING", "regraded")

    summary = regrade.regrade(klass, out, changed_suites=True, judge_command=FAKE_JUDGE, progress=False,
                              report=lambda text: None)
    assert summary["graded"] == 1
    assert _doc(out, "alice")["output"] == "regraded from alice\n"
    assert _doc(out, "bob")["output"] == "hello from bob\n", "bob's result was made by today's suites"
    history = list((out / "alice" / "history").glob("*-result.json"))
    assert len(history) == 1 and history[0].read_text() == old_alice
    rows = list(csv.DictReader(open(summary["diff"])))
    assert {r["submission"] for r in rows} == {"alice"}
    total = next(r for r in rows if r["exercise"] == "total")
    now = Result.from_json((out / "alice" / "result.json").read_text()).score
    assert (total["before"], float(total["after"]), float(total["change"])) == ("0", now, now)
    assert summary["diff"].startswith(str(out / "_class" / "regrade-"))

    nothing = regrade.regrade(klass, out, changed_suites=True, judge_command=FAKE_JUDGE, progress=False,
                              report=lambda text: None)
    assert nothing["graded"] == 0, "every result is now made by today's suites"
    assert len(list((out / "alice" / "history").glob("*"))) == 1, "a later batch run keeps history"


def test_regrade_of_some_exercises_keeps_the_others(tmp_path):
    klass = make_class(tmp_path / "class", ["alice", "bob"])
    out = tmp_path / "out"
    fake_batch(klass, out)
    _edit(out, "bob", ex1_score=9.0)  # a sentinel: regrading ex2 must not touch ex1
    regrade.regrade(klass, out, only=["bob"], exercises=("ex2",), judge_command=FAKE_JUDGE, progress=False,
                    report=lambda text: None)
    bob = _doc(out, "bob")
    assert list(bob["exercises"]) == list(_doc(out, "alice")["exercises"]), "every exercise is still there"
    assert bob["exercises"]["ex1"]["score"] == 9.0 and bob["score"] == 9.0
    assert bob.get("suites_sha256") == digests.suites_digest()


def test_regrade_names_unknown_submissions(tmp_path):
    klass = make_class(tmp_path / "class", ["alice"])
    fake_batch(klass, tmp_path / "out")
    with pytest.raises(ValueError, match="no submission named zed"):
        regrade.regrade(klass, tmp_path / "out", only=["zed"], judge_command=FAKE_JUDGE, progress=False)
    with pytest.raises(ValueError, match="not a batch's output folder"):
        regrade.regrade(klass, tmp_path / "nowhere", judge_command=FAKE_JUDGE, progress=False)
