"""The judge's static checks (grader/source_checks.py): attacks gain nothing, honest code passes.

ex1's no-forward rule and ex4's no-built-in-softmax rule are read from the source in the judge,
where the student's code can't forge them; the tamper scan flags code that reaches the grader or
the interpreter's machinery for a TA's review, without costing points.
"""

from __future__ import annotations

import json
import shutil

import pytest

from grader import batch, feedback, gradescope, runner, source_checks
from grader.grading import grade
from grader.paths import EXERCISES_DIR, REPO_ROOT, SOLUTIONS_DIR
from grader.results import ExerciseResult, Result, TestResult

CLASS_DIR = REPO_ROOT / "examples" / "class"
EX1, EX4 = "ex1/shapes.py", "ex4/soft_ce.py"
REF1 = (SOLUTIONS_DIR / EX1).read_text()
REF4 = (SOLUTIONS_DIR / EX4).read_text()


def ex4_with(log_softmax: str, before: str = "", **helpers) -> dict:
    """The reference ex4 with its log_softmax replaced (and `before` put above it)."""
    start, end = REF4.index("def log_softmax("), REF4.index("def soft_cross_entropy(")
    files = {EX4: REF4[:start] + before + log_softmax + "\n\n" + REF4[end:]}
    files.update({f"ex4/{name}.py": text for name, text in helpers.items()})
    return files


LOOP = "        shape = tuple(int(d) for d in _next_shape(index, layer, shape))\n"


def ex1_with(loop_body: str, after: str = "", **helpers) -> dict:
    """The reference ex1 with the line in trace_shapes' loop replaced (and `after` appended)."""
    assert LOOP in REF1 and "from torch import nn\n" in REF1
    files = {EX1: REF1.replace(LOOP, loop_body).replace("from torch import nn\n", "import torch\nfrom torch import nn\n")
             + after}
    files.update({f"ex1/{name}.py": text for name, text in helpers.items()})
    return files


# ---------------------------------------------------------------------------------- ex4

