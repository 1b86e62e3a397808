"""Rebuild a student's model in the judge from the plain description the worker traced.

The worker (grader.course.probing.describe_model) sends layers and an fx graph, never weights.
Here every part of it is checked against an allow-list (the layers of probing.LAYER_FIELDS with
each hyper-parameter's type and range, and the functions and methods below; no tensor
factories, no I/O, no device moves), sizes are capped (grader.limits, `model_*`), and a
`torch.fx.GraphModule` is built whose node and attribute names the judge chooses itself.
The judge then initialises it (`torch.manual_seed(seed)`, the layers in the student's
registration order, each with its standard initialisation) and counts its parameters, so what
the student's objects would have answered never decides a point. docs/model-rebuild.md is the
students' version of the allow-list.
"""

from __future__ import annotations

import builtins
import math
import operator
import re
from dataclasses import dataclass

from . import limits
from .course.probing import GUIDE, LAYER_FIELDS

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,30}")
MAX_DEPTH = 4  # nesting of one argument
MAX_ITEMS = 16  # items of one tuple or list argument
MAX_INT = 1 << 20


class Refused(ValueError):
    """The description can't be rebuilt; the message is for the student."""

    def __init__(self, why: str):
        super().__init__(f"the grader can't rebuild your model: {why}. To fix it, {GUIDE}.")
        self.why = why


class Fails(ValueError):
    """The rebuilt model fails on an input of the shape asked for (e.g. a Linear sized for
    another input); the message is for the student."""


# ------------------------------------------------------------------ hyper-parameters


def _int(lo, hi):
    def check(v):
        if type(v) is not int or not lo <= v <= hi:
            raise ValueError(f"an int in {lo}..{hi}")
        return v
    return check


def _pair(lo, hi):
    """An int, or a list/tuple of two, as the layers store kernel sizes and strides."""
    one = _int(lo, hi)

    def check(v):
        if isinstance(v, dict) and set(v) == {"tuple"}:
            v = v["tuple"]
        if type(v) is list and len(v) == 2:
            return tuple(one(a) for a in v)
        return one(v)
    return check


def _float(lo, hi, none=False):
    def check(v):
        if v is None and none:
            return None
        if type(v) not in (int, float) or not math.isfinite(v) or not lo <= v <= hi:
            raise ValueError(f"a number in [{lo}, {hi}]")
        return float(v)
    return check


def _choice(*allowed):
    def check(v):
        if v not in allowed or type(v) is not type(allowed[0]):
            raise ValueError(f"one of {', '.join(map(repr, allowed))}")
        return v
    return check


def _optional(check):
    return lambda v: None if v is None else check(v)


def _padding(v):
    return v if v in ("same", "valid") else _pair(0, 16)(v)


def _output_size(v):
    if isinstance(v, dict) and set(v) == {"tuple"}:
        v = v["tuple"]
    if type(v) is list and len(v) == 2:
        return tuple(None if a is None else _int(1, 64)(a) for a in v)
    return _int(1, 64)(v)


_BOOL = _choice(False, True)
_DIM = _int(-4, 4)
FIELD_CHECKS = {  # field of probing.LAYER_FIELDS -> its check, which returns the value to construct with
    "in_channels": _int(1, 1024), "out_channels": _int(1, 1024), "kernel_size": _pair(1, 16),
    "stride": _pair(1, 16), "padding": _padding, "dilation": _pair(1, 8), "groups": _int(1, 1024),
    "bias": _BOOL, "padding_mode": _choice("zeros", "reflect", "replicate", "circular"),
    "in_features": _int(1, 1 << 20), "out_features": _int(1, 1 << 20),
    "num_features": _int(1, 1 << 16), "eps": _float(1e-12, 1.0), "momentum": _float(0.0, 1.0, none=True),
    "affine": _BOOL, "track_running_stats": _BOOL,
    "return_indices": _choice(False),  # a tuple out of a layer: not needed, not rebuilt
    "ceil_mode": _BOOL, "count_include_pad": _BOOL, "divisor_override": _optional(_int(1, 1024)),
    "output_size": _output_size, "inplace": _BOOL, "negative_slope": _float(-10.0, 10.0),
    "alpha": _float(0.0, 10.0), "approximate": _choice("none", "tanh"), "dim": _optional(_DIM),
    "p": _float(0.0, 1.0), "start_dim": _DIM, "end_dim": _DIM,
}


