"""The worker's stand-in for torch._dynamo (grader/sandboxed/eager.py): same numbers, less CPU."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

from grader.paths import REPO_ROOT

TRAIN = """
import json, sys
import torch
if sys.argv[1] == "stand-in":
    from grader.sandboxed import eager
    eager.install()
else:
    import torch._dynamo
torch.set_num_threads(1)
from cnnlab.card import run_card
card = run_card(epochs=20)
kind_after_training = type(sys.modules["torch._dynamo"]).__name__
torch._dynamo.reset  # anything the stand-in lacks comes from the real module
print(json.dumps({"card": card, "after_training": kind_after_training,
                  "after_other_use": type(sys.modules["torch._dynamo"]).__name__,
                  "attribute_is_module": torch._dynamo is sys.modules["torch._dynamo"]}))
"""


@functools.lru_cache(maxsize=None)
def train(kind):
    run = subprocess.run([sys.executable, "-c", TRAIN, kind], capture_output=True, text=True,
                         cwd=REPO_ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_training_with_the_stand_in_gives_the_same_numbers_without_importing_dynamo():
    stand_in, real = train("stand-in"), train("real")
    assert stand_in["card"] == real["card"]
    assert "epoch=20" in real["card"]
    assert stand_in["after_training"] == "EagerDynamo", "Adam's steps needed nothing more of torch._dynamo"
    assert real["after_training"] == "module"


def test_any_other_use_of_torch_dynamo_gets_the_real_module():
    stand_in = train("stand-in")
    assert stand_in["after_other_use"] == "module"
    assert stand_in["attribute_is_module"], "torch._dynamo and sys.modules agree"
