"""The probe registry and the helpers that several exercises' probes share.

A probe is work that needs live objects (models, layers, generators): it runs in the worker,
beside the student code, and hands back plain data only. Each exercise keeps its probes in
grader/course/<id>/probes.py, registered with `@probe("<id>")`: the worker passes the
submission's module of that exercise as the first argument. Hidden suites import the function
and call `sub.run(fn, *args)`; the judge binds the arguments to the signature before sending
and sends only the registered name, so a typo fails in the judge.

This module and the probes are copied into the worker kit (by grader.sandbox.make_kit) as the
top-level package `course`, with the same layout as here: probes import it relatively
(`from ..probing import probe`), which works in the judge (grader.course) and in the kit
(course) alike. Nothing here imports grader.*.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TypedDict

import torch
import torch.fx

COURSE_DIR = Path(__file__).resolve().parent
PROBES_FILE = "probes.py"
_loaded = []  # load_probes() ran
PROBES = {}  # registered name -> function; the function's `probe_exercise` says what it loads


def probe(exercise):
    """Register `fn` as a probe of `exercise`, under its function name (unique across exercises).

    A course probe of exN must live in exN's folder (tests may register their own elsewhere)."""

    def register(fn):
        home = f"{__package__}.{exercise}.probes"
        if fn.__module__.startswith(f"{__package__}.") and fn.__module__ != home:
            raise ValueError(f"probe {fn.__name__} of {exercise!r} must be in {exercise}/{PROBES_FILE}, "
                             f"not in {fn.__module__}")
        old = PROBES.get(fn.__name__)
        if old is not None and (old.__module__, old.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"two probes are named {fn.__name__!r}")
        fn.probe_exercise = exercise
        PROBES[fn.__name__] = fn
        return fn

    return register


def load_probes() -> dict:
    """Import every exercise's probes.py (those that have one) and return the registry."""
    if _loaded:
        return PROBES
    for folder in sorted(COURSE_DIR.iterdir()):
        if (folder / PROBES_FILE).is_file():
            importlib.import_module(f"{__package__}.{folder.name}.probes")
    _loaded.append(True)
    return PROBES


# ------------------------------------------------- shared by the model probes (ex6, ex7)

# The standard torch.nn layers a description may name, each with the attributes read as its
# hyper-parameters (`bias` stands for "has a bias"). The judge rebuilds only these
# (grader/architecture.py validates every field; docs/model-rebuild.md lists them).
LAYER_FIELDS = {
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
               "bias", "padding_mode"),
    "Linear": ("in_features", "out_features", "bias"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "BatchNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    "AvgPool2d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "AdaptiveAvgPool2d": ("output_size",),
    "AdaptiveMaxPool2d": ("output_size", "return_indices"),
    "ReLU": ("inplace",),
    "LeakyReLU": ("negative_slope", "inplace"),
    "ELU": ("alpha", "inplace"),
    "GELU": ("approximate",),
    "SiLU": ("inplace",),
    "Tanh": (),
    "Sigmoid": (),
    "Softmax": ("dim",),
    "LogSoftmax": ("dim",),
    "Identity": (),
    "Dropout": ("p", "inplace"),
    "Dropout2d": ("p", "inplace"),
    "Flatten": ("start_dim", "end_dim"),
}
GUIDE = ("build the model from standard torch.nn layers (Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, "
         "ReLU, BatchNorm2d, Dropout, Flatten, Linear, ...) in nn.Sequential or your own nn.Module, "
         "and torch functions or tensor methods in forward; custom layers and tensors stored on the "
         "module can't be rebuilt (docs/model-rebuild.md)")


class ModelDescription(TypedDict, total=False):
    """What crosses instead of a model: layers and graph, no weights (grader/architecture.py)."""

    refused: str | None  # why the model can't be described; nothing else then
    modules: list  # {"type": "Conv2d", "args": {field: value}}, in registration order
    nodes: list  # {"op", "target", "args", "kwargs"}; a node reference is {"node": index}


class _Refuse(Exception):
    pass


def _is_standard(m) -> bool:
    return type(m) is getattr(torch.nn, type(m).__name__, None) and type(m).__name__ in LAYER_FIELDS


def _plain(v):
    """A hyper-parameter or a constant argument as plain data; tuples become {"tuple": [...]}."""
    if v is None or type(v) in (bool, int, float, str):
        return v
    if type(v) in (tuple, torch.Size):
        return {"tuple": [_plain(a) for a in v]}
    if type(v) is list:
        return [_plain(a) for a in v]
    if type(v) is slice:
        return {"slice": [_plain(v.start), _plain(v.stop), _plain(v.step)]}
    raise _Refuse(f"a constant of type {type(v).__name__[:40]} in the model")


