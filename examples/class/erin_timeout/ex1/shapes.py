"""ex1 — shapes (Erin). Output sizes of conv and pool layers, without running them."""

from __future__ import annotations

from torch import nn


def _as_hw(value, name):
    """An (h, w) tuple from an int or a pair of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        h, w = value
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (h, w)):
            return (h, w)
    raise ValueError(f"{name} should be an int or a pair of ints, not {value!r}")


def _one_dim(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv2d_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    given = dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    hw = {name: _as_hw(value, name) for name, value in given.items()}
    for name in ("kernel_size", "stride", "dilation"):
        if hw[name][0] < 1 or hw[name][1] < 1:
            raise ValueError(f"{name} must be at least 1, got {given[name]!r}")
    if hw["padding"][0] < 0 or hw["padding"][1] < 0:
        raise ValueError(f"padding must not be negative, got {padding!r}")
    result = []
    for axis in (0, 1):
        out = _one_dim(hw["size"][axis], hw["kernel_size"][axis], hw["stride"][axis],
                       hw["padding"][axis], hw["dilation"][axis])
        if out < 1:
            raise ValueError(f"the output would be {out} wide: size {size!r} is too small for "
                             f"kernel_size {kernel_size!r}")
        result.append(out)
    if all(isinstance(v, int) for v in given.values()):
        return result[0]
    return tuple(result)


def pool2d_output_size(size, kernel_size, stride=None, padding=0):
    if stride is None:
        stride = kernel_size
    kh, kw = _as_hw(kernel_size, "kernel_size")
    ph, pw = _as_hw(padding, "padding")
    if ph * 2 > kh or pw * 2 > kw:
        raise ValueError(f"padding {padding!r} is more than half of kernel_size {kernel_size!r}")
    return conv2d_output_size(size, kernel_size, stride=stride, padding=padding, dilation=1)


def _need_4d(i, shape):
    if len(shape) != 4:
        raise ValueError(f"layer {i}: needs a 4-D input, got {shape}")


def _spatial(i, shape, kernel, stride, padding, dilation=1):
    _need_4d(i, shape)
    try:
        return conv2d_output_size(tuple(shape[2:]), kernel, stride, padding, dilation)
    except ValueError as err:
        raise ValueError(f"layer {i}: {err}") from None


def _conv(i, layer, shape):
    if layer.groups != 1:
        raise ValueError(f"layer {i}: only groups=1 is supported")
    if isinstance(layer.padding, str):
        raise ValueError(f"layer {i}: string padding is not supported")
    _need_4d(i, shape)
    if shape[1] != layer.in_channels:
        raise ValueError(f"layer {i}: Conv2d wants {layer.in_channels} channels but gets {shape[1]}")
    h, w = _spatial(i, shape, layer.kernel_size, layer.stride, layer.padding, layer.dilation)
    return (shape[0], layer.out_channels, h, w)


def _pool(i, layer, shape):
    if layer.ceil_mode:
        raise ValueError(f"layer {i}: ceil_mode=True is not supported")
    kernel = _as_hw(layer.kernel_size, "kernel_size")
    stride = kernel if layer.stride is None else _as_hw(layer.stride, "stride")
    padding = _as_hw(layer.padding, "padding")
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        raise ValueError(f"layer {i}: padding {padding} is more than half the kernel {kernel}")
    dilation = layer.dilation if isinstance(layer, nn.MaxPool2d) else 1
    h, w = _spatial(i, shape, kernel, stride, padding, dilation)
    return (shape[0], shape[1], h, w)


def _adaptive(i, layer, shape):
    _need_4d(i, shape)
    size = layer.output_size
    h, w = size if isinstance(size, (tuple, list)) else (size, size)
    return (shape[0], shape[1], shape[2] if h is None else h, shape[3] if w is None else w)


def _batchnorm(i, layer, shape):
    _need_4d(i, shape)
    if shape[1] != layer.num_features:
        raise ValueError(f"layer {i}: BatchNorm2d wants {layer.num_features} channels but gets {shape[1]}")
    return shape


def _flatten(i, layer, shape):
    if layer.start_dim != 1 or layer.end_dim != -1:
        raise ValueError(f"layer {i}: only Flatten() with its default dims is supported")
    features = 1
    for d in shape[1:]:
        features *= d
    return (shape[0], features)


def _linear(i, layer, shape):
    if len(shape) != 2:
        raise ValueError(f"layer {i}: Linear needs a 2-D input, got {shape}")
    if shape[1] != layer.in_features:
        raise ValueError(f"layer {i}: Linear wants {layer.in_features} features but gets {shape[1]}")
    return (shape[0], layer.out_features)


_RULES = [
    (nn.Conv2d, _conv),
    ((nn.MaxPool2d, nn.AvgPool2d), _pool),
    (nn.AdaptiveAvgPool2d, _adaptive),
    (nn.BatchNorm2d, _batchnorm),
    ((nn.ReLU, nn.Dropout), lambda i, layer, shape: shape),
    (nn.Flatten, _flatten),
    (nn.Linear, _linear),
]


def trace_shapes(layers, input_shape):
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 4
            or not all(isinstance(d, int) and d > 0 for d in input_shape)):
        raise ValueError(f"input_shape should be (N, C, H, W), got {input_shape!r}")
    shape = tuple(input_shape)
    out = []
    for i, layer in enumerate(layers):
        for kinds, rule in _RULES:
            if isinstance(layer, kinds):
                shape = tuple(int(d) for d in rule(i, layer, shape))
                break
        else:
            raise ValueError(f"layer {i}: {type(layer).__name__} is not supported")
        out.append(shape)
    return out
