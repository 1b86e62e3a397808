"""Eager training without importing torch._dynamo.

The first `optimizer.step()` of any torch.optim optimiser imports all of torch._dynamo (about
1.4 s of CPU, more than a worker's whole start-up) only to call `graph_break()` and
`disable(fn)`, which do nothing outside `torch.compile`. The grader trains eagerly, so a
Dispatcher puts this stand-in in their place: the numbers are the same bit for bit
(tests/test_eager.py), and any other use of torch._dynamo, such as `torch.compile`, imports
the real module. (Importing a submodule such as torch._dynamo.config as the very first use
would load that submodule twice; nothing in the grader or the exercises does.)
"""

from __future__ import annotations

import importlib
import sys
import types

import torch

NAME = "torch._dynamo"


class EagerDynamo(types.ModuleType):
    """What torch.optim needs of torch._dynamo when nothing is being compiled."""

    @staticmethod
    def graph_break(*args, **kwargs):
        """There is no graph to break in eager mode."""

    @staticmethod
    def disable(fn=None, recursive=True, **kwargs):
        """Eager code needs no guard against compilation."""
        return fn if fn is not None else (lambda function: function)

    def __getattr__(self, name):
        return getattr(_real_dynamo(), name)


def _real_dynamo():
    if isinstance(sys.modules.get(NAME), EagerDynamo):
        del sys.modules[NAME]
    return importlib.import_module(NAME)  # also sets torch._dynamo to the real module


def install():
    """Put the stand-in in place, unless torch._dynamo is already loaded."""
    if NAME not in sys.modules:
        stand_in = EagerDynamo(NAME)
        sys.modules[NAME] = stand_in
        torch._dynamo = stand_in
