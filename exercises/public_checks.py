"""Helpers for the public tests: each compares one thing and says what differs."""

import ast
import inspect
import sys
from pathlib import Path

import torch

# What the grader has besides the standard library and your exercise folder.
GRADER_HAS = {"torch", "numpy", "cnnlab"}


def assert_close(got, want, msg, atol=1e-5, rtol=1.3e-6):
    """Like torch.testing.assert_close, minus its slow first import."""
    assert isinstance(got, torch.Tensor), f"{msg} (expected a tensor, got {type(got).__name__})"
    assert got.shape == want.shape, f"{msg} (expected shape {tuple(want.shape)}, got {tuple(got.shape)})"
    if not torch.allclose(got.to(want.dtype), want, atol=atol, rtol=rtol):
        detail = f"\nexpected\n{want}\ngot\n{got}" if want.numel() <= 24 else ""
        raise AssertionError(msg + detail)


def call_unchanged(fn, *args, **kwargs):
    """fn(*args, **kwargs), checking first that it left every argument as it was: an input
    changed in place is reported as such, not as a wrong result computed from changed inputs."""
    bound = inspect.signature(fn).bind(*args, **kwargs)
    before = {name: value.clone() for name, value in bound.arguments.items() if isinstance(value, torch.Tensor)}
    result = fn(*args, **kwargs)
    for name, copy in before.items():
        if not torch.equal(bound.arguments[name], copy):
            raise AssertionError(f"{fn.__name__}() modified its input `{name}` in place: never change an "
                                 "argument (x.mul_(...), x[...] = ...); build a new tensor (e.g. x.clone())")
    return result


def assert_logits(out, what):
    """A model's output is raw logits: not softmax probabilities, not log-probabilities."""
    assert isinstance(out, torch.Tensor), f"{what} should return a tensor, got {type(out).__name__}"
    sums = out.detach().double()
    ones = torch.ones(out.shape[0], dtype=torch.float64)
    if torch.allclose(sums.sum(dim=1), ones, atol=1e-4) and bool((sums >= 0).all()):
        raise AssertionError(f"{what} returns probabilities (each row sums to 1): return the raw logits, "
                             "without softmax; the loss (cross-entropy) applies log-softmax itself")
    if torch.allclose(sums.exp().sum(dim=1), ones, atol=1e-4):
        raise AssertionError(f"{what} returns log-probabilities (log_softmax): return the raw logits; "
                             "the loss (cross-entropy) applies log-softmax itself")


def _imported(path):
    """Top-level names of the modules that the file at `path` imports (relative imports aside)."""
    names = []
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module.split(".")[0])
    return names


def assert_imports_only_what_the_grader_has(module):
    """Your module (and the helpers beside it) import only the standard library, torch, numpy,
    cnnlab and modules in the exercise folder: nothing else exists where your code is graded."""
    folder = Path(module.__file__).resolve().parent
    todo, seen = [Path(module.__file__).resolve()], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imported(path):
            own = [p for p in (folder / f"{name}.py", folder / name / "__init__.py") if p.is_file()]
            todo += own
            if not own and name not in GRADER_HAS and name not in sys.stdlib_module_names:
                raise AssertionError(
                    f"{path.name} imports `{name}`, which is not in {folder.name}/: the grader has only the "
                    f"standard library, torch, numpy, cnnlab and the files of your exercise folder. "
                    f"Copy what you need from `{name}` into {folder.name}/ (e.g. {folder.name}/{name}.py)")


MODEL_ALLOW_LIST = Path(__file__).with_name("model_allow_list.json")  # the grader's own lists


def _function_name(fn):
    """`torch.flatten`, `operator.add`: named as the grader names them (grader/course/probing.py)."""
    name = torch.fx.node._get_qualified_name(fn)
    if "." not in name:
        return f"builtins.{name}"
    return "operator." + name.removeprefix("_operator.") if name.startswith("_operator.") else name


def assert_rebuildable(model, what):
    """The grader traces your model in training mode with torch.fx and rebuilds it from standard
    layers (docs/model-rebuild.md); this fails, naming the part, where it could not."""
    import json

    allowed = json.loads(MODEL_ALLOW_LIST.read_text(encoding="utf-8"))
    hint = "; see docs/model-rebuild.md for what the grader can rebuild"
    model.train()
    try:
        traced = torch.fx.symbolic_trace(model)
    except Exception as exc:  # noqa: BLE001 - shown to the student
        raise AssertionError(f"{what}: torch.fx can't trace forward() ({type(exc).__name__}: {exc}); "
                             f"avoid Python `if`/`for` on tensor values{hint}") from None
    layers = dict(traced.named_modules())
    for node in traced.graph.nodes:
        if node.op == "get_attr":
            problem = f"forward() uses a tensor stored on the model or made in forward ({node.target})"
        elif node.op == "call_module":
            layer = layers[node.target]
            standard = type(layer).__module__.startswith("torch.nn") and type(layer).__name__ in allowed["layers"]
            problem = None if standard else f"the layer {node.target} ({type(layer).__name__}) is not a standard one"
        elif node.op == "call_function":
            name = _function_name(node.target)
            problem = None if name in allowed["functions"] else f"forward() calls {name}"
        elif node.op == "call_method":
            problem = None if node.target in allowed["methods"] else f"forward() calls the tensor method .{node.target}()"
        else:
            problem = None
        assert problem is None, f"{what} can't be rebuilt by the grader: {problem}{hint}"


def rebuilt(model, seed):
    """Your model as the grader runs it: the traced graph (your forward's code is not run), its
    standard layers initialised afresh under `seed`, in the order your model registers them."""
    assert_rebuildable(model, type(model).__name__)
    traced = torch.fx.symbolic_trace(model)
    used = {id(layer) for _, layer in traced.named_modules()}
    torch.manual_seed(seed)
    for layer in model.modules():
        if id(layer) in used and hasattr(layer, "reset_parameters") and layer is not model:
            layer.reset_parameters()
    return traced


def accuracy_after_training(build, data, *, seed, epochs):
    """Validation accuracy after the lab's training loop, on the model rebuilt the grader's way."""
    import cnnlab

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small CNN trains fastest on one thread (the grader's workers use one)
    try:
        with torch.random.fork_rng(devices=[]):
            model = rebuilt(build(), seed)
            history = cnnlab.train(model, *data, epochs=epochs, lr=cnnlab.LR)
    finally:
        torch.set_num_threads(threads)
    return history[-1]["val_acc"]
