"""Hidden suite for ex1 (shapes): 10 points.

Size functions are checked in batches through the `ex1_size_cases` probe (one seam call per
test); `trace_shapes` needs live layers, so it runs through `ex1_trace_cases`, which builds
the layers beside the student code. Whether a layer's forward runs is read from the source, in
the judge (grader.source_checks.forward_calls): a probe beside the student code could be fooled.
"""

import re

import pytest

from grader import limits, source_checks
from grader.sandboxed.layout import MODULE_FILES
from grader.course.ex1.probes import ex1_size_cases, ex1_trace_cases

SIZE_TASK_TIMEOUT = limits.for_exercise("ex1").task_timeout_s


def _size_cases(who, func, cases):
    return who.run(ex1_size_cases, func, cases, what=f"{func}()", timeout=SIZE_TASK_TIMEOUT)


def _trace_cases(who, cases):
    return who.run(ex1_trace_cases, cases, what="trace_shapes()", timeout=SIZE_TASK_TIMEOUT)


def _call_text(func, args, kwargs):
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{func}({', '.join(parts)})"


def _check_values(got, want, func, cases, kind):
    """Every case returned the reference's value, as an int (kind 'int') or a tuple."""
    for (args, kwargs), g, w in zip(cases, got, want):
        call = _call_text(func, args, kwargs)
        assert "error" not in g, f"{call} raised {g['error']['type']}: {g['error']['message']}"
        assert g["kind"] == kind, (
            f"{call} should return {'an int' if kind == 'int' else 'an (h, w) tuple of ints'}, "
            f"got {g.get('repr', g['kind'])}")
        assert g["value"] == w["value"], f"{call} returned {g['value']}, expected {w['value']}"


def _check_errors(got, func, cases):
    """Every case raised ValueError whose message names the argument (when one is given)."""
    for (args, kwargs, mentions), g in zip(cases, got):
        call = _call_text(func, args, kwargs)
        assert "error" in g, f"{call} should raise ValueError, but returned {g.get('value', g.get('repr'))}"
        err = g["error"]
        assert err["is_value_error"], f"{call} should raise ValueError, but raised {err['type']}"
        if mentions:
            names = (mentions,) if isinstance(mentions, str) else mentions
            assert any(name in err["message"] for name in names), (
                f"{call} raised ValueError, but its message should name '{names[0]}': got {err['message']!r}")


def _has_index(message, index):
    return re.search(rf"(?<![0-9.]){index}(?![0-9])", message) is not None


# ---------------------------------------------------------------------------------- sizes

CONV_INT_CASES = [
    ((16, 3), {}),
    ((16, 3), {"padding": 1}),
    ((32, 5), {}),
    ((32, 3), {"stride": 2}),
    ((32, 3), {"stride": 2, "padding": 1}),
    ((31, 3), {"stride": 2, "padding": 1}),
    ((28, 5), {"padding": 2}),
    ((16, 3), {"dilation": 2}),
    ((17, 4, 3, 2, 2), {}),
    ((224, 7, 2, 3), {}),
    ((10, 3, 3), {}),
    ((7, 7), {}),
    ((), {"size": 19, "kernel_size": 4, "stride": 3, "padding": 1, "dilation": 1}),
]

CONV_PAIR_CASES = [
    (((16, 8), 3), {}),
    ((16, (3, 5)), {}),
    ((16, 3, (2, 1)), {}),
    (((32, 16), (3, 3), (2, 1), (1, 0)), {}),
    (((20, 21), 3), {"stride": (1, 2), "dilation": (2, 1)}),
    ((9, 3), {"padding": (0, 1)}),
    ((12, 3), {"dilation": (1, 3)}),
]

