"""The typed result model: one writer, one reader, and documents written before it still load."""

from __future__ import annotations

import json

import pytest

from grader import batch, feedback, gradescope
from grader.results import (FORMAT_VERSION, ExerciseResult, Result, ResultFormatError, TestResult, error_result,
                            read_result, submission_name, write_result)
from tests.test_batch import fake_batch, make_class

# A result.json as the grader wrote it before format_version (runner.grade_directory at 376d9c8):
# no format_version, no needs_human; one test without `visibility` (older still).
OLD_RESULT = r"""{
  "submission": "alice",
  "score": 7.5,
  "max_score": 20.0,
  "exercises": {
    "ex1": {
      "score": 7.5,
      "max_score": 10.0,
      "tests": [
        {"name": "test_conv2d_output_size_matches_formula", "score": 4.0, "max_score": 4.0,
         "status": "passed", "message": "", "visibility": "visible"},
        {"name": "test_trace_shapes[small-cnn]", "score": 3.5, "max_score": 3.5, "status": "passed",
         "message": ""},
        {"name": "test_pool", "score": 0.0, "max_score": 2.5, "status": "failed",
         "message": "pool2d_output_size(5, 2) returned 3, expected 2", "visibility": "hidden"}
      ]
    },
    "ex2": {
      "score": 0.0,
      "max_score": 10.0,
      "tests": [
        {"name": "test_conv", "score": 0, "max_score": 10, "status": "error",
         "message": "conv2d() raised IndexError: \u001b[2J"}
      ]
    }
  },
  "grader_version": "0.1.0",
  "duration_s": 4.25,
  "isolation": "bubblewrap sandbox with rlimits",
  "output": "epoch 1 loss 0.5\n"
}
"""

OLD_ERROR_RESULT = {
    "submission": "zed", "score": 0.0, "max_score": 10.0,
    "exercises": {"ex1": {"score": 0.0, "max_score": 10.0, "tests": [
        {"name": "grading", "score": 0.0, "max_score": 10.0, "status": "error", "message": "refused"}]}},
    "grader_version": "0.1.0", "duration_s": 0.0, "isolation": "not run", "output": "", "error": "refused",
    "note": "graded as zed~2", "grader_error": "exit 1",
}


def test_an_old_result_json_loads_with_defaults(tmp_path):
    (tmp_path / "result.json").write_text(OLD_RESULT)
    result = read_result(tmp_path / "result.json")
    assert isinstance(result, Result) and result.format_version == FORMAT_VERSION
    assert (result.submission, result.score, result.max_score) == ("alice", 7.5, 20.0)
    assert result.needs_human is False and result.error is None and result.note is None
    ex1 = result.exercises["ex1"]
    assert [t.visibility for t in ex1.tests] == ["visible", None, "hidden"]
    assert result.exercises["ex2"].tests[0].score == 0.0
    assert result.exercises["ex2"].tests[0].message.endswith("\\x1b[2J"), "read back inert"
    # every view takes it
    assert "**Score: 7.5 / 20**" in feedback.feedback_markdown(result)
    assert gradescope.validate(gradescope.to_gradescope(result)) == []


def test_writing_keeps_every_old_field_and_adds_the_version():
    old = json.loads(OLD_RESULT)
    written = json.loads(Result.from_json(OLD_RESULT).to_json())
    assert written.pop("format_version") == FORMAT_VERSION
    assert written.pop("needs_human") is False
    assert written.pop("status") == "graded", "derived: never read back"
    assert written == old, "the same keys, names and values (numbers as floats)"
    error = json.loads(Result.from_dict(OLD_ERROR_RESULT).to_json())
    assert {k: v for k, v in error.items() if k not in ("format_version", "needs_human", "status")} == OLD_ERROR_RESULT


def test_round_trip_of_a_new_result(tmp_path):
    result = Result("bob", 2.0, 2.0, {"ex1": ExerciseResult(2.0, 2.0, [
        TestResult("test_a", 2.0, 2.0, "grader_error", "tell your TA", "hidden", grader_detail="KeyError")])},
        needs_human=True, note="renamed")
    write_result(tmp_path / "result.json", result)
    assert read_result(tmp_path / "result.json") == result


def test_the_status_and_the_review_lines():
    """One status per result: a grader error first, then a review, else graded. `review` is
    written only when there is something to review, and old documents have none."""
    lines = ["ex3/cutout.py:12: sys.modules (reaches the interpreter's modules)"]
    flagged = Result("eve", 7.0, 10.0, {}, review=lines)
    assert (flagged.status, Result("a", 1.0, 1.0, {}).status) == ("needs-review", "graded")
    assert Result("b", 0.0, 1.0, {}, needs_human=True, review=lines).status == "grader-error"
    document = json.loads(flagged.to_json())
    assert (document["status"], document["review"]) == ("needs-review", lines)
    assert "review" not in json.loads(Result("a", 1.0, 1.0, {}).to_json())
    assert Result.from_json(flagged.to_json()) == flagged
    assert Result.from_json(OLD_RESULT).review == []
    with pytest.raises(ResultFormatError):
        Result.from_dict({"submission": "a", "score": 1, "exercises": {}, "review": "ex1/shapes.py:1"})


@pytest.mark.parametrize("document", [
    [], {"score": 1}, {"submission": "a", "score": "1", "exercises": {}},
    {"submission": "a", "score": 1, "exercises": {"ex1": {"tests": [{"score": True}]}}},
    {"submission": "a", "score": 1, "exercises": {}, "needs_human": "yes"},
    {"submission": "a", "score": 1, "exercises": {}, "format_version": FORMAT_VERSION + 1},
])
def test_the_reader_refuses_what_is_not_a_result(document, tmp_path):
    with pytest.raises(ResultFormatError):
        Result.from_dict(document)
    (tmp_path / "result.json").write_text(json.dumps(document))
    assert read_result(tmp_path / "result.json") is None


def test_resume_keeps_a_result_written_before_the_upgrade(tmp_path):
    make_class(tmp_path / "class", ["alice", "bob"])
    out = tmp_path / "out"
    (out / "alice").mkdir(parents=True)
    document = json.loads(OLD_RESULT)
    document["exercises"] = {"ex1": document["exercises"]["ex1"]}
    (out / "alice" / "result.json").write_text(json.dumps(document))
    summary = fake_batch(tmp_path / "class", out, resume=True, exercises=("ex1",))
    assert summary["skipped"] == 1 and summary["graded"] == 1
    rows = {row["submission"]: row for row in batch.read_csv(out / "grades.csv")}
    assert rows["alice"]["ex1"] == "7.5" and rows["alice"]["total"] == "7.5"


def test_a_submission_has_one_name_graded_or_rejected():
    assert submission_name("/x/alice.zip") == submission_name("/x/alice") == "alice"
    assert submission_name("ALICE.ZIP") == "ALICE"
    assert error_result(submission_name("bob.zip"), "refused").submission == "bob"
