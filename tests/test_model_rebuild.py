"""Models cross the seam as architecture only: the judge rebuilds, initialises, counts and trains
them (grader/architecture.py, grader/course/models.py), so a forged model gains nothing.

Forged submissions are files under tests/attacks/models/, each appended to a reference module;
most are graded in-process (the forgery works there just as well), one in the sandbox.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

import cnnlab
from grader import architecture, limits, sandbox
from grader.course.probing import LAYER_FIELDS, describe_model
from tests.graded import grade, make_submission, module_path

ATTACKS = Path(__file__).parent / "attacks" / "models"
TEMPLATES_IMPORT = "from tests.attacks.models.templates import line_templates\n"


def forged(tmp_path, name) -> Path:
    """A reference submission whose exercise module ends with the attack file `name` (a
    submission can only import its own modules, so the templates are inlined)."""
    exercise = name.split("_")[0]
    source = module_path(make_submission(tmp_path / "ref"), exercise).read_text()
    attack = (ATTACKS / f"{name}.py").read_text()
    if TEMPLATES_IMPORT in attack:
        attack = (ATTACKS / "templates.py").read_text() + "\n\n" + attack.replace(TEMPLATES_IMPORT, "")
    return make_submission(tmp_path / name, "reference", {exercise: source + "\n\n# --- attack ---\n" + attack})


def results_of(result, exercise) -> dict:
    return {t["name"]: t for t in result["exercises"][exercise]["tests"]}


EX6_BUDGET = "test_build_model_gives_logits_within_parameter_budget"
EX6_TRAIN = "test_model_trained_on_your_dataset_classifies_reference_images"
EX7_TRAIN = "test_trains_to_accuracy_threshold_on_lab_data"


# ------------------------------------------------------------------ forged submissions


def _attack_namespace(name) -> dict:
    namespace = {}
    for file in ("templates", name):
        exec(compile((ATTACKS / f"{file}.py").read_text().replace(TEMPLATES_IMPORT, ""), file, "exec"), namespace)
    return namespace


def test_the_forgeries_would_fool_a_probe_that_trusts_the_model():
    """What the worker used to compute: a count of 0, and 100% without any learning."""
    lying = _attack_namespace("ex6_lying_numel")["build_model"]()
    assert sum(p.numel() for p in lying.parameters()) == 0
    X, y = cnnlab.make_line_dataset(per_class=20, seed=3)[:2]
    for name, build in (("ex6_eval_templates", "build_model"), ("ex7_eval_templates", "FlattenHeadCNN")):
        model = _attack_namespace(name)[build]().eval()
        with torch.no_grad():
            assert (model(X).argmax(dim=1) == y).double().mean() == 1.0, name


def test_lying_numel_gains_nothing_on_the_budget(tmp_path):
    lying = grade(forged(tmp_path, "ex6_lying_numel"), exercises=("ex6",), isolation="inprocess")
    honest = grade(forged(tmp_path, "ex6_honest_mlp"), exercises=("ex6",), isolation="inprocess")
    got = results_of(lying, "ex6")
    assert got[EX6_BUDGET]["status"] == "failed" and "268,293 parameters" in got[EX6_BUDGET]["message"]
    assert got[EX6_TRAIN]["status"] == "failed" and "not trained" in got[EX6_TRAIN]["message"]
    assert lying["exercises"]["ex6"]["score"] == honest["exercises"]["ex6"]["score"] == 7


@pytest.mark.parametrize("name", ["ex6_eval_templates", "ex7_eval_templates", "ex7_buffer_templates"])
def test_template_matchers_are_trained_as_rebuilt_and_fail(name, tmp_path):
    exercise = name.split("_")[0]
    got = results_of(grade(forged(tmp_path, name), exercises=(exercise,), isolation="inprocess"), exercise)
    train = got[EX6_TRAIN if exercise == "ex6" else EX7_TRAIN]
    assert train["status"] == "failed" and "classified" in train["message"], train


def test_template_buffer_model_is_refused_with_the_guide(tmp_path):
    got = results_of(grade(forged(tmp_path, "ex6_buffer_templates"), exercises=("ex6",), isolation="inprocess"),
                   "ex6")
    for name in (EX6_BUDGET, EX6_TRAIN):
        assert got[name]["status"] == "failed", got[name]
        assert "can't rebuild your model" in got[name]["message"]
        assert "standard torch.nn layers" in got[name]["message"]


def test_custom_layer_gets_the_clear_message(tmp_path):
    result = grade(forged(tmp_path, "ex6_custom_layer"), exercises=("ex6",), isolation="inprocess")
    got = results_of(result, "ex6")
    assert got[EX6_BUDGET]["status"] == got[EX6_TRAIN]["status"] == "failed"
    assert "can't rebuild your model: tensors (parameters or buffers) stored on the module" in got[EX6_TRAIN]["message"]
    assert result["exercises"]["ex6"]["score"] == 7


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="the sandbox needs bubblewrap")
def test_eval_template_matcher_gains_nothing_in_the_sandbox(tmp_path):
    result = grade(forged(tmp_path, "ex6_eval_templates"), exercises=("ex6",), isolation="sandbox")
    got = results_of(result, "ex6")
    assert got[EX6_TRAIN]["status"] == "failed" and "classified" in got[EX6_TRAIN]["message"]
    assert result["exercises"]["ex6"]["score"] == 8  # only the model's own two training points are lost


# ------------------------------------------------------------------ the description


class Widened(nn.Module):
    """Not the lab's model: a residual add, a shape read and a view, to exercise the graph."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding="same")
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 8 * 8, 5)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        y = nn.functional.max_pool2d(y + y, 2)
        return self.fc(y.view(y.shape[0], -1))


