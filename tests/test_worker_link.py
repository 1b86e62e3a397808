"""The link to the worker: student code can write to the judge's pipe, and gains nothing by it.

Each hostile module below finds the reply pipe the way an attacker would (the write-only pipe
among its descriptors) and writes frames of its own there. Forged frames, out-of-order frames
and a memory-amplifying reply each fail only their call; the judge's peak memory stays under 2 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from grader import sandbox
from grader.failures import WorkerCrashed
from grader.paths import REPO_ROOT
from grader.sandboxed import codec
from grader.seam import InProcessTransport, Submission
from grader.worker_link import WorkerTransport
from tests.graded import grade, make_submission, module_path, scores

pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="needs bubblewrap")

# What an attacker adds to a module: find the reply pipe, and the id of the request being answered.
FORGER = '''
import json as _json, os as _os, struct as _struct, sys as _sys


def _reply_fd():
    for fd in map(int, _os.listdir("/proc/self/fd")):
        try:
            pipe = _os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
            flags = int(open(f"/proc/self/fdinfo/{fd}").read().split("flags:")[1].split()[0], 8)
        except (OSError, IndexError):
            continue
        if pipe and flags & 3 == 1:  # O_WRONLY
            return fd


def _request():
    """The request the worker is answering, from its stack."""
    frame = _sys._getframe()
    while frame is not None:
        request = frame.f_locals.get("request")
        if type(request) is dict and "op" in request:
            return request
        frame = frame.f_back


def _request_id():
    return _request().get("id")


def _forge(value=None, sizes=(), **fields):
    """A well-formed frame claiming a passing reply (no id unless given); its buffers are zeros."""
    head = _json.dumps(dict(fields, ok=True, payload={"v": value}, buffer_sizes=list(sizes))).encode()
    fd = _reply_fd()
    for chunk in (_struct.pack(">Q", len(head)) + head, *map(bytes, sizes)):
        view = memoryview(chunk)
        while view:
            view = view[_os.write(fd, view):]
'''

EX1 = FORGER + '''
_seen = []


def honest():
    return 1


def forge_unnamed():
    _forge({"int": "42"})
    return 1


def remember():
    _seen.append(_request_id())
    return 1


def forge_stale():
    _forge({"int": "42"}, id=_seen[0])
    return 1


def forge_own():
    _forge({"int": "42"}, id=_request_id())
    return 1


def amplify():
    """One 32 MiB buffer named by 200 tensor nodes: 6.4 GB if each node got its own copy."""
    size = 32 * 1024 * 1024
    _forge({"list": [{"tensor": 0, "dtype": "uint8", "shape": [size]}] * 200}, [size], id=_request_id())
    return 1
'''


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A reference submission whose ex1 module writes frames of its own."""
    return make_submission(tmp_path_factory.mktemp("hostile"), "reference", {"ex1": EX1})


@pytest.fixture
def sub(hostile):
    submission = Submission(WorkerTransport(hostile))
    yield submission
    submission.close()


def one_hot_is_right(sub):
    y = torch.tensor([2, 0, 1])
    return torch.equal(sub.ex2.one_hot(y, 3), torch.eye(3)[[2, 0, 1]])


def test_a_forged_frame_fails_only_its_call(sub):
    assert sub.ex1.honest() == 1
    with pytest.raises(WorkerCrashed, match=r"did not ask for during forge_unnamed\(\); the worker was restarted"):
        sub.ex1.forge_unnamed()
    assert one_hot_is_right(sub), "the next request (another exercise) is answered by a fresh worker"
    assert sub.ex1.honest() == 1


def test_a_reply_with_a_stale_id_fails_only_its_call(sub):
    assert sub.ex1.remember() == 1
    with pytest.raises(WorkerCrashed, match="did not ask for during forge_stale"):
        sub.ex1.forge_stale()
    assert one_hot_is_right(sub)


def test_a_stray_frame_left_on_the_pipe_answers_nothing(sub):
    """A frame with the right id reads as a return value; the real reply after it is stray."""
    assert sub.ex1.forge_own() == 42
    time.sleep(0.5)  # the stray reply is waiting before the next request is sent
    assert one_hot_is_right(sub), "the worker that spoke unasked was replaced before the next request"
    assert sub.ex1.honest() == 1


def test_the_in_process_transport_checks_ids_too(monkeypatch):
    transport = InProcessTransport(REPO_ROOT / "solutions")
    head, value = transport.request("call", "ex2", "one_hot", (torch.tensor([1]), 2), {}, 10)
    assert head["ok"] is True and torch.equal(value, torch.tensor([[0.0, 1.0]]))
    handle = transport.dispatcher.handle
    monkeypatch.setattr(transport.dispatcher, "handle", lambda r, b: (dict(handle(r, b)[0], id=r["id"] + 1), []))
    with pytest.raises(codec.Desync):
        transport.request("call", "ex2", "one_hot", (torch.tensor([1]), 2), {}, 10)


JUDGE = textwrap.dedent('''
    import json, resource, sys
    from grader.judge_process import limit_memory
    from grader.seam import Submission
    from grader.worker_link import WorkerTransport

    limit_memory()
    sub = Submission(WorkerTransport(sys.argv[1]))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        sub.ex1.amplify()
        error = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"error": error, "next": sub.ex1.honest(), "before_kib": before, "after_kib": after}))
    sub.close()
''')


def test_a_memory_amplifying_reply_is_refused_and_the_judge_stays_under_2_gb(hostile):
    run = subprocess.run([sys.executable, "-c", JUDGE, str(hostile)], capture_output=True, text=True,
                         timeout=300, cwd=REPO_ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.splitlines()[-1])
    assert report["error"] and report["error"].startswith("WorkerCrashed"), report
    assert "referenced twice" in report["error"]
    assert report["next"] == 1, "the next call gets a fresh worker"
    assert report["after_kib"] < 2 * 1000 * 1000, f"the judge's peak RSS was {report['after_kib']} KiB"


# A graded submission: the reference, whose mix() (when the judge calls it, not mixup_batch)
# first writes a frame claiming a passing reply; its control fails the same call honestly.
PLANT = "    if _request()['name'] == 'mix': _forge()\n"
CONTROL = "    if _request()['name'] == 'mix': raise RuntimeError('the same call, failing honestly')\n"


def with_mix_starting(root, line):
    path = module_path(root, "ex2")
    source = path.read_text()
    head = "def mix(x, y_soft, lam, perm):\n"
    path.write_text(source.replace(head, head + line) + FORGER)
    return root


def test_forging_frames_gains_no_points_and_costs_no_other_exercise(tmp_path):
    attacked = grade(with_mix_starting(make_submission(tmp_path / "attack"), PLANT), exercises=("ex2", "ex1"))
    control = grade(with_mix_starting(make_submission(tmp_path / "control"), CONTROL), exercises=("ex2", "ex1"))
    assert scores(attacked) == scores(control)
    assert scores(attacked)["ex1"] == 10
    messages = [t["message"] for t in attacked["exercises"]["ex2"]["tests"] if t["status"] != "passed"]
    assert messages and all("did not ask for" in m for m in messages), messages
