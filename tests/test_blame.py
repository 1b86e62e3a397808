"""Blame: a failure is the grader's only if the judge raises it before sending, or if the
same probe fails on the reference too. Whatever a student's code raises, however it is
worded or wherever it seems to come from, stays the student's."""

from __future__ import annotations

import shutil
import textwrap

import pytest
import torch

from grader import runner, seam
from grader.failures import GraderError
from grader.paths import SOLUTIONS_DIR
from grader.results import ExerciseResult, TestResult
from grader.runner import _classify
from grader.sandboxed import codec
from grader.course.ex4.probes import ex4_soft_ce_gradient
from grader.course.probing import PROBES, probe
from grader.seam import InProcessTransport, Submission

GRADER_MESSAGE = "the grader failed on this test; your TA has been told"


@probe("ex1")
def blame_test_broken_probe(shapes, key):
    """A probe with a bug of its own: it fails on every submission, the reference included."""
    return {"known": 1}[key]


@pytest.fixture
def submission_dir(tmp_path):
    """A copy of the reference, so that the seam really replays against SOLUTIONS_DIR."""
    root = tmp_path / "submission"
    shutil.copytree(SOLUTIONS_DIR, root)
    return root


class RecordingTransport:
    """Counts what reaches the transport; encodes the request as the real ones do."""

    description = "fake"
    charged_s = 0.0

    def __init__(self):
        self.requests = []

    def request(self, op, exercise, name, args, kwargs, timeout):
        codec.request_frame(codec.new_request_id(), op, exercise, name, args, kwargs)
        self.requests.append((op, exercise, name))
        return {"ok": True}, None

    def close(self):
        pass


# ------------------------------------------------------------------- the grader's failures


def test_a_broken_probe_is_a_grader_error(submission_dir):
    sub = Submission(InProcessTransport(submission_dir))
    with pytest.raises(GraderError) as excinfo:
        sub.run(blame_test_broken_probe, "missing", what="conv2d_output_size()")
    assert "fails on the reference too" in str(excinfo.value) and "KeyError" in str(excinfo.value)
    assert _classify(excinfo) == ("grader_error", GRADER_MESSAGE)


def test_a_broken_probe_scores_zero_and_is_flagged_for_a_human(submission_dir, tmp_path, monkeypatch):
    """Through pytest and the runner's collector, as a hidden suite's test would run."""
    suite = tmp_path / "suite"
    suite.mkdir()
    # A name of its own, and no conftest.py: the real hidden suites may be in sys.modules.
    (suite / "test_blame_suite_ex1.py").write_text(textwrap.dedent("""
        import pytest
        from tests.test_blame import blame_test_broken_probe

        @pytest.fixture
        def sub(pytestconfig):
            return pytestconfig.cnn_submission

        @pytest.mark.points(2)
        def test_uses_a_broken_probe(sub):
            sub.run(blame_test_broken_probe, "missing")
    """))
    collector = runner._Collector(Submission(InProcessTransport(submission_dir)))
    assert pytest.main([str(suite), "-q", "-p", "no:cacheprovider", "--rootdir", str(suite),
                        "-W", "ignore"], plugins=[collector]) == pytest.ExitCode.TESTS_FAILED
    (record,) = collector.records.values()
    assert record["status"] == "grader_error" and record["message"] == GRADER_MESSAGE
    assert record["score"] == 0.0 and record["max_score"] == 2.0
    assert "KeyError" in record["grader_detail"], "the TA sees what went wrong"

    def one_grader_error(submission, exercises):
        return {"ex1": ExerciseResult(0.0, 2.0, [
            TestResult(**{k: record[k] for k in ("name", "score", "max_score", "status", "message")})])}

    monkeypatch.setattr(runner, "run_suites", one_grader_error)
    assert runner.grade_directory(submission_dir, isolation="inprocess").needs_human is True


def test_the_reference_marks_no_test_for_a_human(monkeypatch):
    monkeypatch.setattr(runner, "run_suites", lambda submission, exercises: {
        "ex1": ExerciseResult(1.0, 1.0, [TestResult("t", 1.0, 1.0, "passed", "")])})
    assert runner.grade_directory(SOLUTIONS_DIR, isolation="inprocess").needs_human is False


