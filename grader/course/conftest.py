"""Fixtures of the hidden suites: `sub` is the submission, `ref` the reference solution.

Both are `grader.seam.Submission` proxies, so only plain data crosses. Run a suite by hand:
    pytest grader/course/ex3/test_ex3.py --submission exercises --isolation sandbox
"""

import pytest

from grader.limits import DEFAULT as LIMITS
from grader.paths import SOLUTIONS_DIR
from grader.seam import InProcessTransport, Submission

DEFAULT_TIMEOUT_S = LIMITS.test_timeout_s  # of a test without its own marker; pytest.ini sets none


def pytest_addoption(parser):
    group = parser.getgroup("cnn-grader")
    group.addoption("--submission", default=None, help="folder that mirrors exercises/ (default: solutions/)")
    group.addoption("--isolation", default="inprocess", choices=["inprocess", "sandbox"],
                    help="run the submission in this process or in a sandboxed worker")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): weight of the test, in points")
    config.addinivalue_line("markers", "public: repeats a check of the exercise's public tests; "
                                       "its result is visible to students before grades are published")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT_S))


@pytest.fixture(scope="session")
def sub(pytestconfig):
    given = getattr(pytestconfig, "cnn_submission", None)  # set by grader.runner
    if given is not None:
        yield given
        return
    path = pytestconfig.getoption("--submission") or SOLUTIONS_DIR
    if pytestconfig.getoption("--isolation") == "sandbox":
        from grader.worker_link import WorkerTransport

        transport = WorkerTransport(path)
    else:
        transport = InProcessTransport(path)
    submission = Submission(transport)
    yield submission
    submission.close()


@pytest.fixture(scope="session")
def ref():
    return Submission(InProcessTransport(SOLUTIONS_DIR))
