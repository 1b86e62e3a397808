"""Otter-Grader / Gradescope integration for cnn-grader.

:func:`build_autograder` (``cnn-grader otter --out autograder.zip``) writes the Gradescope
autograder zip: otter with :class:`grader.otter.plugin.JudgePlugin`, which grades with the
sandboxed judge instead of otter's kernel and writes results.json with the shared writer
:func:`grader.gradescope.to_gradescope` (the one ``cnn-grader grade --gradescope`` uses).

Importing this package imports neither otter nor torch.
"""

__all__ = ["build_autograder"]


def build_autograder(out_path="autograder.zip", **kwargs):
    """Write the otter autograder zip for Gradescope; see :func:`grader.otter.build.build_autograder`."""
    from .build import build_autograder as _build

    return _build(out_path, **kwargs)