def _layer(i, entry):
    """(type name, constructor kwargs) of one described layer, every field checked."""
    if not (isinstance(entry, dict) and set(entry) == {"type", "args"} and isinstance(entry["args"], dict)):
        raise Refused(f"layer {i} is malformed")
    kind, args = entry["type"], entry["args"]
    if kind not in LAYER_FIELDS:
        raise Refused(f"layer {i} is a {str(kind)[:40]!r}, not one of the standard layers the grader "
                      f"rebuilds ({', '.join(LAYER_FIELDS)})")
    if set(args) != set(LAYER_FIELDS[kind]):
        raise Refused(f"layer {i} ({kind}) has other hyper-parameters than a {kind}")
    kwargs = {}
    for name in LAYER_FIELDS[kind]:
        try:
            kwargs[name] = FIELD_CHECKS[name](args[name])
        except ValueError as exc:
            raise Refused(f"layer {i} ({kind}): {name} should be {exc}") from None
    return kind, kwargs


# ------------------------------------------------------------------ the graph


def _functions():
    import torch
    import torch.nn.functional as F

    table = {f"torch.{n}": getattr(torch, n) for n in (
        "flatten", "relu", "sigmoid", "tanh", "cat", "add", "mul", "sub", "mean", "sum", "amax", "softmax",
        "log_softmax", "squeeze", "unsqueeze", "reshape", "permute", "transpose", "clamp")}
    table.update({f"torch.nn.functional.{n}": getattr(F, n) for n in (
        "relu", "leaky_relu", "gelu", "silu", "elu", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
        "adaptive_max_pool2d", "softmax", "log_softmax", "tanh", "sigmoid")})
    table.update({f"operator.{n}": getattr(operator, n) for n in (
        "add", "sub", "mul", "truediv", "floordiv", "neg", "getitem")})
    table["builtins.getattr"] = builtins.getattr  # only `x.shape`, checked in _node
    return table


METHODS = frozenset((
    "flatten", "view", "reshape", "size", "dim", "relu", "sigmoid", "tanh", "softmax", "log_softmax",
    "mean", "sum", "amax", "permute", "transpose", "contiguous", "squeeze", "unsqueeze", "float",
    "add", "sub", "mul", "div", "neg", "clamp"))
KWARGS = frozenset((  # keyword names a call may use (they become code in the GraphModule)
    "dim", "start_dim", "end_dim", "keepdim", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
    "output_size", "negative_slope", "inplace", "approximate", "alpha", "min", "max", "count_include_pad",
    "return_indices", "divisor_override"))
STRINGS = frozenset(("shape", "none", "tanh"))  # the only string constants an argument may be


def _arg(v, refs, depth=0):
    """A described argument, decoded: node references, numbers, tuples, lists and slices only."""
    if depth > MAX_DEPTH:
        raise Refused("an argument is nested too deeply")
    if v is None or type(v) is bool:
        return v
    if type(v) is int:
        if abs(v) > MAX_INT:
            raise Refused(f"the constant {v} is too large")
        return v
    if type(v) is float:
        if not math.isfinite(v):
            raise Refused("a constant is not a finite number")
        return v
    if type(v) is str:
        if v not in STRINGS:
            raise Refused(f"the string constant {v[:30]!r} in forward()")
        return v
    if type(v) is list:
        if len(v) > MAX_ITEMS:
            raise Refused("an argument has too many items")
        return [_arg(a, refs, depth + 1) for a in v]
    if type(v) is dict and len(v) == 1:
        (key, inner), = v.items()
        if key == "node" and type(inner) is int and 0 <= inner < len(refs):
            return refs[inner]
        if key == "tuple" and type(inner) is list:
            return tuple(_arg(inner, refs, depth + 1))
        if key == "slice" and type(inner) is list and len(inner) == 3:
            return slice(*(_arg(a, refs, depth + 1) for a in inner))
    raise Refused("an argument of forward() is neither a tensor, a number nor a tuple of them")


