"""Exercise 1: output sizes (Heidi)."""

from torch import nn


def pair(v):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"expected an (h, w) pair, got {v}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def conv2d_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    n, k, s, p, d = pair(size), pair(kernel_size), pair(stride), pair(padding), pair(dilation)
    if min(k) < 1:
        raise ValueError("kernel_size must be >= 1")
    if min(s) < 1:
        raise ValueError("stride must be >= 1")
    if min(d) < 1:
        raise ValueError("dilation must be >= 1")
    if min(p) < 0:
        raise ValueError("padding must be >= 0")
    out = []
    for i in range(2):
        o = (n[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1
        if o < 1:
            raise ValueError(f"output size {o} < 1 (size too small for kernel_size)")
        out.append(o)
    args = [size, kernel_size, stride, padding, dilation]
    if all(isinstance(a, int) for a in args):
        return out[0]
    return tuple(out)


def pool2d_output_size(size, kernel_size, stride=None, padding=0):
    if stride is None:
        stride = kernel_size
    k, p = pair(kernel_size), pair(padding)
    if 2 * p[0] > k[0] or 2 * p[1] > k[1]:
        raise ValueError("padding must be at most half of kernel_size")
    return conv2d_output_size(size, kernel_size, stride, padding)


def trace_shapes(layers, input_shape):
    shape = tuple(input_shape)
    shapes = []
    for i, layer in enumerate(layers):
        try:
            if isinstance(layer, nn.Conv2d):
                if layer.groups != 1 or isinstance(layer.padding, str):
                    raise ValueError("unsupported Conv2d settings")
                if len(shape) != 4 or shape[1] != layer.in_channels:
                    raise ValueError(f"channel mismatch: expected {layer.in_channels}")
                h, w = conv2d_output_size(shape[2:], layer.kernel_size, layer.stride, layer.padding,
                                          layer.dilation)
                shape = (shape[0], layer.out_channels, h, w)
            elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
                if layer.ceil_mode:
                    raise ValueError("ceil_mode is not supported")
                if len(shape) != 4:
                    raise ValueError("pooling needs a 4-D input")
                d = layer.dilation if isinstance(layer, nn.MaxPool2d) else 1
                k = pair(layer.kernel_size)
                p = pair(layer.padding)
                if 2 * p[0] > k[0] or 2 * p[1] > k[1]:
                    raise ValueError("padding must be at most half of kernel_size")
                stride = layer.kernel_size if layer.stride is None else layer.stride
                h, w = conv2d_output_size(shape[2:], k, stride, p, d)
                shape = (shape[0], shape[1], h, w)
            elif isinstance(layer, nn.AdaptiveAvgPool2d):
                if len(shape) != 4:
                    raise ValueError("pooling needs a 4-D input")
                o = layer.output_size
                oh, ow = o if isinstance(o, (tuple, list)) else (o, o)
                shape = (shape[0], shape[1], oh or shape[2], ow or shape[3])
            elif isinstance(layer, nn.BatchNorm2d):
                if len(shape) != 4 or shape[1] != layer.num_features:
                    raise ValueError(f"BatchNorm2d expects {layer.num_features} channels")
            elif isinstance(layer, (nn.ReLU, nn.Dropout)):
                pass
            elif isinstance(layer, nn.Flatten):
                if layer.start_dim != 1 or layer.end_dim != -1:
                    raise ValueError("only the default Flatten is supported")
                total = 1
                for d in shape[1:]:
                    total *= d
                shape = (shape[0], total)
            elif isinstance(layer, nn.Linear):
                if len(shape) != 2 or shape[1] != layer.in_features:
                    raise ValueError(f"Linear expects {layer.in_features} features")
                shape = (shape[0], layer.out_features)
            else:
                raise ValueError(f"{type(layer).__name__} is not supported")
        except ValueError as err:
            raise ValueError(f"layer {i}: {err}") from None
        shapes.append(tuple(int(d) for d in shape))
    return shapes
