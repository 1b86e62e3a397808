"""ex1 (shapes) bug zoo: realistic student mistakes as edits of solutions/ex1/shapes.py.

Each comment names the hidden tests (test_ex1.py, beside it) expected to catch it.
"""

from grader.bugzoo import Mutant

MUTANTS = [
    # caught by: test_conv2d_output_size_rejects_bad_arguments ((4, 5, stride=3) gives 1, not an error),
    # test_pool2d_output_size_defaults_and_padding_rule, test_trace_shapes_reports_mismatch_with_layer_index
    Mutant(
        name="truncates_instead_of_floor",
        old="return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1",
        new="return int((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1",
        why="int(a / b) rounds toward zero, so a negative numerator gives 1 pixel instead of an error",
    ),
    # caught by: test_conv2d_output_size_matches_formula_for_ints, _with_pairs_returns_tuple,
    # test_trace_shapes_of_every_supported_layer, test_conv2d_output_size_rejects_bad_arguments
    Mutant(
        name="ignores_dilation",
        old="dilation * (kernel_size - 1) - 1",
        new="(kernel_size - 1) - 1",
        why="forgets that a dilated kernel spans dilation * (k - 1) + 1 pixels",
    ),
    # caught by: test_conv2d_output_size_matches_formula_for_ints, _with_pairs_returns_tuple,
    # test_pool2d_output_size_defaults_and_padding_rule, test_trace_shapes_of_small_cnns, _of_every_supported_layer
    Mutant(
        name="pads_one_side_only",
        old="(n + 2 * padding - ",
        new="(n + padding - ",
        why="padding is added on both sides, so it counts twice",
    ),
    # caught by: test_conv2d_output_size_matches_formula_for_ints, test_pool2d_output_size_defaults_and_padding_rule
    Mutant(
        name="always_returns_a_pair",
        old="        return out[0]\n",
        new="        return out\n",
        why="returns (h, w) even when every argument is an int",
    ),
    # caught by: test_pool2d_output_size_defaults_and_padding_rule (MaxPool2d(2) would give 15, not 8)
    Mutant(
        name="pool_stride_defaults_to_one",
        old="    if stride is None:\n        stride = kernel_size\n",
        new="    if stride is None:\n        stride = 1\n",
        why="PyTorch's pooling stride defaults to kernel_size, not 1",
    ),
    # caught by: test_pool2d_output_size_defaults_and_padding_rule (padding 2 with kernel 3 accepted)
    Mutant(
        name="pool_padding_rule_missing",
        old="    if 2 * ph > kh or 2 * pw > kw:\n",
        new="    if ph > kh or pw > kw:\n",
        why="PyTorch allows pooling padding of at most half the kernel",
    ),
    # caught by: test_trace_shapes_reports_mismatch_with_layer_index, _rejects_unsupported_layers_with_index
    Mutant(
        name="one_based_layer_index",
        old="for index, layer in enumerate(layers):",
        new="for index, layer in enumerate(layers, start=1):",
        why="error messages count layers from 1 instead of the 0-based index",
    ),
    # caught by: test_trace_shapes_of_small_cnns, test_trace_shapes_of_every_supported_layer (non-square inputs)
    Mutant(
        name="conv_swaps_height_and_width",
        old="return (shape[0], layer.out_channels, h, w)",
        new="return (shape[0], layer.out_channels, w, h)",
        why="mixes up height and width in the conv output",
    ),
    # caught by: test_trace_shapes_reports_mismatch_with_layer_index (Linear(100, 4) on 512 features)
    Mutant(
        name="linear_features_not_checked",
        old="        if shape[1] != layer.in_features:\n",
        new="        if False:\n",
        why="never compares Linear.in_features with the incoming feature count",
    ),
    # caught by: test_trace_shapes_of_small_cnns, test_trace_shapes_of_every_supported_layer
    Mutant(
        name="flatten_keeps_only_channels",
        old="return (shape[0], math.prod(shape[1:]))",
        new="return (shape[0], shape[1])",
        why="Flatten multiplies C * H * W, not just C",
    ),
    # caught by: test_trace_shapes_of_every_supported_layer (AdaptiveAvgPool2d((None, 3)))
    Mutant(
        name="adaptive_none_not_kept",
        old="shape[2] if oh is None else oh, shape[3] if ow is None else ow)",
        new="oh, ow)",
        why="None in AdaptiveAvgPool2d's output_size keeps the input size",
    ),
    # caught by: test_trace_shapes_runs_no_forward (and the error tests: torch raises RuntimeError)
    Mutant(
        name="runs_a_dummy_tensor",
        old="        shape = tuple(int(d) for d in _next_shape(index, layer, shape))\n",
        new="        shape = tuple(layer(__import__('torch').zeros(shape)).shape)\n",
        why="pushes a dummy tensor through the layers instead of computing from attributes",
    ),
    # caught by: test_trace_shapes_rejects_unsupported_layers_with_index (ceil_mode=True accepted)
    Mutant(
        name="ceil_mode_ignored",
        old="        if layer.ceil_mode:\n",
        new="        if False:\n",
        why="silently computes floor sizes for a ceil_mode=True pooling layer",
    ),
]
