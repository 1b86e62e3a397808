"""Gradescope's results.json, field for field as its autograder specification lists them."""

from __future__ import annotations

import json

import pytest

from grader import registry
from grader.results import error_result
from grader.gradescope import EXTRA_KEY, TEST_KEYS, TOP_LEVEL_KEYS, to_gradescope, validate
from tests.test_feedback import sample_result


def test_top_level_fields():
    doc = to_gradescope(sample_result())
    assert validate(doc) == []
    assert set(doc) <= TOP_LEVEL_KEYS
    assert doc["score"] == 13.5
    assert doc["execution_time"] == 4.2
    assert doc["visibility"] == "after_published"
    assert doc["stdout_visibility"] == "hidden"
    assert doc["output_format"] == "text"
    assert doc["extra_data"][EXTRA_KEY]["exercises"]["ex3"] == {"score": 3.5, "max_score": 10.0}
    json.dumps(doc, allow_nan=False)  # plain JSON


def test_one_entry_per_test_named_after_its_exercise():
    doc = to_gradescope(sample_result())
    tests = doc["tests"]
    assert len(tests) == 6
    assert all(set(t) <= TEST_KEYS for t in tests)
    assert [t["name"] for t in tests[:3]] == ["ex1 · conv2d output size matches formula",
                                              "ex1 · trace shapes [small-cnn]", "ex3 · cutout mask clipped"]
    assert [t["number"] for t in tests] == ["1.1", "1.2", "3.1", "3.2", "3.3", "3.4"]
    assert [t["status"] for t in tests] == ["passed", "passed", "failed", "failed", "failed", "passed"]
    assert tests[2]["output"] == "cutout_mask() returned wrong values: 3 of 20 entries differ"
    assert tests[3]["output"].startswith("Error: ")
    assert tests[4]["output"].startswith("Timed out: ")
    assert tests[3]["tags"] == ["ex3", "error"]
    assert sum(t["score"] for t in tests) == doc["score"], "Gradescope's sum equals the judge's total"
    assert sum(t["max_score"] for t in tests) == 20.0
    assert {t["visibility"] for t in tests} == {"after_published"}


def test_hidden_results_reveal_no_score_at_the_top_level():
    doc = to_gradescope(sample_result(output="my secret debug print"), visibility="after_due_date")
    assert "13.5" not in doc["output"] and "my secret debug print" not in doc["output"]
    assert "after the due date" in doc["output"]
    visible = to_gradescope(sample_result(output="my debug print"), visibility="visible")
    assert "Score: 13.5 / 20" in visible["output"] and "my debug print" in visible["output"]
    assert {t["visibility"] for t in visible["tests"]} == {"visible"}


def _with_public_tests(result):
    """`sample_result` as the judge writes it now: each test says whether it is public."""
    for entry in result.exercises.values():
        for i, test in enumerate(entry.tests):
            test.visibility = "visible" if i == 0 else "hidden"  # ex1's and ex3's first tests
    return result


@pytest.mark.parametrize("configured", ["after_published", "after_due_date", "hidden"])
def test_public_tests_are_visible_and_hidden_ones_follow_the_setting(configured):
    doc = to_gradescope(_with_public_tests(sample_result(output="my secret debug print")), visibility=configured)
    assert validate(doc) == []
    assert [t["visibility"] for t in doc["tests"]] == ["visible", configured, "visible", configured, configured,
                                                       configured]
    assert doc["visibility"] == configured, "the submission as a whole (its total) keeps the setting"
    assert doc["tests"][2]["output"] == "cutout_mask() returned wrong values: 3 of 20 entries differ"
    assert "13.5" not in doc["output"] and "my secret debug print" not in doc["output"]
    assert "The 2 tests that repeat checks of your public tests are shown below now" in doc["output"]
    assert [t["score"] for t in doc["tests"]] == [4.0, 6.0, 0.0, 0.0, 0.0, 3.5], "scores are unchanged"


def test_everything_is_visible_when_configured_visible():
    doc = to_gradescope(_with_public_tests(sample_result()), visibility="visible")
    assert {t["visibility"] for t in doc["tests"]} == {"visible"}
    assert "Score: 13.5 / 20" in doc["output"]


def test_results_without_the_visibility_key_follow_the_setting():
    """A result.json written before tests carried `visibility`: every test follows the setting."""
    old = sample_result()
    assert all(t.visibility is None for e in old.exercises.values() for t in e.tests)
    doc = to_gradescope(old, visibility="after_due_date")
    assert {t["visibility"] for t in doc["tests"]} == {"after_due_date"}
    assert "public tests" not in doc["output"]
    # Only "visible" in the judge's record makes a test visible; anything else follows the setting.
    odd = _with_public_tests(sample_result())
    odd.exercises["ex3"].tests[1].visibility = "after_due_date"
    assert to_gradescope(odd)["tests"][3]["visibility"] == "after_published"


def test_an_error_result_says_why_at_once():
    doc = to_gradescope(error_result("zed", "zed.zip was refused: it holds a symbolic link"))
    assert validate(doc) == []
    assert doc["score"] == 0.0
    assert "symbolic link" in doc["output"]
    assert len(doc["tests"]) == len(registry.ids())


def test_bad_visibility_is_refused():
    with pytest.raises(ValueError, match="visibility"):
        to_gradescope(sample_result(), visibility="sometimes")


def test_validate_catches_what_gradescope_rejects():
    assert validate({"score": 1, "tests": [{"status": "error"}]}) == ["tests[0].status must be 'passed' or 'failed'"]
    assert "unknown top-level key 'grade'" in validate({"grade": 1, "score": 1})
    assert validate({"tests": [{"name": "x"}]}) == ["a score is required at the top level or on every test"]
