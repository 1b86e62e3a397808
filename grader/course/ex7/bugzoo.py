"""ex7 (a flatten head) bug zoo: realistic student mistakes as edits of solutions/ex7/flatten_head.py.

Each comment names the hidden tests (test_ex7.py, beside it) expected to catch it.
`benchmarks/calibrate_thresholds.py` trains the ones marked (calibrated) against the threshold.
The judge rebuilds and runs `head(features(x))`, never the student's `forward`: a mistake in
`forward` itself is caught by the one test that calls it in the worker.
"""

from grader.bugzoo import Mistake, Mutant, named

MUTANTS = [
    # caught by: test_flattened_features_matches_formula, test_shapes_for_several_input_sizes,
    # test_parameter_counts_for_several_input_sizes, test_forward_matches_reference_with_identical_weights,
    # test_trains_to_accuracy_threshold_on_lab_data
    Mutant(
        name="flattened_features_ignores_a_pool",
        old="return channels * (input_size // 4) ** 2",
        new="return channels * (input_size // 2) ** 2",
        why="there are two MaxPool2d(2) layers: the size is divided by 4, not 2",
    ),
    # caught by: test_flattened_features_matches_formula (channels=8 gives 32 * ...)
    Mutant(
        name="flattened_features_ignores_channels",
        old="return channels * (input_size // 4) ** 2",
        new="return 32 * (input_size // 4) ** 2",
        why="the channels argument must be used",
    ),
    # caught by: test_flattened_features_matches_formula (flattened_features(4) raises)
    Mutant(
        name="size_check_off_by_one",
        old="if input_size < 4:",
        new="if input_size <= 4:",
        why="input_size 4 is valid: 4 -> 2 -> 1",
    ),
    # caught by: test_shapes_for_several_input_sizes (forward fails for 20, 28, 32),
    # test_parameter_counts_for_several_input_sizes
    Mutant(
        name="linear_sized_for_16_only",
        old="nn.Linear(flattened_features(input_size), num_classes)",
        new="nn.Linear(flattened_features(16), num_classes)",
        why="the Linear must be sized for the model's input_size, not always 16",
    ),
    # caught by: test_shapes_for_several_input_sizes (num_classes=3 gives 4 logits),
    # test_parameter_counts_for_several_input_sizes
    Mutant(
        name="head_ignores_num_classes",
        old="nn.Linear(flattened_features(input_size), num_classes)",
        new="nn.Linear(flattened_features(input_size), 4)",
        why="the head must give num_classes logits",
    ),
    # caught by: test_features_is_the_lab_conv_stack, test_forward_matches_reference_with_identical_weights;
    # not by the training test (calibrated: it still reaches 100% on the lab's data)
    Mutant(
        name="missing_last_relu",
        old="nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),\n",
        new="nn.Conv2d(16, 32, 3, padding=1),\n",
        why="the conv stack ends with a ReLU after the third convolution",
    ),
    # caught by: test_forward_rejects_wrong_input_size_naming_expected_size (a 20x24 input gets past the check)
    Mutant(
        name="size_check_only_height",
        old="if x.dim() != 4 or tuple(x.shape[-2:]) != expected:",
        new="if x.dim() != 4 or x.shape[-2] != self.input_size:",
        why="both the height and the width must equal input_size",
    ),
    # caught by: test_forward_rejects_wrong_input_size_naming_expected_size (message lacks the size)
    Mutant(
        name="size_error_without_expected_size",
        old=('f"expected input of size {self.input_size}x{self.input_size} "\n'
             '                f"([N, 1, {self.input_size}, {self.input_size}]), got shape {tuple(x.shape)}")'),
        new='"wrong input size")',
        why="the error must name the expected size so the user knows what to feed",
    ),
    # caught by: test_forward_rejects_wrong_input_size_naming_expected_size only (forward's result has
    # no gradient; the rebuilt head(features(x)) trains fine, as forward is not rebuilt)
    Mutant(
        name="forward_under_no_grad",
        old="        return self.head(self.features(x))\n",
        new=("        with torch.no_grad():\n"
             "            return self.head(self.features(x))\n"),
        why="no_grad in forward leaves nothing to backpropagate through: the model can't train",
    ),
    # caught by: test_forward_rejects_wrong_input_size_naming_expected_size only (forward(x) is not
    # head(features(x))); the rebuilt model has no softmax, so no judge-side test sees it
    Mutant(
        name="softmax_in_forward",
        old="return self.head(self.features(x))",
        new="return self.head(self.features(x)).softmax(dim=1)",
        why="forward must return logits: cross_entropy applies log-softmax itself",
    ),
]

# Mistakes the PUBLIC tests must name (grader/audit.py: a failing public test's message says every word).
MISTAKES = [
    Mistake(named(MUTANTS, "softmax_in_forward"), says=("logits", "probabilities")),
    Mistake(named(MUTANTS, "missing_last_relu"), says=("features[7]", "ReLU")),
]
