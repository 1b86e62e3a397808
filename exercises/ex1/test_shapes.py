"""Public tests for ex1 (a friendly subset of what is graded). Run: pytest exercises/ex1"""

import pytest
from torch import nn

from shapes import conv2d_output_size, pool2d_output_size, trace_shapes
from public_checks import assert_imports_only_what_the_grader_has


def test_conv2d_output_size_same_padding_keeps_size():
    got = conv2d_output_size(16, 3, padding=1)
    assert got == 16, f"a 3x3 conv with padding=1 keeps 16 -> 16, got {got!r}"
    assert type(got) is int, f"with all-int arguments the answer is an int, got {type(got).__name__}"


@pytest.mark.parametrize(
    "args, kwargs, want",
    [
        ((32, 5), {}, 28),                          # (32 - 4 - 1) // 1 + 1
        ((32, 3), {"stride": 2}, 15),               # floor((32 - 2 - 1) / 2) + 1
        ((32, 3), {"stride": 2, "padding": 1}, 16),
        ((16, 3), {"dilation": 2}, 12),             # a dilated 3x3 spans 5 pixels
    ],
    ids=["kernel5", "stride2", "stride2_padding1", "dilation2"],
)
def test_conv2d_output_size_formula(args, kwargs, want):
    got = conv2d_output_size(*args, **kwargs)
    assert got == want, f"conv2d_output_size{args} with {kwargs}: expected {want}, got {got!r}"


def test_conv2d_output_size_pairs_give_a_tuple():
    got = conv2d_output_size((16, 8), 3, stride=(2, 1))
    assert got == (7, 6), f"expected (7, 6): height and width are computed separately, got {got!r}"
    assert isinstance(got, tuple), f"with a pair argument the answer is an (h, w) tuple, got {type(got).__name__}"


def test_conv2d_output_size_rejects_bad_arguments():
    with pytest.raises(ValueError, match="stride"):
        conv2d_output_size(16, 3, stride=0)
    with pytest.raises(ValueError, match="padding"):
        conv2d_output_size(16, 3, padding=-1)
    with pytest.raises(ValueError):  # the output would be 16 - 17 + 1 = 0 pixels
        conv2d_output_size(16, 17)
    with pytest.raises(ValueError):  # floor(-1 / 3) + 1 = 0 pixels: floor, don't truncate towards 0
        conv2d_output_size(4, 5, stride=3)


def test_pool2d_output_size_stride_defaults_to_kernel_size():
    got = pool2d_output_size(16, 2)
    assert got == 8, f"MaxPool2d(2) halves 16 -> 8 (stride defaults to kernel_size), got {got!r}"
    with pytest.raises(ValueError, match="padding"):
        pool2d_output_size(16, 2, padding=2)  # PyTorch: padding at most half the kernel


def test_trace_shapes_small_cnn():
    layers = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(16, 4),
    )
    want = [(2, 8, 16, 16), (2, 8, 16, 16), (2, 8, 8, 8), (2, 16, 8, 8), (2, 16, 8, 8),
            (2, 16, 1, 1), (2, 16), (2, 4)]
    got = trace_shapes(layers, (2, 1, 16, 16))
    assert isinstance(got, list), f"trace_shapes() returns a list, got {type(got).__name__}"
    assert [tuple(s) for s in got] == want, f"expected\n  {want}\ngot\n  {got}"


def test_trace_shapes_every_supported_layer():
    """Non-square input, so that a swapped height and width shows."""
    layers = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.2),
        nn.AvgPool2d(2), nn.AdaptiveAvgPool2d((None, 3)), nn.Flatten(), nn.Linear(4 * 5 * 3, 6),
    )
    want = [(2, 4, 10, 14), (2, 4, 10, 14), (2, 4, 10, 14), (2, 4, 10, 14), (2, 4, 5, 7), (2, 4, 5, 3),
            (2, 60), (2, 6)]
    got = [tuple(s) for s in trace_shapes(layers, (2, 2, 10, 14))]
    for index, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"after layer {index} ({type(layers[index]).__name__}) expected {w}, got {g}"
    assert len(got) == len(want), f"expected one shape per layer ({len(want)}), got {len(got)}"


def test_trace_shapes_runs_no_forward():
    """The shapes come from the layers' attributes (kernel_size, stride, ...), not from running them."""
    layers = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))

    def forward(*args, **kwargs):
        raise AssertionError("trace_shapes() ran a layer's forward: compute each shape from the layer's "
                             "attributes (kernel_size, stride, padding, ...) instead")

    for layer in [layers, *layers]:
        layer.forward = forward
    got = [tuple(s) for s in trace_shapes(layers, (1, 1, 10, 10))]
    assert got == [(1, 4, 8, 8), (1, 4, 8, 8), (1, 4, 4, 4)], f"got {got}"


def test_trace_shapes_rejects_unsupported_layers():
    with pytest.raises(ValueError, match=r"\b1\b"):  # ceil_mode=True is not supported: layer 1
        trace_shapes(nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)), (1, 1, 9, 9))
    with pytest.raises(ValueError, match=r"\b2\b"):  # Sigmoid is not in the list: layer 2
        trace_shapes(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Sigmoid()), (1, 1, 9, 9))


def test_trace_shapes_names_the_failing_layer():
    layers = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(10, 2))
    # After Flatten there are 8 * 14 * 14 = 1568 features, not 10: layer 3 fails.
    with pytest.raises(ValueError, match=r"\b3\b"):
        trace_shapes(layers, (1, 3, 16, 16))
    with pytest.raises(ValueError, match=r"\b0\b"):  # layer 0 expects 3 channels, gets 1
        trace_shapes(layers, (1, 1, 16, 16))


def test_shapes_imports_only_what_the_grader_has():
    import shapes

    assert_imports_only_what_the_grader_has(shapes)
