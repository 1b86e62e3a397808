"""What a probed call did to its inputs and its generator is decided in the judge.

The worker only hands back the inputs as they are after the call and each generator's state
(grader/sandboxed/calls.py); the judge compares them with its own copies and draws the next
number itself (grader.seam.judge_probe), so student code that replaces the worker's helpers
gains nothing.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.failures import StudentCodeError
from grader.paths import SOLUTIONS_DIR
from grader.sandboxed.calls import probe_call
from grader.seam import Seeded, judge_probe
from tests.graded import grade, make_submission, module_path

# A cutout that zeroes its input after computing the right answer, and, at import, replaces
# every comparison helper and every generator-reading helper it can find in the worker.
FORGED_CUTOUT = '''

def _cutout_right(images, size=8, rng=None, _reference=cutout):
    out = _reference(images, size=size, rng=rng)
    images.zero_()  # the input is changed in place
    return out


cutout = _cutout_right

import sys as _sys

for _module in list(_sys.modules.values()):
    for _name in ("_unchanged", "_snapshot"):
        if hasattr(_module, _name):
            setattr(_module, _name, lambda *args, **kwargs: True)
'''


def _worker_reply(fn, *args, **kwargs):
    """What the worker would send back, with its generators made from seeds as the worker does."""
    live = [np.random.default_rng(a.seed) if isinstance(a, Seeded) else a for a in args]
    live_kwargs = {k: np.random.default_rng(v.seed) if isinstance(v, Seeded) else v for k, v in kwargs.items()}
    return probe_call(fn, live, live_kwargs)


def test_the_judge_sees_a_changed_input_and_the_next_draw():
    def scale_in_place(x, rng):
        rng.random(3)
        return x.mul_(2)

    x = torch.arange(4.0)
    reply = _worker_reply(scale_in_place, x.clone(), Seeded(7))
    judged = judge_probe(reply, [x, Seeded(7)], "scale_in_place()")
    assert judged["inputs_unchanged"] is False
    rng = np.random.default_rng(7)
    rng.random(3)
    assert judged["rng_next"] == rng.random()

    reply = _worker_reply(lambda x, rng: x * 2, x.clone(), Seeded(7))
    judged = judge_probe(reply, [x, Seeded(7)], "double()")
    assert judged["inputs_unchanged"] is True
    assert judged["rng_next"] == np.random.default_rng(7).random()


@pytest.mark.parametrize("after", [
    torch.tensor([0.0, 1.0, 2.0, -0.0]),       # -0.0 is not 0.0, bit for bit
    torch.tensor([0.0, 1.0, 2.0]),             # another shape
    torch.tensor([0.0, 1.0, 2.0, 3.0]).double(),  # another dtype
    np.zeros(4, dtype=np.float32),             # another type
])
def test_any_difference_bit_for_bit_is_a_change(after):
    before = torch.tensor([0.0, 1.0, 2.0, 0.0])
    judged = judge_probe({"result": None, "inputs_after": [after]}, [before], "f()")
    assert judged["inputs_unchanged"] is False


@pytest.mark.parametrize("reply", [
    None, {"result": 1}, {"result": 1, "inputs_after": []}, {"result": 1, "inputs_after": "x"},
])
def test_a_reply_without_the_inputs_is_the_students(reply):
    with pytest.raises(StudentCodeError, match="can't read"):
        judge_probe(reply, [torch.zeros(2)], "f()")


@pytest.mark.parametrize("state", [
    None, {"rng_state": {"bit_generator": "MT19937"}}, {"rng_state": {"bit_generator": "PCG64", "state": "x"}},
])
def test_an_unreadable_generator_state_is_the_students(state):
    with pytest.raises(StudentCodeError, match="rng"):
        judge_probe({"result": 1, "inputs_after": [state]}, [Seeded(1)], "f()")


def test_replacing_the_workers_helpers_does_not_hide_a_changed_input(tmp_path):
    """The issue's forgery: replace `_unchanged` wherever the worker has it, then change the input."""
    source = module_path(SOLUTIONS_DIR, "ex3").read_text() + FORGED_CUTOUT
    forged = make_submission(tmp_path / "forged", "reference", replace={"ex3": source})
    honest = make_submission(tmp_path / "honest", "reference")
    tests = {t["name"]: t for t in grade(forged, exercises=("ex3",))["exercises"]["ex3"]["tests"]}
    kept = tests["test_cutout_leaves_images_unchanged"]
    assert kept["status"] == "failed" and "in place" in kept["message"], kept
    honest_result = grade(honest, exercises=("ex3",))["exercises"]["ex3"]
    assert honest_result["score"] == honest_result["max_score"]