KERNEL = ("kernel_size", "kernel size", "kernel")
CONV_ERROR_CASES = [
    ((16, 0), {}, KERNEL),
    ((16, 3), {"stride": 0}, "stride"),
    ((16, 3), {"dilation": 0}, "dilation"),
    ((16, 3), {"padding": -1}, "padding"),
    ((16, 3), {"stride": (1, 0)}, "stride"),
    ((2, 5), {}, None),                      # 2 - 4 - 1 + 1 = -2 pixels
    ((4, 5), {"stride": 3}, None),           # floor(-1 / 3) + 1 = 0 pixels (floor, not truncation)
    (((16, 2), 3), {}, None),                # the width would be 0
    ((5, 3), {"dilation": 3}, None),         # a dilated 3x3 spans 7 pixels
]


@pytest.mark.public
@pytest.mark.points(1)
def test_conv2d_output_size_matches_formula_for_ints(sub, ref):
    """conv2d_output_size() with int arguments returns the right int (stride, padding, dilation)."""
    _check_values(_size_cases(sub, "conv2d_output_size", CONV_INT_CASES),
                  _size_cases(ref, "conv2d_output_size", CONV_INT_CASES),
                  "conv2d_output_size", CONV_INT_CASES, "int")


@pytest.mark.points(1)
def test_conv2d_output_size_with_pairs_returns_tuple(sub, ref):
    """conv2d_output_size() with an (h, w) pair argument returns an (h, w) tuple."""
    _check_values(_size_cases(sub, "conv2d_output_size", CONV_PAIR_CASES),
                  _size_cases(ref, "conv2d_output_size", CONV_PAIR_CASES),
                  "conv2d_output_size", CONV_PAIR_CASES, "tuple")


@pytest.mark.public
@pytest.mark.points(1)
def test_conv2d_output_size_rejects_bad_arguments(sub):
    """conv2d_output_size() raises ValueError naming the argument, and when the output would be < 1."""
    got = _size_cases(sub, "conv2d_output_size", [(a, k) for a, k, _ in CONV_ERROR_CASES])
    _check_errors(got, "conv2d_output_size", CONV_ERROR_CASES)


POOL_CASES = [
    ((16, 2), {}, "int"),
    ((15, 2), {}, "int"),
    ((16, 3), {}, "int"),
    ((16, 3, 2), {}, "int"),
    ((16, 3), {"stride": 2, "padding": 1}, "int"),
    ((16, 2), {"stride": None, "padding": 1}, "int"),
    (((16, 9), 2), {}, "tuple"),
    ((16, (2, 4)), {}, "tuple"),
    ((16, (3, 4)), {"padding": (0, 2)}, "tuple"),  # 2 * padding == kernel_size is allowed
]

POOL_ERROR_CASES = [
    ((16, 3), {"padding": 2}, "padding"),          # more than half the kernel
    ((16, (3, 3)), {"padding": (0, 2)}, "padding"),
    ((16, 0), {}, None),                           # kernel_size 0 (and so stride 0)
    ((16, 2), {"stride": 0}, "stride"),
    ((1, 2), {}, None),                            # the output would be 0
]


@pytest.mark.points(1)
def test_pool2d_output_size_defaults_and_padding_rule(sub, ref):
    """pool2d_output_size(): stride defaults to kernel_size; padding at most half the kernel."""
    cases = [(a, k) for a, k, _ in POOL_CASES]
    got = _size_cases(sub, "pool2d_output_size", cases + [(a, k) for a, k, _ in POOL_ERROR_CASES])
    want = _size_cases(ref, "pool2d_output_size", cases)
    for (args, kwargs, kind), g, w in zip(POOL_CASES, got, want):
        _check_values([g], [w], "pool2d_output_size", [(args, kwargs)], kind)
    _check_errors(got[len(cases):], "pool2d_output_size", POOL_ERROR_CASES)


# ------------------------------------------------------------------------------ trace_shapes

def conv(i, o, k, **kw):
    return ("Conv2d", {"in_channels": i, "out_channels": o, "kernel_size": k, **kw})


