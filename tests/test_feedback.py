"""The score table and the student's Markdown report."""

from __future__ import annotations

import copy

from grader import feedback, registry, runner
from grader.feedback import display_name, feedback_markdown, points, score_table, summary_stats
from grader.results import Result


def sample_result(name="alice", output="epoch 1 loss 0.5\n") -> Result:
    """A result as a document written before format_version (no test `visibility` either)."""
    return Result.from_dict({
        "submission": name,
        "score": 13.5,
        "max_score": 20.0,
        "exercises": {
            "ex1": {"score": 10.0, "max_score": 10.0, "tests": [
                {"name": "test_conv2d_output_size_matches_formula", "score": 4.0, "max_score": 4.0,
                 "status": "passed", "message": ""},
                {"name": "test_trace_shapes[small-cnn]", "score": 6.0, "max_score": 6.0,
                 "status": "passed", "message": ""},
            ]},
            "ex3": {"score": 3.5, "max_score": 10.0, "tests": [
                {"name": "test_cutout_mask_clipped", "score": 0.0, "max_score": 2.0, "status": "failed",
                 "message": "cutout_mask() returned wrong values: 3 of 20 entries differ"},
                {"name": "test_cutout_rejects", "score": 0.0, "max_score": 1.0, "status": "error",
                 "message": "cutout() raised IndexError: index 9 is out of bounds"},
                {"name": "test_cutout_seeded", "score": 0.0, "max_score": 3.5, "status": "timeout",
                 "message": "timed out after 10 s in cutout()"},
                {"name": "test_cutout_keeps_dtype", "score": 3.5, "max_score": 3.5, "status": "passed",
                 "message": ""},
            ]},
        },
        "grader_version": "0.1.0",
        "duration_s": 4.2,
        "isolation": "bubblewrap sandbox with rlimits",
        "output": output,
    })


def test_exercise_list_matches_the_runner():
    from grader import results

    assert feedback.EXERCISES == runner.EXERCISES
    failed = results.error_result("x", "m")  # error results score like graded ones
    assert {ex: r.max_score for ex, r in failed.exercises.items()} == {e.id: e.points for e in registry.exercises()}


def test_points_formatting():
    assert [points(v) for v in (10.0, 7.5, 3.333333, 0, -0.0, None)] == ["10", "7.5", "3.33", "0", "0", ""]


def test_display_name():
    assert display_name("test_cutout_matches_reference") == "cutout matches reference"
    assert display_name("test_trace_shapes[small-cnn]") == "trace shapes [small-cnn]"


def test_score_table_has_every_exercise_and_the_total():
    other = copy.deepcopy(sample_result("bob"))
    other.score = 0.0
    table = score_table([sample_result(), other])
    lines = table.splitlines()
    assert lines[0].split() == ["submission", *registry.ids(), "total"]
    alice = next(line for line in lines if line.startswith("alice"))
    rest = ["-"] * (len(registry.ids()) - 3)  # the exercises after ex3, none graded
    assert alice.split() == ["alice", "10", "-", "3.5", *rest, "13.5"]
    assert lines[-1].split() == ["(out", "of)", "10", "-", "10", *rest, "20"]
    assert score_table([]).splitlines()[0].startswith("submission")


def test_summary_stats_mean_and_median():
    a, b, c = (copy.deepcopy(sample_result(n)) for n in "abc")
    for result, score in ((a, 2.0), (b, 4.0), (c, 9.0)):
        result.exercises["ex1"].score = score
        result.score = score
    text = summary_stats([a, b, c])
    mean = next(line for line in text.splitlines() if line.startswith("mean")).split()
    median = next(line for line in text.splitlines() if line.startswith("median")).split()
    assert mean[1] == "5" and median[1] == "4"  # ex1
    assert mean[2] == "-"  # ex2 was not graded


def test_markdown_lists_every_test_with_points_status_and_message():
    text = feedback_markdown(sample_result())
    assert "# Feedback for alice" in text
    assert "**Score: 13.5 / 20**" in text
    assert "## ex3 — cutout: 3.5 / 10" in text
    for shown in ("cutout mask clipped", "0 / 2 points, failed", "3 of 20 entries differ",
                  "0 / 1 point, error", "index 9 is out of bounds",
                  "0 / 3.5 points, timed out", "timed out after 10 s",
                  "3.5 / 3.5 points, passed", "trace shapes \\[small-cnn\\]"):
        assert shown in text, shown
    assert "epoch 1 loss 0.5" in text, "the student's own output is shown"
    assert "bubblewrap" not in text, "grader internals are not shown"
    assert "Good start" in text


def test_markdown_headlines_and_notes():
    full = copy.deepcopy(sample_result())
    for entry in full.exercises.values():
        for test in entry.tests:
            test.status, test.score, test.message = "passed", test.max_score, ""
        entry.score = entry.max_score
    full.score = full.max_score
    assert "Full marks" in feedback_markdown(full)

    stub = copy.deepcopy(sample_result(output=""))
    for test in stub.exercises["ex3"].tests:
        test.status, test.score, test.message = "failed", 0.0, "cutout() is not implemented yet"
    text = feedback_markdown(stub)
    assert "Not started yet" in text
    assert "Your code printed nothing" in text


def test_markdown_cannot_be_broken_by_messages_or_output():
    result = sample_result(output="```\n# not a heading\n</pre><script>x</script>\n" + "y" * 10_000)
    result.exercises["ex3"].tests[0].message = "````\n## fake heading"
    text = feedback_markdown(result)
    assert "\n## fake heading" not in text.replace("  ## fake heading", ""), "messages stay in their fence"
    assert "`````text" in text, "the fence is longer than any backtick run inside"
    assert "earlier output cut" in text
    assert len(text) < 10_000, "the output is truncated"


def test_markdown_of_an_error_result():
    from grader.results import error_result

    text = feedback_markdown(error_result("zed", "the grader stopped; please tell your TA"))
    assert f"**Score: 0 / {points(registry.total_points())}**" in text
    assert text.count("please tell your TA") == len(registry.ids())