EX4_ATTACKS = {
    "default_argument_alias": ex4_with(
        "def log_softmax(logits, dim=-1, _impl=torch.log_softmax):\n    return _impl(logits, dim)\n"),
    "module_level_alias": ex4_with("def log_softmax(logits, dim=-1):\n    return _ls(logits, dim)\n",
                                   "_ls = torch.nn.functional.log_softmax\n"),
    "imported_under_another_name": ex4_with("def log_softmax(logits, dim=-1):\n    return ls(logits, dim)\n",
                                            "from torch.nn.functional import log_softmax as ls\n"),
    "variable_functions": ex4_with(
        "def log_softmax(logits, dim=-1):\n    return torch._C._VariableFunctions.log_softmax(logits, dim)\n"),
    "computed_getattr": ex4_with(
        "def log_softmax(logits, dim=-1):\n    return getattr(torch, 'log_' + 'softmax')(logits, dim)\n"),
    "helper_module": ex4_with("def log_softmax(logits, dim=-1):\n    return helpers.stable(logits, dim)\n",
                              "from . import helpers\n",
                              helpers="def stable(z, dim):\n    return z.log_softmax(dim)\n"),
    "helper_module_alias": ex4_with("def log_softmax(logits, dim=-1):\n    return stable(logits, dim)\n",
                                    "from helpers import stable\n",
                                    helpers="import torch.nn.functional as F\nstable = F.log_softmax\n"),
    "reexported_from_a_helper": ex4_with("", "from .helpers import log_softmax\n",
                                         helpers="from torch import log_softmax\n"),
    "empties_the_old_audit_list": ex4_with(
        "def log_softmax(logits, dim=-1):\n    import sys\n"
        "    for name in ('course.ex4.probes', 'grader.course.ex4.probes'):\n"
        "        try:\n            sys.modules[name].FORBIDDEN.clear()\n"
        "        except (KeyError, AttributeError):\n            pass\n"
        "    return torch.log_softmax(logits, dim)\n"),
    "tensor_method_patched_at_import": ex4_with("def log_softmax(logits, dim=-1):\n    return logits.stable(dim)\n",
                                                "torch.Tensor.stable = torch.Tensor.log_softmax\n"),
    "patched_by_a_function_called_at_import": ex4_with(
        "def log_softmax(logits, dim=-1):\n    return logits.stable(dim)\n",
        "def _setup():\n    torch.Tensor.stable = torch.Tensor.log_softmax\n\n\n_setup()\n"),
    "decorator": ex4_with("@lambda f: torch.log_softmax\ndef log_softmax(logits, dim=-1):\n    return logits\n"),
    "rebound_later": ex4_with("def log_softmax(logits, dim=-1):\n    return logits\n\n\n"
                              "log_softmax = torch.log_softmax\n"),
    "module_alias_of_torch": ex4_with("def log_softmax(logits, dim=-1):\n    return t.log_softmax(logits, dim)\n",
                                      "t = torch\n"),
    "special": ex4_with("def log_softmax(logits, dim=-1):\n    return torch.special.log_softmax(logits, dim)\n"),
    "aten": ex4_with("def log_softmax(logits, dim=-1):\n    return torch.ops.aten._log_softmax(logits, dim, False)\n"),
    "nn_module": ex4_with("def log_softmax(logits, dim=-1):\n    return torch.nn.LogSoftmax(dim)(logits)\n"),
    "defined_by_globals": ex4_with("def log_softmax(logits, dim=-1):\n    return magic(logits, dim)\n",
                                   "globals()['ma' + 'gic'] = getattr(torch, 'log_' + 'softmax')\n"),
    "star_import": ex4_with("def log_softmax(logits, dim=-1):\n    return softmax(logits, dim).log()\n",
                            "from torch.nn.functional import *\n"),
    "eval": ex4_with("def log_softmax(logits, dim=-1):\n    return eval('torch.log_softmax')(logits, dim)\n"),
    "method_of_a_class": ex4_with("def log_softmax(logits, dim=-1):\n    return _H().go(logits, dim)\n",
                                  "class _H:\n    def go(self, z, d):\n        return z - torch.logsumexp(z, d, True)\n\n\n"),
    "logsumexp_method": ex4_with(
        "def log_softmax(logits, dim=-1):\n    return logits - logits.logsumexp(dim, keepdim=True)\n"),
    "not_defined_at_all": {EX4: REF4.replace("def log_softmax(", "def log_softmax_(")},
}


@pytest.mark.parametrize("name", sorted(EX4_ATTACKS))
def test_ex4_attacks_are_found(name):
    found = source_checks.forbidden_calls(EX4_ATTACKS[name], EX4)
    assert found, f"{name} was not found"
    assert all(f.file.startswith("ex4/") and f.why for f in found)


EX4_HONEST = {
    "reference": {EX4: REF4},
    "own_function_named_softmax": ex4_with(
        "def log_softmax(logits, dim=-1):\n    return softmax(logits, dim).log()\n",
        "def softmax(z, dim):\n    e = (z - z.amax(dim, keepdim=True)).exp()\n    return e / e.sum(dim, keepdim=True)\n\n\n"),
    "helper_module_with_its_own_softmax": ex4_with(
        "def log_softmax(logits, dim=-1):\n    return helpers.softmax(logits, dim).log()\n", "from . import helpers\n",
        helpers="import torch.nn.functional as F\n\n\ndef softmax(z, dim):\n    e = (z - z.amax(dim, keepdim=True)).exp()\n"
                "    return e / e.sum(dim, keepdim=True)\n\n\ndef loss(z, y):\n    return F.cross_entropy(z, y)\n"),
    "soft_cross_entropy_may_use_the_builtins": {EX4: REF4.replace(
        "log_softmax(logits, dim=1)).sum(dim=1)", "torch.nn.functional.log_softmax(logits, dim=1)).sum(dim=1)")},
    "a_main_block_that_compares": {EX4: REF4 + "\n\nif __name__ == '__main__':\n    print(torch.log_softmax(torch.zeros(3), 0))\n"},
}