def describe_layer(m) -> dict:
    """Type and hyper-parameters of one standard layer, as plain data."""
    name = type(m).__name__
    if not _is_standard(m):
        raise _Refuse(f"the layer {name[:60]} is not one the grader can rebuild")
    args = {f: (getattr(m, "bias", None) is not None) if f == "bias" else _plain(getattr(m, f))
            for f in LAYER_FIELDS[name]}
    return {"type": name, "args": args}


_CONTAINERS = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)


class _Tracer(torch.fx.Tracer):
    """fx's tracer: torch.nn layers are leaves (refused later unless standard), the rest is traced."""

    def is_leaf_module(self, m, qualname):
        return type(m).__module__.startswith("torch.nn") and not isinstance(m, _CONTAINERS)


class _Root(torch.nn.Module):
    """Wraps the part to trace, so that a bare layer (e.g. `head = nn.Linear(...)`) is a leaf too."""

    def __init__(self, part):
        super().__init__()
        self.part = part

    def forward(self, x):
        return self.part(x)


def _leaves(root, tracer):
    """Leaf layers in registration order (a shared layer once) and each qualified name's index."""
    layers, index = [], {}
    for name, m in root.named_modules(remove_duplicate=False):
        if name and tracer.is_leaf_module(m, name) and not any(
                name.startswith(p + ".") for p in index):  # not inside a leaf
            known = next((i for i, seen in enumerate(layers) if seen is m), None)
            if known is None:
                layers.append(m)
                known = len(layers) - 1
            index[name] = known
    return layers, index


def describe_model(part) -> ModelDescription:
    """Trace `part` in training mode with torch.fx; its layers and graph as plain data.

    Runs beside student code, so the result is only a claim: the judge rebuilds it from an
    allow-list, initialises and counts it itself, so a forged description can only describe
    a model made of standard layers."""
    if not isinstance(part, torch.nn.Module):
        return {"refused": f"expected an nn.Module, got {type(part).__name__[:60]}"}
    root = _Root(part)
    root.train()
    tracer = _Tracer()
    try:
        graph = tracer.trace(root)
    except Exception as exc:  # noqa: BLE001 - data-dependent control flow and the like
        if isinstance(exc, NotImplementedError):
            raise
        return {"refused": f"torch.fx could not trace forward() ({error(exc)}); avoid Python control "
                           "flow that depends on the input's values or shape"}
    try:
        layers, index = _leaves(root, tracer)
        modules = [describe_layer(m) for m in layers]
        owned = {id(t) for m in layers for t in (*m.parameters(), *m.buffers())}
        if any(id(t) not in owned for t in (*root.parameters(), *root.buffers())):
            raise _Refuse("tensors (parameters or buffers) stored on the module outside standard layers")
        return {"refused": None, "modules": modules, "nodes": _nodes(graph, index)}
    except _Refuse as exc:
        return {"refused": str(exc)}


def _nodes(graph, index) -> list:
    numbers = {}

    def enc(v):
        if isinstance(v, torch.fx.Node):
            return {"node": numbers[v]}
        if type(v) in (tuple, list):
            items = [enc(a) for a in v]
            return {"tuple": items} if type(v) is tuple else items
        if type(v) is slice:
            return {"slice": [enc(v.start), enc(v.stop), enc(v.step)]}
        return _plain(v)

    out = []
    for node in graph.nodes:
        numbers[node] = len(out)
        if node.op == "get_attr":
            if str(node.target).startswith("_tensor_constant"):
                raise _Refuse("forward() uses a tensor it makes itself (torch.zeros, torch.tensor, ...)")
            raise _Refuse(f"a tensor stored on the module ({str(node.target)[:60]}) is used in forward()")
        if node.op == "call_module":
            if node.target not in index:
                raise _Refuse(f"the layer {str(node.target)[:60]} is not one the grader can rebuild")
            target = index[node.target]
        elif node.op == "call_function":
            target = _function_name(node.target)
        else:
            target = str(node.target) if node.op == "call_method" else None
        out.append({"op": node.op, "target": target, "args": enc(list(node.args)),
                    "kwargs": {str(k): enc(v) for k, v in node.kwargs.items()}})
    return out


def _function_name(fn) -> str:
    """`torch.flatten`, `torch.nn.functional.relu`, `operator.add`, `builtins.getattr`."""
    try:
        name = torch.fx.node._get_qualified_name(fn)
    except Exception:  # noqa: BLE001 - an odd callable: the judge refuses its name
        return str(getattr(fn, "__name__", "?"))[:60]
    if "." not in name:
        return f"builtins.{name}"
    return "operator." + name.removeprefix("_operator.") if name.startswith("_operator.") else name


def seeded(seed, build):
    """`build()` with the global torch RNG seeded to `seed`, restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def error(exc: BaseException) -> str:
    """A one-line description of a student failure; NotImplementedError keeps propagating."""
    if isinstance(exc, NotImplementedError):
        raise exc
    return f"{type(exc).__name__}: {str(exc)[:300]}"
