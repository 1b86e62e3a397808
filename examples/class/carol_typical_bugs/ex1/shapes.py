"""ex1 (Carol)."""

from torch import nn


def _hw(x):
    return (x, x) if isinstance(x, int) else (x[0], x[1])


def conv2d_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    args = [size, kernel_size, stride, padding, dilation]
    n, k, s, p, d = (_hw(a) for a in args)
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise ValueError("kernel_size, stride and dilation must be >= 1")
    if min(p) < 0:
        raise ValueError("padding must be >= 0")
    out = tuple((n[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))
    if min(out) < 1:
        raise ValueError(f"size {size} too small: output would be {out}")
    return out[0] if all(isinstance(a, int) for a in args) else out


def pool2d_output_size(size, kernel_size, stride=None, padding=0):
    # BUG (typical): the default stride of a pooling layer is kernel_size, not 1
    if stride is None:
        stride = 1
    k, p = _hw(kernel_size), _hw(padding)
    if 2 * p[0] > k[0] or 2 * p[1] > k[1]:
        raise ValueError("padding must be at most half of kernel_size")
    return conv2d_output_size(size, kernel_size, stride, padding)


def trace_shapes(layers, input_shape):
    shape = tuple(input_shape)
    out = []
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.Conv2d):
            if layer.groups != 1 or isinstance(layer.padding, str):
                raise ValueError(f"layer {i}: unsupported Conv2d")
            if shape[1] != layer.in_channels:
                raise ValueError(f"layer {i}: expected {layer.in_channels} channels, got {shape[1]}")
            try:
                h, w = conv2d_output_size(shape[2:], layer.kernel_size, layer.stride, layer.padding,
                                          layer.dilation)
            except ValueError as e:
                raise ValueError(f"layer {i}: {e}")
            shape = (shape[0], layer.out_channels, h, w)
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            if layer.ceil_mode:
                raise ValueError(f"layer {i}: ceil_mode")
            try:
                h, w = pool2d_output_size(shape[2:], layer.kernel_size, layer.stride, layer.padding)
            except ValueError as e:
                raise ValueError(f"layer {i}: {e}")
            shape = (shape[0], shape[1], h, w)
        elif isinstance(layer, nn.AdaptiveAvgPool2d):
            oh, ow = _hw(layer.output_size)
            shape = (shape[0], shape[1], shape[2] if oh is None else oh, shape[3] if ow is None else ow)
        elif isinstance(layer, nn.BatchNorm2d):
            if shape[1] != layer.num_features:
                raise ValueError(f"layer {i}: expected {layer.num_features} channels")
        elif isinstance(layer, (nn.ReLU, nn.Dropout)):
            pass
        elif isinstance(layer, nn.Flatten):
            if (layer.start_dim, layer.end_dim) != (1, -1):
                raise ValueError(f"layer {i}: non-default Flatten")
            f = 1
            for d in shape[1:]:
                f *= d
            shape = (shape[0], f)
        elif isinstance(layer, nn.Linear):
            if len(shape) != 2 or shape[1] != layer.in_features:
                raise ValueError(f"layer {i}: expected {layer.in_features} features")
            shape = (shape[0], layer.out_features)
        else:
            raise ValueError(f"layer {i}: {type(layer).__name__} not supported")
        out.append(shape)
    return out