@pytest.mark.parametrize("name", sorted(EX4_HONEST))
def test_ex4_honest_code_passes(name):
    assert source_checks.forbidden_calls(EX4_HONEST[name], EX4) == []


def test_a_finding_says_where_and_why():
    (found,) = source_checks.forbidden_calls(EX4_ATTACKS["default_argument_alias"], EX4)
    line = REF4[:REF4.index("def log_softmax(")].count("\n") + 1
    assert found.quoted() == (f"ex4/soft_ce.py:{line}: `def log_softmax(logits, dim=-1, _impl=torch.log_softmax):` "
                              "(torch.log_softmax: a built-in softmax, log-softmax, logsumexp or loss)")
    (dynamic, *_) = source_checks.forbidden_calls(EX4_ATTACKS["computed_getattr"], EX4)
    assert "computed name" in str(dynamic)


# ---------------------------------------------------------------------------------- ex1

EX1_ATTACKS = {
    "calls_the_layer": ex1_with("        shape = tuple(layer(torch.zeros(shape)).shape)\n"),
    "type_forward": ex1_with("        shape = tuple(type(layer).forward(layer, torch.zeros(shape)).shape)\n"),
    "dunder_call": ex1_with("        shape = tuple(layer.__call__(torch.zeros(shape)).shape)\n"),
    "module_call_of_nn": ex1_with("        shape = tuple(nn.Module.__call__(layer, torch.zeros(shape)).shape)\n"),
    "meta_tensors": ex1_with("        shape = tuple(layer.to('meta')(torch.empty(shape, device='meta')).shape)\n"),
    "meta_device_and_a_helper": ex1_with("        shape = _run(layer, torch.empty(shape, device=torch.device('meta')))\n",
                                         "\n\ndef _run(f, x):\n    return tuple(f(x).shape)\n"),
    "helper_function": ex1_with("        shape = _run(layer, shape)\n",
                                "\n\ndef _run(module, size):\n    return tuple(module(torch.zeros(size)).shape)\n"),
    "helper_module": ex1_with("        shape = helpers.run(layer, shape)\n", "\nfrom . import helpers\n",
                              helpers="import torch\n\n\ndef run(m, s):\n    return tuple(m(torch.zeros(s)).shape)\n"),
    "by_index": ex1_with("        shape = tuple(layers[index](torch.zeros(shape)).shape)\n"),
    "kept_in_a_list": ex1_with("        fns = [layer]\n        shape = tuple(fns[0](torch.zeros(shape)).shape)\n"),
    "partial": ex1_with("        f = __import__('functools').partial(layer)\n        shape = tuple(f(torch.zeros(shape)).shape)\n"),
    "map_with_a_lambda": ex1_with("        shape = list(map(lambda m: tuple(m(torch.zeros(shape)).shape), [layer]))[0]\n"),
    "computed_getattr": ex1_with("        shape = tuple(getattr(layer, 'for' + 'ward')(torch.zeros(shape)).shape)\n"),
    "fx_trace": ex1_with("        torch.fx.symbolic_trace(layers)\n" + LOOP),
}


@pytest.mark.parametrize("name", sorted(EX1_ATTACKS))
def test_ex1_attacks_are_found(name):
    assert source_checks.forward_calls(EX1_ATTACKS[name], EX1), f"{name} was not found"


def test_ex1_reference_and_a_dispatch_table_pass():
    table = ex1_with("        shape = _RULES[type(layer)](index, layer, shape)\n",
                     "\n\n_RULES = {nn.ReLU: lambda i, layer, shape: shape}\n")
    assert source_checks.forward_calls({EX1: REF1}, EX1) == []
    assert source_checks.forward_calls(table, EX1) == []


# ---------------------------------------------------------------------------------- every honest submission


def _honest_roots():
    return [SOLUTIONS_DIR, EXERCISES_DIR] + sorted(p for p in CLASS_DIR.iterdir()
                                                   if p.is_dir() and p.name != "frank_malicious")


@pytest.mark.parametrize("root", _honest_roots(), ids=lambda p: p.name)
def test_honest_submissions_pass_every_check(root):
    """`exercises/` holds the handed-out public tests too: copies of them are not scanned."""
    sources = source_checks.read_sources(root)
    assert runner.review_lines(root) == []
    assert source_checks.forward_calls(sources, EX1) == []
    assert source_checks.forbidden_calls(sources, EX4) == []


