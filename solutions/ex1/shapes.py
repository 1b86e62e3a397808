"""Reference solution for ex1: output shapes of convolution and pooling layers."""

from __future__ import annotations

import math

from torch import nn


def _pair(value, name):
    """(h, w) from an int or an (h, w) pair; ValueError naming `name` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int or an (h, w) pair of ints, got {value!r}")
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return (int(value[0]), int(value[1]))
    raise ValueError(f"{name} must be an int or an (h, w) pair of ints, got {value!r}")


def _output_1d(n, kernel_size, stride, padding, dilation):
    return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _sizes(size, kernel_size, stride, padding, dilation):
    """Validated (h, w) output sizes; shared by the conv and pool helpers."""
    args = {
        "size": _pair(size, "size"),
        "kernel_size": _pair(kernel_size, "kernel_size"),
        "stride": _pair(stride, "stride"),
        "padding": _pair(padding, "padding"),
        "dilation": _pair(dilation, "dilation"),
    }
    for name in ("kernel_size", "stride", "dilation"):
        if min(args[name]) < 1:
            raise ValueError(f"{name} must be >= 1, got {args[name]}")
    if min(args["padding"]) < 0:
        raise ValueError(f"padding must be >= 0, got {args['padding']}")
    out = tuple(
        _output_1d(*per_dim)
        for per_dim in zip(
            args["size"], args["kernel_size"], args["stride"], args["padding"], args["dilation"]
        )
    )
    if min(out) < 1:
        raise ValueError(
            f"output size would be {out}: size {args['size']} is too small for "
            f"kernel_size {args['kernel_size']} (padding {args['padding']}, "
            f"dilation {args['dilation']}, stride {args['stride']})"
        )
    return out


def conv2d_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    out = _sizes(size, kernel_size, stride, padding, dilation)
    if all(isinstance(a, int) for a in (size, kernel_size, stride, padding, dilation)):
        return out[0]
    return out


def pool2d_output_size(size, kernel_size, stride=None, padding=0):
    if stride is None:
        stride = kernel_size
    kh, kw = _pair(kernel_size, "kernel_size")
    ph, pw = _pair(padding, "padding")
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(
            f"padding {padding} must be at most half of kernel_size {kernel_size}"
        )
    return conv2d_output_size(size, kernel_size, stride, padding)


# ----------------------------------------------------------------------------------
# trace_shapes


def _fail(index, layer, message):
    raise ValueError(f"layer {index} ({type(layer).__name__}): {message}")


def _spatial(index, layer, shape, kernel_size, stride, padding, dilation=1):
    if len(shape) != 4:
        _fail(index, layer, f"expects a 4-D (N, C, H, W) input, got shape {shape}")
    try:
        h, w = conv2d_output_size(shape[2:], kernel_size, stride, padding, dilation)
    except ValueError as err:
        _fail(index, layer, str(err))
    return h, w


def _next_shape(index, layer, shape):
    """The output shape of one layer for an input of `shape`."""
    if isinstance(layer, nn.Conv2d):
        if layer.groups != 1:
            _fail(index, layer, f"groups={layer.groups} is not supported (only groups=1)")
        if isinstance(layer.padding, str):
            _fail(index, layer, f"string padding {layer.padding!r} is not supported")
        if len(shape) != 4:
            _fail(index, layer, f"expects a 4-D (N, C, H, W) input, got shape {shape}")
        if shape[1] != layer.in_channels:
            _fail(index, layer, f"expects {layer.in_channels} input channels, got {shape[1]}")
        h, w = _spatial(index, layer, shape, layer.kernel_size, layer.stride,
                        layer.padding, layer.dilation)
        return (shape[0], layer.out_channels, h, w)

    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        if layer.ceil_mode:
            _fail(index, layer, "ceil_mode=True is not supported")
        kernel = _pair(layer.kernel_size, "kernel_size")
        stride = kernel if layer.stride is None else _pair(layer.stride, "stride")
        padding = _pair(layer.padding, "padding")
        if 2 * padding[0] > kernel[0] or 2 * padding[1] > kernel[1]:
            _fail(index, layer, f"padding {padding} is more than half of kernel_size {kernel}")
        dilation = getattr(layer, "dilation", 1)  # MaxPool2d has one, AvgPool2d not
        h, w = _spatial(index, layer, shape, kernel, stride, padding, dilation)
        return (shape[0], shape[1], h, w)

    if isinstance(layer, nn.AdaptiveAvgPool2d):
        if len(shape) != 4:
            _fail(index, layer, f"expects a 4-D (N, C, H, W) input, got shape {shape}")
        out = layer.output_size
        oh, ow = (out, out) if not isinstance(out, (tuple, list)) else out
        return (shape[0], shape[1], shape[2] if oh is None else oh, shape[3] if ow is None else ow)

    if isinstance(layer, nn.BatchNorm2d):
        if len(shape) != 4:
            _fail(index, layer, f"expects a 4-D (N, C, H, W) input, got shape {shape}")
        if shape[1] != layer.num_features:
            _fail(index, layer, f"expects {layer.num_features} channels, got {shape[1]}")
        return shape

    if isinstance(layer, (nn.ReLU, nn.Dropout)):
        return shape

    if isinstance(layer, nn.Flatten):
        if (layer.start_dim, layer.end_dim) != (1, -1):
            _fail(index, layer, "only the default Flatten(start_dim=1, end_dim=-1) is supported")
        return (shape[0], math.prod(shape[1:]))

    if isinstance(layer, nn.Linear):
        if len(shape) != 2:
            _fail(index, layer, f"expects a 2-D (N, features) input, got shape {shape}")
        if shape[1] != layer.in_features:
            _fail(index, layer, f"expects {layer.in_features} input features, got {shape[1]}")
        return (shape[0], layer.out_features)

    _fail(index, layer, "this layer type is not supported")


def trace_shapes(layers, input_shape):
    if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 4
            and all(isinstance(d, int) and d >= 1 for d in input_shape)):
        raise ValueError(f"input_shape must be a tuple (N, C, H, W) of positive ints, got {input_shape!r}")
    shape = tuple(int(d) for d in input_shape)
    shapes = []
    for index, layer in enumerate(layers):
        shape = tuple(int(d) for d in _next_shape(index, layer, shape))
        shapes.append(shape)
    return shapes