def _graph(nodes, layer_count, cap):
    """A torch.fx.Graph of the described nodes; modules are the judge's `layer{i}`."""
    import torch.fx

    if not isinstance(nodes, list) or not nodes:
        raise Refused("the graph is missing")
    if len(nodes) > cap:
        raise Refused(f"forward() has {len(nodes)} operations; at most {cap} are rebuilt")
    functions = _functions()
    graph = torch.fx.Graph()
    refs = []
    for i, node in enumerate(nodes):
        if not (isinstance(node, dict) and set(node) == {"op", "target", "args", "kwargs"}
                and type(node["args"]) is list and type(node["kwargs"]) is dict):
            raise Refused(f"operation {i} is malformed")
        op, target = node["op"], node["target"]
        last = i == len(nodes) - 1
        if (op == "placeholder") != (i == 0) or (op == "output") != last:
            raise Refused("forward() should take one input tensor and return one result")
        for name in node["kwargs"]:
            if type(name) is not str or not _IDENTIFIER.fullmatch(name) or name not in KWARGS:
                raise Refused(f"operation {i} uses the keyword {str(name)[:30]!r}")
        args = tuple(_arg(a, refs) for a in node["args"])
        kwargs = {k: _arg(v, refs) for k, v in node["kwargs"].items()}
        if op == "placeholder":
            made = graph.placeholder("x")
        elif op == "output":
            if len(args) != 1 or not isinstance(args[0], torch.fx.Node) or kwargs:
                raise Refused("forward() should return one tensor")
            made = graph.output(args[0])
        elif op == "call_module":
            if type(target) is not int or not 0 <= target < layer_count:
                raise Refused(f"operation {i} calls a layer that is not there")
            if len(args) != 1 or not isinstance(args[0], torch.fx.Node) or kwargs:
                raise Refused(f"operation {i}: a layer is called with one tensor only")
            made = graph.call_module(f"layer{target}", args)
        elif op == "call_function":
            fn = functions.get(target) if type(target) is str else None
            if fn is None:
                raise Refused(f"forward() calls {str(target)[:60]}, which is not on the grader's list "
                              "(docs/model-rebuild.md)")
            if fn is builtins.getattr and (len(args) != 2 or args[1] != "shape" or kwargs):
                raise Refused("forward() reads a tensor attribute other than .shape")
            made = graph.call_function(fn, args, kwargs)
        elif op == "call_method":
            if type(target) is not str or target not in METHODS:
                raise Refused(f"forward() calls the tensor method {str(target)[:40]!r}, which is not on "
                              "the grader's list (docs/model-rebuild.md)")
            made = graph.call_method(target, args, kwargs)
        else:
            raise Refused(f"forward() has an operation of kind {str(op)[:30]!r} (e.g. a tensor stored "
                          "on the module)")
        getattr_call = op == "call_function" and functions.get(target) is builtins.getattr
        if any(isinstance(a, str) for a in args if not getattr_call) or any(
                isinstance(v, str) and k != "approximate" for k, v in kwargs.items()):
            raise Refused(f"operation {i} takes a string argument")
        refs.append(made)
    graph.lint()
    return graph


# ------------------------------------------------------------------ the rebuilt model


@dataclass(frozen=True)
class Architecture:
    """A checked description: parts (each a list of layers and a graph) run one after another."""

    parts: tuple  # ((layers: tuple of (type name, kwargs)), nodes as described), per part
    params: int  # counted on the meta device

    @property
    def layers(self) -> list:
        """Every layer as `Type(k=v, ...)`, in registration order: what a structure test compares
        (`inplace` left out: it changes no result)."""
        return [f"{kind}({', '.join(f'{k}={v!r}' for k, v in kwargs.items() if k != 'inplace')})"
                for layers, _ in self.parts for kind, kwargs in layers]

    def build(self, seed=None, device="cpu"):
        """nn.Sequential of one GraphModule per part; with a `seed`, initialised under
        `torch.manual_seed(seed)` in a forked RNG, the layers in registration order."""
        import torch

        def make():
            with torch.device(device):
                return [[getattr(torch.nn, kind)(**kwargs) for kind, kwargs in layers] for layers, _ in self.parts]

        if seed is None:
            made = make()
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                made = make()
        modules = []
        for (layers, nodes), built in zip(self.parts, made):
            root = torch.nn.Module()
            for i, layer in enumerate(built):
                root.add_module(f"layer{i}", layer)
            modules.append(torch.fx.GraphModule(root, _graph(nodes, len(layers), limits.DEFAULT.model_max_nodes),
                                                class_name="RebuiltPart"))
        return torch.nn.Sequential(*modules)

    def check(self, shape, *, what="the model"):
        """Run on meta tensors of `shape` (nothing is computed): the output's shape and dtype;
        `Fails` if it fails, `Refused` if it costs more than the per-image caps allow for that batch."""
        import torch

        model = self.build(device="meta")
        images = max(1, int(shape[0]))
        cost = _Cost()
        x = torch.empty(shape, device="meta")
        try:
            for part in model:
                x = cost.run(part, x)
        except Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - shape errors and the like: the student's
            first = str(exc).strip().split("\n")[0][:200]  # fx adds the node and a traceback below
            raise Fails(f"{what} fails on an input of shape {tuple(shape)}: {type(exc).__name__}: {first}") from None
        caps = limits.DEFAULT
        if cost.flops > caps.model_max_flops_per_image * images:
            raise Refused(f"one forward pass costs about {cost.flops / images / 1e6:.1f} M operations per "
                          f"image; at most {caps.model_max_flops_per_image / 1e6:g} M are allowed")
        if cost.elements > caps.model_max_activations_per_image * images:
            raise Refused(f"one forward pass makes {cost.elements // images:,} intermediate values per "
                          f"image; at most {caps.model_max_activations_per_image:,} are allowed")
        if not isinstance(x, torch.Tensor):
            raise Fails(f"{what} returns {type(x).__name__}, not a tensor")
        return tuple(x.shape), x.dtype