def test_the_demo_attack_is_flagged_but_its_junk_keeps_its_points():
    sources = source_checks.read_sources(CLASS_DIR / "frank_malicious")
    lines = [str(f) for f in source_checks.tamper_findings(sources)]
    assert "ex1/shapes.py:3: builtins (reaches the interpreter's built-ins)" in lines
    assert any(line.startswith("ex4/soft_ce.py:") and "exec (runs code from a string)" in line for line in lines)
    # its trace_shapes and log_softmax themselves break no rule (their answers are wrong instead)
    assert source_checks.forward_calls(sources, EX1) == [] and source_checks.forbidden_calls(sources, EX4) == []


# ---------------------------------------------------------------------------------- the tamper scan

TAMPER = {
    "import sys\nsys.modules['x'] = None\n": "ex3/cutout.py:2: sys.modules (reaches the interpreter's modules)",
    "from sys import modules\n": "ex3/cutout.py:1: sys.modules (reaches the interpreter's modules)",
    "import inspect\nf = inspect.currentframe().f_back\n": "ex3/cutout.py:2: inspect.currentframe",
    "import gc\n": "ex3/cutout.py:1: gc (",
    "import ctypes as c\n": "ex3/cutout.py:1: ctypes (",
    "import os\nos.write(1, b'x')\n": "ex3/cutout.py:2: os.write (uses raw file descriptors)",
    "open('/proc/self/maps')\n": "ex3/cutout.py:1: '/proc'",
    "import importlib\n": "ex3/cutout.py:1: importlib (",
    "x = getattr(object, 'a' + 'b')\n": "ex3/cutout.py:1: getattr() with a computed name",
    "def f():\n    return f.__globals__\n": "ex3/cutout.py:2: __globals__",
    "from grader import seam\n": "ex3/cutout.py:1: grader (reaches the grader's own modules)",
    "import _cnn_grader_1_ex1\n": "ex3/cutout.py:1: _cnn_grader_1_ex1 (reaches the grader's own modules)",
    "import builtins\n": "ex3/cutout.py:1: builtins (",
    "print(vars())\n": "ex3/cutout.py:1: vars (",
    "exec('1')\n": "ex3/cutout.py:1: exec (",
}


@pytest.mark.parametrize("code", sorted(TAMPER))
def test_the_tamper_scan_says_where_and_what(code):
    lines = [str(f) for f in source_checks.tamper_findings({"ex3/cutout.py": code})]
    assert any(line.startswith(TAMPER[code]) for line in lines), lines


def test_the_tamper_scan_ignores_what_does_not_parse_and_honest_lookalikes():
    assert source_checks.tamper_findings({"ex3/cutout.py": "def broken(:\n"}) == []
    honest = ("import os, sys, re\nimport torch\nmodel = torch.nn.Linear(2, 2)\nmodel.eval()\n"
              "print(sys.version, os.path.join('a', 'b'), re.compile('x'), getattr(model, 'weight'))\n")
    assert source_checks.tamper_findings({"ex3/cutout.py": honest}) == []


def test_sources_are_read_from_disk_without_following_links(tmp_path):
    (tmp_path / "ex4").mkdir()
    (tmp_path / "ex4" / "soft_ce.py").write_text("x = 1\n")
    (tmp_path / "ex4" / "helpers.py").write_text("y = 2\n")
    (tmp_path / "ex4" / "notes.txt").write_text("no")
    (tmp_path / "ex4" / "link.py").symlink_to(SOLUTIONS_DIR / EX4)
    assert source_checks.read_sources(tmp_path, "ex4") == {"ex4/helpers.py": "y = 2\n", "ex4/soft_ce.py": "x = 1\n"}


# ---------------------------------------------------------------------------------- graded end to end