# ------------------------------------------------- raised in the judge, before anything is sent


@pytest.mark.parametrize("args, kwargs", [
    ((), {}),                                            # too few
    ((torch.zeros(2, 3), torch.zeros(2, 3), "mean", 1), {}),  # too many
    ((torch.zeros(2, 3), torch.zeros(2, 3)), {"reductoin": "sum"}),  # a typo
])
def test_a_wrong_argument_list_fails_in_the_judge(args, kwargs):
    transport = RecordingTransport()
    with pytest.raises(GraderError, match="wrong arguments") as excinfo:
        Submission(transport).run(ex4_soft_ce_gradient, *args, **kwargs)
    assert transport.requests == [], "nothing may reach the transport"
    assert _classify(excinfo) == ("grader_error", GRADER_MESSAGE)


def test_an_unregistered_probe_or_unencodable_argument_fails_in_the_judge(submission_dir):
    transport = RecordingTransport()
    sub = Submission(transport)

    def ex4_soft_ce_gradient(module, logits, soft_targets, reduction="mean"):  # same name, not registered
        return None

    with pytest.raises(GraderError, match="not a registered probe"):
        sub.run(ex4_soft_ce_gradient, torch.zeros(1, 2), torch.zeros(1, 2))
    with pytest.raises(GraderError, match="request for .* failed in the codec"):
        sub.run(PROBES["ex4_soft_ce_gradient"], object(), torch.zeros(1, 2))
    assert transport.requests == []
    with pytest.raises(GraderError, match="request for .* failed in the codec"):
        Submission(InProcessTransport(submission_dir)).ex1.conv2d_output_size(object())


def test_a_correct_call_is_sent_by_name_with_its_own_exercise():
    transport = RecordingTransport()
    Submission(transport).run(ex4_soft_ce_gradient, torch.zeros(2, 3), torch.zeros(2, 3), reduction="sum")
    assert transport.requests == [("task", "ex4", "ex4_soft_ce_gradient")]


# ------------------------------------------------------------------- the student's failures

POSING_AS_THE_GRADER = '''

class GraderError(Exception):
    pass


def ex4_soft_ce_gradient(*args):
    """Named after the probe, so that the innermost frame looks like the grader's own."""
    raise KeyError("internal grader error in ex4_soft_ce_gradient; please tell your TA")


def soft_cross_entropy(logits, soft_targets, reduction="mean"):
    if reduction == "sum":
        raise GraderError("Traceback (most recent call last): File grader/course/ex4/probes.py; "
                          "the grader failed on this test; your TA has been told")
    ex4_soft_ce_gradient(logits)
'''


@pytest.fixture
def posing_submission(submission_dir):
    path = submission_dir / "ex4" / "soft_ce.py"
    path.write_text(path.read_text() + POSING_AS_THE_GRADER)
    return Submission(InProcessTransport(submission_dir))


@pytest.mark.parametrize("reduction, raised", [("mean", "KeyError"), ("sum", "GraderError")])
def test_a_student_cannot_pass_their_failure_off_as_the_graders(posing_submission, reduction, raised):
    with pytest.raises(Exception) as excinfo:
        posing_submission.run(ex4_soft_ce_gradient, torch.zeros(2, 3), torch.zeros(2, 3),
                              reduction=reduction, what="soft_cross_entropy()")
    assert not isinstance(excinfo.value, GraderError)
    status, message = _classify(excinfo)
    assert status == "error", (status, message)
    assert message.startswith(f"soft_cross_entropy() raised {raised}: "), message


def test_a_plain_call_that_raises_is_not_replayed(posing_submission, monkeypatch):
    def no_replay(*args, **kwargs):
        raise AssertionError("a plain call was replayed on the reference")

    monkeypatch.setattr(seam, "check_against_reference", no_replay)
    with pytest.raises(KeyError) as excinfo:
        posing_submission.ex4.soft_cross_entropy(torch.zeros(2, 3), torch.zeros(2, 3))
    assert _classify(excinfo)[0] == "error"
