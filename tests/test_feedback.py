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
    assert text.count("please tell your TA") == 1, "the reason is said once, first"
    assert text.index("could not be graded") < text.index("| Exercise |")
    assert "No test passes yet" not in text and "normal place to start" not in text


# ------------------------------------------------------------------ before publication

WINDOW = 16  # characters: any run this long of a hidden message must not appear


def _every_hidden_test_failing() -> Result:
    """Every test of every hidden suite, failing with a message full of inputs and expected values;
    the tests that repeat a public check pass."""
    from grader import rubric

    exercises = {}
    for exercise in registry.ids():
        tests = []
        for test in rubric.hidden_tests(rubric.suite_path(exercise)):
            if test.public:
                tests.append({"name": test.name, "score": test.points, "max_score": test.points,
                              "status": "passed", "message": "", "visibility": "visible"})
            else:
                tests.append({"name": test.name, "score": 0.0, "max_score": test.points, "status": "failed",
                              "visibility": "hidden", "message": f"{test.name}(16, 2) returned 15, expected 8 "
                              f"for x = tensor([[0.25, -1.5]]) [secret {test.name[::-1]}]"})
        exercises[exercise] = {"score": sum(t["score"] for t in tests),
                               "max_score": sum(t["max_score"] for t in tests), "tests": tests}
    return Result.from_dict({"submission": "sam", "score": sum(e["score"] for e in exercises.values()),
                             "max_score": float(registry.total_points()), "exercises": exercises,
                             "output": "x = tensor([[0.25, -1.5]])  # printed by the student's code\n"})


def _leaks(result: Result, text: str) -> list[str]:
    """Hidden tests' names and pieces of their messages found in `text`, and the total."""
    visible_text = " ".join(t.name + " " + t.message for e in result.exercises.values() for t in e.tests
                            if t.visibility == "visible")
    found = []
    for entry in result.exercises.values():
        for test in entry.tests:
            if test.visibility == "visible":
                continue
            for name in (test.name, display_name(test.name), feedback._escape_inline(display_name(test.name))):
                if name in text:
                    found.append(f"name {name!r}")
            message = test.message
            for i in range(max(1, len(message) - WINDOW + 1)):
                piece = message[i:i + WINDOW]
                if piece in text and piece not in visible_text:
                    found.append(f"message of {test.name}: {piece!r}")
                    break
    if f"{points(result.score)} / {points(result.max_score)}" in text:
        found.append("the total")
    if "printed by the student" in text:
        found.append("the printed output")
    return found


def test_feedback_before_publication_shows_nothing_hidden():
    result = _every_hidden_test_failing()
    full = feedback_markdown(result, visibility="visible")
    assert len(_leaks(result, full)) > 50, "the check finds what the published version shows"
    for visibility in ("hidden", "after_due_date", "after_published"):
        text = feedback_markdown(result, visibility=visibility)
        assert _leaks(result, text) == [], visibility
        public = [t for e in result.exercises.values() for t in e.tests if t.visibility == "visible"]
        for test in public:
            assert feedback._escape_inline(display_name(test.name)) in text, "public checks are shown"
        got = sum(t.score for t in public)
        assert f"**Public checks: {points(got)} / {points(got)} points**" in text
        assert "results after publication" in text


def test_feedback_before_publication_of_a_real_graded_submission():
    """carol's typical bugs, graded: her hidden failures quote inputs and expected values."""
    from grader.grading import grade
    from grader.paths import REPO_ROOT

    result = grade(REPO_ROOT / "examples" / "class" / "carol_typical_bugs", isolation="inprocess",
                   exercises=("ex1", "ex2", "ex3", "ex4", "ex5"))
    hidden_failures = [t for e in result.exercises.values() for t in e.tests
                       if t.visibility != "visible" and t.status != "passed"]
    assert hidden_failures, "carol fails hidden tests"
    assert _leaks(result, feedback_markdown(result, visibility="visible"))
    assert _leaks(result, feedback_markdown(result, visibility="after_published")) == []