RELU, FLAT = ("ReLU", {}), ("Flatten", {})


def maxpool(k, **kw):
    return ("MaxPool2d", {"kernel_size": k, **kw})


def linear(i, o):
    return ("Linear", {"in_features": i, "out_features": o})


LAB_STACK = [conv(1, 8, 3, padding=1), RELU, maxpool(2), conv(8, 16, 3, padding=1), RELU,
             maxpool(2), conv(16, 32, 3, padding=1), RELU, ("AdaptiveAvgPool2d", {"output_size": 1}),
             FLAT, linear(32, 4)]

SMALL_CNN_CASES = [
    (LAB_STACK, (2, 1, 16, 16)),
    (LAB_STACK, (5, 1, 15, 22)),
    ([conv(3, 6, 5), RELU, maxpool(2), conv(6, 16, 5), RELU, maxpool(2), FLAT, linear(400, 10)],
     (4, 3, 32, 32)),
    ([conv(1, 4, 3, stride=2), RELU, conv(4, 8, 3, stride=2, padding=1), FLAT, linear(8 * 4 * 3, 2)],
     (1, 1, 15, 11)),
]

ALL_LAYER_CASES = [
    ([conv(2, 4, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1)), ("BatchNorm2d", {"num_features": 4}),
      RELU, ("Dropout", {"p": 0.3}), ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
      maxpool((2, 3), stride=(2, 1), padding=(1, 1)), ("AdaptiveAvgPool2d", {"output_size": (None, 3)}),
      ("AdaptiveAvgPool2d", {"output_size": (2, None)}), FLAT, linear(24, 5), RELU, ("Dropout", {})],
     (3, 2, 21, 18)),
    ([("AvgPool2d", {"kernel_size": (2, 4), "padding": (1, 2)}), ("AdaptiveAvgPool2d", {"output_size": (3, 2)}),
      ("BatchNorm2d", {"num_features": 1}), FLAT],
     (2, 1, 9, 13)),
]


def _check_traces(got, want, cases):
    for n, ((description, shape), g, w) in enumerate(zip(cases, got, want), start=1):
        names = [kind for kind, _ in description]
        what = f"trace_shapes() on network {n} ({', '.join(names[:4])}, ...) with input {shape}"
        assert g["error"] is None, f"{what} raised {g['error']['type']}: {g['error']['message']}"
        assert g["shapes"] is not None and g["well_formed"], (
            f"{what} should return a list of tuples of ints, got a {g['returned']}")
        assert len(g["shapes"]) == len(w["shapes"]), (
            f"{what} returned {len(g['shapes'])} shapes, expected one per layer ({len(w['shapes'])})")
        for index, (gs, ws) in enumerate(zip(g["shapes"], w["shapes"])):
            assert gs == ws, f"{what}: after layer {index} ({names[index]}) got {gs}, expected {ws}"


@pytest.mark.public
@pytest.mark.points(2)
def test_trace_shapes_of_small_cnns(sub, ref):
    """trace_shapes() gives the shape after every layer of conv/pool/flatten/linear networks."""
    _check_traces(_trace_cases(sub, SMALL_CNN_CASES), _trace_cases(ref, SMALL_CNN_CASES), SMALL_CNN_CASES)


@pytest.mark.points(1)
def test_trace_shapes_of_every_supported_layer(sub, ref):
    """trace_shapes() handles BatchNorm2d, Dropout, AvgPool2d, pair arguments and AdaptiveAvgPool2d with None."""
    _check_traces(_trace_cases(sub, ALL_LAYER_CASES), _trace_cases(ref, ALL_LAYER_CASES), ALL_LAYER_CASES)


