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