def test_describe_model_sends_layers_and_graph_but_no_weights():
    description = describe_model(cnnlab.SmallCNN(num_classes=5))
    assert description["refused"] is None
    assert [m["type"] for m in description["modules"]] == [
        "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "AdaptiveAvgPool2d",
        "Flatten", "Linear"]

    def plain(v):
        return v is None or type(v) in (bool, int, float, str) or (
            type(v) in (list, dict) and all(plain(a) for a in (v.values() if type(v) is dict else v)))

    assert plain(description)


def test_rebuild_initialises_like_the_student_model_and_counts_itself():
    arch = architecture.parse(describe_model(Widened()))
    model = arch.build(seed=7)
    torch.manual_seed(7)
    student = Widened()
    assert arch.params == sum(p.numel() for p in student.parameters())
    for got, want in zip(model.parameters(), student.parameters(), strict=True):
        assert torch.equal(got, want)
    x = torch.rand(3, 1, 16, 16)
    assert torch.allclose(model.eval()(x), student.eval()(x), atol=1e-6)
    assert arch.check((3, 1, 16, 16)) == ((3, 5), torch.float32)


def test_containers_are_traced_through():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Conv2d(1, 2, 3), nn.ReLU()])
            self.head = nn.ModuleDict({"fc": nn.Linear(2 * 14 * 14, 5)})

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return self.head["fc"](x.flatten(1))

    arch = architecture.parse(describe_model(Stack()))
    assert [layer.split("(")[0] for layer in arch.layers] == ["Conv2d", "ReLU", "Linear"]
    assert arch.check((2, 1, 16, 16)) == ((2, 5), torch.float32)


def test_traced_in_training_mode():
    class EvalOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(256, 5)

        def forward(self, x):
            return self.fc(x.flatten(1)) if self.training else torch.softmax(self.fc(x.flatten(1)), 1)

    targets = [n["target"] for n in describe_model(EvalOnly().eval())["nodes"]]
    assert targets == [None, "flatten", 0, None]  # no softmax


@pytest.mark.parametrize("model, why", [
    (nn.Sequential(nn.Flatten(), nn.Conv1d(1, 2, 3)), "the layer Conv1d is not one the grader can rebuild"),
    (nn.Sequential(nn.Flatten(), nn.Bilinear(2, 2, 2)), "the layer Bilinear"),
])
def test_non_standard_layers_are_refused_in_the_worker(model, why):
    assert why in describe_model(model)["refused"]


def test_factories_and_data_dependent_control_flow_are_refused():
    class Zeros(nn.Module):
        def forward(self, x):
            return x + torch.zeros(3)

    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    assert "makes itself" in describe_model(Zeros())["refused"]
    assert "torch.fx could not trace" in describe_model(Branchy())["refused"]