@pytest.mark.points(1)
def test_trace_shapes_runs_no_forward(sub):
    """trace_shapes() works from the layers' attributes alone: its code runs no layer's forward."""
    # Plain conv/ReLU/pool networks, so that this point doesn't hinge on the other layer types.
    cases = [(LAB_STACK[:6], (2, 1, 16, 16)),
             ([conv(3, 4, 5, stride=2), RELU, maxpool(3, stride=1, padding=1)], (1, 3, 20, 14))]
    for result in _trace_cases(sub, cases):
        assert result["error"] is None, (
            f"trace_shapes() raised {result['error']['type']} on a valid network: {result['error']['message']}")
    found = source_checks.forward_calls(sub.source_files("ex1"), f"ex1/{MODULE_FILES['ex1']}", "trace_shapes")
    assert not found, "\n".join(
        ["trace_shapes() must compute shapes from attributes such as kernel_size and stride; in what it "
         "runs, the grader's reading of your code found:"] + [f.quoted() for f in found[:3]])


MISMATCH_CASES = [
    ([conv(3, 8, 3), RELU], (1, 1, 16, 16), 0),                                   # channels
    ([conv(1, 8, 3, padding=1), RELU, conv(16, 8, 3)], (2, 1, 12, 12), 2),        # channels
    ([conv(1, 4, 3), ("BatchNorm2d", {"num_features": 8})], (2, 1, 9, 9), 1),     # BatchNorm
    ([conv(1, 8, 3, padding=1), RELU, maxpool(2), FLAT, linear(100, 4)], (2, 1, 16, 16), 4),  # features
    ([conv(1, 4, 5), RELU, maxpool(2), conv(4, 8, 5)], (1, 1, 8, 8), 3),          # too small
    ([maxpool(2), maxpool(2), RELU, maxpool(2)], (1, 3, 4, 4), 3),                # too small
]

UNSUPPORTED_CASES = [
    ([conv(1, 4, 3, padding=1), conv(4, 4, 3, groups=2)], (1, 1, 8, 8), 1),
    ([conv(1, 4, 3, padding="same")], (1, 1, 8, 8), 0),
    ([RELU, maxpool(2, ceil_mode=True)], (1, 1, 9, 9), 1),
    ([RELU, RELU, ("AvgPool2d", {"kernel_size": 3, "padding": 2})], (1, 1, 9, 9), 2),
    ([conv(1, 2, 3), ("Flatten", {"start_dim": 2})], (1, 1, 9, 9), 1),
    ([linear(16, 4)], (2, 1, 4, 16), 0),
    ([conv(1, 2, 3), RELU, ("Sigmoid", {})], (1, 1, 9, 9), 2),
    ([RELU, ("Upsample", {"scale_factor": 2})], (1, 1, 4, 4), 1),
]


def _check_index_errors(got, cases, kind):
    for (description, shape, index), g in zip(cases, got):
        what = f"trace_shapes() with {kind} at layer {index} ({description[index][0]}), input {shape}"
        assert g["error"] is not None, f"{what} should raise ValueError, but returned {g['shapes']}"
        assert g["error"]["is_value_error"], f"{what} should raise ValueError, but raised {g['error']['type']}"
        assert _has_index(g["error"]["message"], index), (
            f"{what} raised ValueError, but its message should contain the layer index {index}: "
            f"got {g['error']['message']!r}")


@pytest.mark.points(1)
def test_trace_shapes_reports_mismatch_with_layer_index(sub):
    """trace_shapes() raises ValueError naming the layer index for channel/feature mismatches and sizes below 1."""
    got = _trace_cases(sub, [(d, s) for d, s, _ in MISMATCH_CASES])
    _check_index_errors(got, MISMATCH_CASES, "a mismatch or a too-small size")


@pytest.mark.points(1)
def test_trace_shapes_rejects_unsupported_layers_with_index(sub):
    """trace_shapes() raises ValueError naming the layer index for unsupported layers and settings."""
    got = _trace_cases(sub, [(d, s) for d, s, _ in UNSUPPORTED_CASES])
    _check_index_errors(got, UNSUPPORTED_CASES, "an unsupported layer or setting")