class _Cost:
    """Runs GraphModules on meta tensors, adding up an estimate of FLOPs and activation sizes."""

    def __init__(self):
        self.flops = 0
        self.elements = 0

    def run(self, gm, x):
        import torch
        import torch.fx

        cost = self

        class Interpreter(torch.fx.Interpreter):
            def run_node(self, n):
                out = super().run_node(n)
                for t in (out if isinstance(out, tuple) else (out,)):
                    if isinstance(t, torch.Tensor):
                        cost.elements += t.numel()
                        cost.flops += t.numel() * _macs(self.module, n) * 2
                return out

        return Interpreter(gm).run(x)


def _macs(gm, node) -> int:
    """Multiply-adds per output value of a node: the reduction size of a conv or Linear, else 1."""
    import torch

    if node.op != "call_module":
        return 1
    layer = gm.get_submodule(node.target)
    if isinstance(layer, torch.nn.Conv2d):
        return layer.in_channels // layer.groups * math.prod(layer.kernel_size)
    if isinstance(layer, torch.nn.Linear):
        return layer.in_features
    return 1


def parse(*descriptions) -> Architecture:
    """Check descriptions (probing.ModelDescription; several are parts run in order) and count
    their parameters on the meta device; `Refused` says why one can't be rebuilt."""
    import torch

    parts = []
    for description in descriptions:
        if not isinstance(description, dict):
            raise Refused("the grader received no description of the model")
        if description.get("refused") is not None:
            raise Refused(str(description["refused"])[:500])
        modules = description.get("modules")
        if not isinstance(modules, list):
            raise Refused("the description has no layers")
        parts.append((tuple(_layer(i, m) for i, m in enumerate(modules)), description.get("nodes")))
    caps = limits.DEFAULT
    count = sum(len(layers) for layers, _ in parts)
    if count > caps.model_max_layers:
        raise Refused(f"the model has {count} layers; at most {caps.model_max_layers} are rebuilt")
    for layers, nodes in parts:
        _graph(nodes, len(layers), caps.model_max_nodes)  # refuses before anything is built
    arch = Architecture(parts=tuple(parts), params=0)
    try:
        meta = arch.build(device="meta")
    except Refused:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. groups that don't divide the channels
        raise Refused(f"a layer can't be built: {type(exc).__name__}: {str(exc)[:200]}") from None
    params = sum(p.numel() for p in meta.parameters())
    if params > caps.model_max_params:
        raise Refused(f"the model has {params:,} parameters; at most {caps.model_max_params:,} are rebuilt")
    return Architecture(parts=tuple(parts), params=int(params))


def check_function_table():
    """Every allowed function name resolves (run by the tests; a torch upgrade may move one)."""
    return sorted(_functions())


ALLOW_LIST_FILE = "model_allow_list.json"  # in exercises/: the public checks of ex6 and ex7 read it


def allow_list() -> dict:
    """What a rebuilt model may use, as plain names: exercises/model_allow_list.json, so that the
    students' public checks test "can the grader rebuild it?" against the grader's own lists."""
    return {"layers": sorted(LAYER_FIELDS), "functions": sorted(_functions()), "methods": sorted(METHODS)}


if __name__ == "__main__":  # python -m grader.architecture: rewrite exercises/model_allow_list.json
    import json

    from .paths import EXERCISES_DIR

    (EXERCISES_DIR / ALLOW_LIST_FILE).write_text(json.dumps(allow_list(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {EXERCISES_DIR / ALLOW_LIST_FILE}")