def test_layer_fields_all_have_a_check():
    assert {f for fields in LAYER_FIELDS.values() for f in fields} <= set(architecture.FIELD_CHECKS)
    assert all(hasattr(nn, kind) for kind in LAYER_FIELDS)
    assert len(architecture.check_function_table()) > 30  # every allowed name resolves in this torch


# ------------------------------------------------------------------ crafted descriptions


@pytest.fixture
def lab():
    return describe_model(cnnlab.SmallCNN(num_classes=5))


def crafted(description, change):
    d = copy.deepcopy(description)
    change(d)
    return d


def _refused(description, *parts):
    with pytest.raises(architecture.Refused) as info:
        arch = architecture.parse(description)
        arch.check((2, 1, 16, 16))
    for part in parts:
        assert part in str(info.value), str(info.value)
    assert "standard torch.nn layers" in str(info.value)


def _insert(d, node):
    """Put `node` before the output, feeding on the node before it, and return its index."""
    nodes = d["nodes"]
    nodes.insert(len(nodes) - 1, node)
    return len(nodes) - 2


@pytest.mark.parametrize("target", ["torch.zeros", "torch.randn", "torch.tensor", "torch.load", "builtins.open",
                                    "builtins.eval", "os.system", "torch.Tensor.to", "torch.ones_like"])
def test_disallowed_functions_are_refused(lab, target):
    def change(d):
        _insert(d, {"op": "call_function", "target": target, "args": [{"node": len(d["nodes"]) - 2}],
                    "kwargs": {}})

    _refused(crafted(lab, change), target[:40], "not on the grader's list")


@pytest.mark.parametrize("method", ["to", "cuda", "numpy", "tolist", "item", "new_zeros", "storage", "__class__",
                                    "__reduce__", "register_hook", "copy_", "fill_"])
def test_disallowed_methods_are_refused(lab, method):
    def change(d):
        _insert(d, {"op": "call_method", "target": method, "args": [{"node": len(d["nodes"]) - 2}], "kwargs": {}})

    _refused(crafted(lab, change), repr(method)[:40])


@pytest.mark.parametrize("kind", ["Conv1d", "MultiheadAttention", "Module", "Sequential", "Conv2d; import os",
                                  "__import__"])
def test_disallowed_layer_types_are_refused(lab, kind):
    _refused(crafted(lab, lambda d: d["modules"][0].update(type=kind)), "not one of the standard layers")


@pytest.mark.parametrize("layer, field, value", [
    (0, "out_channels", 10**9), (0, "out_channels", 0), (0, "out_channels", True), (0, "kernel_size", -1),
    (0, "kernel_size", {"tuple": [3, 3, 3]}), (0, "padding_mode", "zeros'); import os; ('"),
    (0, "stride", 2.0), (0, "bias", 1), (2, "return_indices", True), (10, "in_features", 2**30),
    (10, "in_features", "32"), (8, "output_size", {"tuple": [0, 1]}),
])
def test_absurd_hyperparameters_are_refused(lab, layer, field, value):
    _refused(crafted(lab, lambda d: d["modules"][layer]["args"].update({field: value})), f"layer {layer}", field)


def test_missing_or_extra_hyperparameters_are_refused(lab):
    _refused(crafted(lab, lambda d: d["modules"][0]["args"].pop("groups")), "other hyper-parameters")
    _refused(crafted(lab, lambda d: d["modules"][0]["args"].update(device="cuda")), "other hyper-parameters")


