"""Probe of exercise 6: `ex6_architecture` describes `build_model()` as plain data (layers and
fx graph, no weights). Everything that decides points (parameters, logits, training) is
computed in the judge on the model it rebuilds from that description (grader/architecture.py,
grader/course/models.py): a model answering differently here than its description says
gains nothing.
"""

from __future__ import annotations

from ..probing import ModelDescription, describe_model, probe, seeded


@probe("ex6")
def ex6_architecture(mod, num_classes_list) -> list[ModelDescription]:
    """The description of `build_model()` (None) or `build_model(num_classes=c)`, per entry."""
    out = []
    for c in num_classes_list:
        build = mod.build_model if c is None else (lambda c=c: mod.build_model(num_classes=c))
        out.append(describe_model(seeded(0, build)))
    return out
