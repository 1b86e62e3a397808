"""ex1 — shapes: work out what size comes out of a convolution or pooling layer.

Fill in the three functions below (replace each `raise NotImplementedError`).
Run the public tests with:   pytest exercises/ex1
"""

from __future__ import annotations

from torch import nn  # noqa: F401  (you will want isinstance(layer, nn.Conv2d) etc.)


def conv2d_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output height/width of an ``nn.Conv2d`` for an input of height/width ``size``.

    Per dimension, with integer (floor) division::

        out = floor((n + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1

    Every argument is an ``int`` or an ``(h, w)`` pair of ints.

    Returns:
        an ``int`` when EVERY argument is an int; otherwise an ``(h, w)`` tuple of ints
        (an int argument then counts for both dimensions).

    Raises:
        ValueError (naming the argument) when kernel_size, stride or dilation < 1,
        when padding < 0, or when an output size would be < 1.

    Examples:
        >>> conv2d_output_size(16, 3, padding=1)
        16
        >>> conv2d_output_size((16, 8), 3, stride=(2, 1))
        (7, 6)
    """
    raise NotImplementedError


def pool2d_output_size(size, kernel_size, stride=None, padding=0):
    """Output height/width of ``nn.MaxPool2d`` / ``nn.AvgPool2d`` (``ceil_mode=False``).

    Same formula as :func:`conv2d_output_size` with ``dilation = 1``.
    ``stride=None`` means ``stride = kernel_size`` (PyTorch's default).
    Returns an int or an ``(h, w)`` tuple, exactly like :func:`conv2d_output_size`.

    Raises:
        ValueError in the same cases as :func:`conv2d_output_size`, and also when
        ``2 * padding > kernel_size`` (PyTorch: padding at most half the kernel).

    Examples:
        >>> pool2d_output_size(16, 2)
        8
    """
    raise NotImplementedError


def trace_shapes(layers, input_shape):
    """The output shape after each layer, computed from the layers' attributes alone.

    Args:
        layers: an iterable of modules, e.g. an ``nn.Sequential``.
        input_shape: a tuple ``(N, C, H, W)``.

    Returns:
        a list with one tuple of ints per layer, in order, e.g.
        ``[(2, 8, 16, 16), (2, 8, 16, 16), (2, 8, 8, 8), ...]``.

    Do NOT run any layer (no ``layer(x)``, no dummy tensor): read attributes such as
    ``layer.in_channels``, ``layer.kernel_size``, ``layer.stride`` instead.

    Supported layers:
        ``Conv2d`` (groups=1; int or pair kernel_size/stride/padding/dilation),
        ``MaxPool2d`` and ``AvgPool2d`` (ceil_mode=False),
        ``AdaptiveAvgPool2d`` (int or pair output_size; ``None`` keeps that dimension),
        ``ReLU``, ``BatchNorm2d``, ``Dropout``, ``Flatten`` (default arguments only),
        ``Linear`` (2-D input only).

    Raises:
        ValueError whose message contains the failing layer's index (0-based, as in
        ``enumerate(layers)``) for: a channel/feature mismatch (``Conv2d.in_channels``,
        ``BatchNorm2d.num_features``, ``Linear.in_features``), a spatial size that would
        drop below 1, a pooling padding more than half the kernel, and anything
        unsupported (another layer type, ``groups != 1``, string padding such as
        ``"same"``, ``ceil_mode=True``, a non-default ``Flatten``, ``Linear`` on an
        input that is not 2-D).
    """
    raise NotImplementedError
