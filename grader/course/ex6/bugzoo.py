"""ex6 (a fifth class) bug zoo: realistic student mistakes as edits of solutions/ex6/square_border.py.

Each comment names the hidden tests (test_ex6.py, beside it) expected to catch it.
`benchmarks/calibrate_thresholds.py` trains the ones marked (calibrated) to show that the
accuracy threshold separates them from the reference.
"""

from grader.bugzoo import Mistake, Mutant, named

MUTANTS = [
    # caught by: test_make_image_matches_reference_for_seeded_rng, test_make_dataset_matches_reference_for_seed
    Mutant(
        name="square_margin_size_over_3",
        old="m = size // 4",
        new="m = size // 3",
        why="the square's margin is size // 4, not size // 3",
    ),
    # caught by: test_make_image_matches_reference_for_seeded_rng, test_make_dataset_matches_reference_for_seed
    Mutant(
        name="square_border_off_by_one",
        old="far = size - 1 - m",
        new="far = size - m",
        why="the far edge of the square is row/column size - 1 - m, not size - m",
    ),
    # caught by: test_make_image_draws_noise_even_when_noise_is_zero (the generator is not advanced)
    Mutant(
        name="noise_not_drawn_when_zero",
        old="    img = img + rng.standard_normal((size, size)).astype(np.float32) * noise\n",
        new=("    if noise > 0:\n"
             "        img = img + rng.standard_normal((size, size)).astype(np.float32) * noise\n"),
        why="skips the draw when noise is 0, so later images of a data set use other random numbers",
    ),
    # caught by: test_make_image_matches_reference_for_seeded_rng (not bit-exact), test_make_dataset_matches_reference_for_seed
    Mutant(
        name="noise_scaled_in_float64",
        old="rng.standard_normal((size, size)).astype(np.float32) * noise",
        new="(rng.standard_normal((size, size)) * noise).astype(np.float32)",
        why="the spec casts the normals to float32 BEFORE scaling; scaling in float64 rounds differently",
    ),
    # caught by: test_make_image_clips_values_to_unit_range, test_make_image_matches_reference_for_seeded_rng
    Mutant(
        name="no_clip",
        old="return np.clip(img, 0.0, 1.0)",
        new="return img",
        why="pixels must be clipped to [0, 1] after adding the noise",
    ),
    # caught by: test_make_image_rejects_labels_outside_0_to_4 (label 5 silently draws a square)
    Mutant(
        name="label_check_allows_five",
        old="if label not in range(len(CLASS_NAMES)):",
        new="if label not in range(len(CLASS_NAMES) + 1):",
        why="label 5 is not a class; it must raise ValueError",
    ),
    # caught by: test_make_dataset_matches_reference_for_seed,
    # test_model_trained_on_your_dataset_classifies_reference_images (calibrated: train set lacks class 4)
    Mutant(
        name="no_shuffle_before_split",
        old="order = rng.permutation(len(labels))",
        new="order = np.arange(len(labels))",
        why="without the shuffle the validation split is all square borders and training never sees one",
    ),
    # caught by: test_make_dataset_matches_reference_for_seed,
    # test_model_trained_on_your_dataset_classifies_reference_images (calibrated: labels are noise)
    Mutant(
        name="labels_not_shuffled_with_images",
        old="y = torch.from_numpy(labels[order])",
        new="y = torch.from_numpy(labels)",
        why="images and labels must be shuffled with the same permutation, or the labels no longer match",
    ),
    # caught by: test_make_dataset_matches_reference_for_seed (train split of 96 images, not 480)
    Mutant(
        name="split_on_per_class",
        old="n_train = int(0.8 * len(labels))",
        new="n_train = int(0.8 * per_class)",
        why="80% of the whole data set is for training, not 80% of one class",
    ),
    # caught by: test_build_model_gives_logits_within_parameter_budget,
    # test_model_trained_on_your_dataset_classifies_reference_images (4 logits, not 5: the shape check)
    Mutant(
        name="four_way_head",
        old="return SmallCNN(num_classes=num_classes)",
        new="return SmallCNN()",
        why="SmallCNN defaults to the lab's 4 classes: pass num_classes",
    ),
    # caught by: test_build_model_gives_logits_within_parameter_budget (rows sum to 1); the
    # training test only sometimes (calibrated: below 0.90 on 9 of 50 seeds)
    Mutant(
        name="softmax_in_model",
        old="return SmallCNN(num_classes=num_classes)",
        new="return nn.Sequential(SmallCNN(num_classes=num_classes), nn.Softmax(dim=1))",
        why="cross_entropy expects raw logits; a softmax layer in the model stalls training",
    ),
]

# Mistakes the PUBLIC tests must name (grader/audit.py: a failing public test's message says every word).
MISTAKES = [
    Mistake(named(MUTANTS, "softmax_in_model"), says=("logits", "probabilities")),
    Mistake(named(MUTANTS, "noise_scaled_in_float64"), says=("float32", "dtype")),
]
