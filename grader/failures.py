"""How student code can fail behind the seam; each kind knows the status it earns.

Standard library only: the worker's judge-side end raises these before torch is loaded.
"""


class StudentCodeError(Exception):
    """A failure of the submission that is not an ordinary exception of a builtin type."""

    status = "error"


class NotImplementedYet(StudentCodeError):
    status = "failed"


class StudentTimeout(StudentCodeError):
    status = "timeout"


class WorkerCrashed(StudentCodeError):
    status = "error"


class GraderError(Exception):
    """The grader itself failed: raised in the judge before anything was sent (a probe called
    with the wrong arguments, an unregistered probe, arguments that can't be encoded), or a
    probe that fails on the reference too. Scores 0 until a human regrades it."""

    status = "grader_error"
    student_message = "the grader failed on this test; your TA has been told"
