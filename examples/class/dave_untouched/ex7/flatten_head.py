"""Exercise 7: the lab's conv stack with a flatten head.

Fill in the function and the class below; read README.md in this folder first.
Replace each `raise NotImplementedError` with your code. Keep the names,
arguments and defaults exactly as they are: the grader calls them.
"""
import torch
from torch import nn

import cnnlab  # the course lab: cnnlab.conv_stack() is the conv stack you need


def flattened_features(input_size, channels=32):
    """How many numbers come out of the lab's conv stack for one square image, flattened.

    The conv stack keeps the size through each 3x3 convolution (padding 1) and
    halves it (rounding down) at each of its two ``MaxPool2d(2)`` layers, so the answer is
    ``channels * (input_size // 4) ** 2``.

    Raises:
        ValueError: ``input_size < 4``; the message names ``input_size``.
    """
    raise NotImplementedError


class FlattenHeadCNN(nn.Module):
    """The lab's conv stack followed by Flatten + Linear (no global average pool).

    ``self.features``: Conv2d(1, 8, 3, padding=1), ReLU, MaxPool2d(2),
    Conv2d(8, 16, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(16, 32, 3, padding=1), ReLU
    (exactly what ``cnnlab.conv_stack()`` returns).

    ``self.head``: flattens and applies ``Linear(flattened_features(input_size), num_classes)``.
    """

    def __init__(self, num_classes=4, input_size=16):
        super().__init__()
        raise NotImplementedError

    def forward(self, x):
        """``[N, 1, input_size, input_size]`` images -> ``[N, num_classes]`` logits.

        Raises:
            ValueError: the input's spatial size is not ``input_size x input_size``;
            the message names the expected size (e.g. "expected 16x16 input").
        """
        raise NotImplementedError