def _submission(tmp_path, files: dict):
    """The reference of ex1, ex3 and ex4 with `files` replaced."""
    for rel in (EX1, "ex3/cutout.py", EX4):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOLUTIONS_DIR / rel, tmp_path / rel)
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def _scores(result, exercise):
    return {t.name: t.score for t in result.exercises[exercise].tests}


def test_ex4_attacks_graded_gain_nothing(tmp_path):
    ref = grade(_submission(tmp_path / "ref", {}), isolation="inprocess", exercises=("ex4",))
    assert ref.score == 10 and ref.status == "graded"
    for name in ("default_argument_alias", "empties_the_old_audit_list"):
        result = grade(_submission(tmp_path / name, EX4_ATTACKS[name]), isolation="inprocess", exercises=("ex4",))
        scores = _scores(result, "ex4")
        assert scores["test_log_softmax_calls_no_forbidden_function"] == 0, name
        assert scores["test_log_softmax_is_stable_without_builtin_helpers"] == 0, name
        assert result.score == 7, name
    assert result.status == "needs-review"
    assert any(line.startswith("ex4/soft_ce.py:") and "sys.modules" in line for line in result.review)
    test = next(t for t in result.exercises["ex4"].tests if t.name == "test_log_softmax_calls_no_forbidden_function")
    assert "sys.modules" in test.message and "ex4/soft_ce.py:" in test.message


def test_ex1_attack_graded_in_the_sandbox_loses_its_point(tmp_path):
    result = grade(_submission(tmp_path, EX1_ATTACKS["helper_function"]), exercises=("ex1",))
    test = next(t for t in result.exercises["ex1"].tests if t.name == "test_trace_shapes_runs_no_forward")
    assert test.score == 0 and "ex1/shapes.py:" in test.message and "module(torch.zeros(size))" in test.message
    # its shapes are right, so only the reading of its code takes the point (the error tests,
    # which push data through layers that can't take it, fail on their own)
    assert _scores(result, "ex1")["test_trace_shapes_of_small_cnns"] == 2
    assert result.score < 10 and result.status == "graded"


def test_touching_sys_modules_needs_review_and_keeps_the_score(tmp_path):
    cutout = (SOLUTIONS_DIR / "ex3" / "cutout.py").read_text() + "\n\nimport sys\n_seen = len(sys.modules)\n"
    result = grade(_submission(tmp_path, {"ex3/cutout.py": cutout}), isolation="inprocess", exercises=("ex3",))
    line = cutout.count("\n")
    assert result.score == 10
    assert result.status == "needs-review"
    assert result.review == [f"ex3/cutout.py:{line}: sys.modules (reaches the interpreter's modules)"]
    document = json.loads(result.to_json())
    assert document["status"] == "needs-review" and document["review"] == result.review
    # the student sees no accusation: not in feedback.md, not in Gradescope's results.json
    assert "sys.modules" not in feedback.feedback_markdown(result)
    assert "sys.modules" not in json.dumps(gradescope.to_gradescope(result))


def test_the_gradebook_and_the_summary_show_what_to_review(tmp_path):
    flagged = Result("frank", 5.0, 10.0, {"ex3": ExerciseResult(5.0, 10.0, [TestResult("t", 5.0, 10.0, "failed")])},
                     review=[f"ex3/cutout.py:{n}: sys.modules (reaches the interpreter's modules)" for n in (3, 7, 9, 12)],
                     note="graded as frank~2")
    assert batch.note_cell(flagged) == ("graded as frank~2; needs review: 4 findings (ex3/cutout.py:3 sys.modules, "
                                        "ex3/cutout.py:7 sys.modules, ex3/cutout.py:9 sys.modules, ...)")
    batch.write_csv(tmp_path, {"frank": flagged})
    assert batch.read_csv(tmp_path / batch.CSV_NAME)[0]["note"] == batch.note_cell(flagged)
    assert "needs review" not in feedback.feedback_markdown(flagged)
    lines = batch._needing_a_human([flagged, Result("alice", 10.0, 10.0, {})])
    text = "\n".join(lines)
    assert "needs a human (1)" in text and "\n  frank: needs-review" in text and "alice" not in text
    assert "    ex3/cutout.py:12: sys.modules" in text