def test_parameter_and_compute_caps(lab):
    def huge_linear(d):
        d["modules"][10]["args"].update(in_features=32, out_features=limits.DEFAULT.model_max_params // 30)

    _refused(crafted(lab, huge_linear), "parameters; at most")

    def wide_convs(d):
        for i, (cin, cout) in ((0, (1, 1024)), (3, (1024, 64)), (6, (64, 32))):
            d["modules"][i]["args"].update(in_channels=cin, out_channels=cout)

    _refused(crafted(lab, wide_convs), "M operations per image")


@pytest.mark.parametrize("injection", [
    lambda d: d["nodes"][-2].update(kwargs={"dim=1); import os; os.system('id'); (x": 1}),
    lambda d: d["nodes"][-2].update(kwargs={"__class__": 1}),
    lambda d: _insert(d, {"op": "call_function", "target": "builtins.getattr",
                          "args": [{"node": 0}, "__globals__"], "kwargs": {}}),
    lambda d: _insert(d, {"op": "call_method", "target": "view",
                          "args": [{"node": 0}, "'); import os; ('"], "kwargs": {}}),
    lambda d: _insert(d, {"op": "call_function", "target": "builtins.getattr",
                          "args": [{"node": 0}, "data"], "kwargs": {}}),
    lambda d: d["nodes"].insert(1, {"op": "get_attr", "target": "weight", "args": [], "kwargs": {}}),
    lambda d: d["nodes"][1].update(target="layer0.weight"),
    lambda d: d["nodes"][1].update(args=[{"node": 5}]),  # a forward reference
    lambda d: d["nodes"][1].update(args=[{"node": 0, "extra": 1}]),
    lambda d: d["nodes"][0].update(op="call_module", target=0),
    lambda d: d["nodes"].insert(1, {"op": "placeholder", "target": None, "args": [], "kwargs": {}}),
    lambda d: d["nodes"].extend([{"op": "call_module", "target": 0, "args": [{"node": 0}], "kwargs": {}}] * 400),
    lambda d: d["nodes"][1].update(args=[{"node": 0}, [[[[[[1]]]]]]]),
    lambda d: d.update(refused=None, modules="Conv2d"),
])
def test_malformed_and_injected_descriptions_are_refused(lab, injection):
    with pytest.raises(architecture.Refused):
        architecture.parse(crafted(lab, injection)).check((2, 1, 16, 16))


def test_layers_as_a_structure_test_compares_them():
    inplace = architecture.parse(describe_model(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True))))
    assert inplace.layers == [
        "Conv2d(in_channels=1, out_channels=2, kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), "
        "dilation=(1, 1), groups=1, bias=True, padding_mode='zeros')", "ReLU()"]


def test_generated_code_names_only_the_judges_own_things(lab):
    code = architecture.parse(lab).build()[0].code
    assert "self.layer0(x)" in code and "features" not in code and "head" not in code


# ------------------------------------------------------------------ training in the judge


def test_training_past_its_deadline_is_a_student_timeout(lab):
    from grader.course import models
    from grader.failures import StudentTimeout

    data = cnnlab.make_line_dataset(per_class=10, seed=1)
    arch = architecture.parse(lab)
    with pytest.raises(StudentTimeout, match="took more than 0 s of CPU time in the grader"):
        models.train_and_predict(arch, 0, data, 5, data[2], timeout_s=0, what="training")
    out = models.train_and_predict(arch, 0, data, 2, data[2], timeout_s=60, what="training")
    assert tuple(out["logits"].shape) == (len(data[2]), 5) and len(out["history"]) == 2


@pytest.mark.parametrize("broken, why", [
    (lambda d: d[:3], "a tuple of 4 tensors"),
    (lambda d: (d[0].double(), *d[1:]), "float32 [N, 1, 16, 16]"),
    (lambda d: (d[0], d[1].int(), *d[2:]), "int64"),
    (lambda d: (d[0], d[1] + 5, *d[2:]), "labels should be in 0..4"),
    (lambda d: (d[0][:0], d[1][:0], *d[2:]), "split is empty"),
    (lambda d: (d[0].repeat(3, 1, 1, 1), d[1].repeat(3), *d[2:]), "at most 1,000"),
])
def test_student_datasets_are_checked_before_training(broken, why):
    from grader.course import models

    data = cnnlab.make_line_dataset(per_class=100, seed=1)
    models.check_dataset(data, num_classes=5, size=16, what="make_dataset()")
    with pytest.raises(AssertionError, match=why.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        models.check_dataset(tuple(broken(data)), num_classes=5, size=16, what="make_dataset()")


def test_the_students_allow_list_is_the_graders():
    """exercises/model_allow_list.json (read by the public ex6/ex7 checks) is generated from
    grader/architecture.py: `python -m grader.architecture` rewrites it."""
    import json

    from grader import architecture
    from grader.paths import EXERCISES_DIR

    shipped = json.loads((EXERCISES_DIR / architecture.ALLOW_LIST_FILE).read_text())
    assert shipped == architecture.allow_list(), "stale: run `python -m grader.architecture`"
