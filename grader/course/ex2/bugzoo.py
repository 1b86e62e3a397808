"""ex2 (mixup) bug zoo: realistic student mistakes as edits of solutions/ex2/mixup.py.

Each comment names the hidden tests (test_ex2.py, beside it) expected to catch it.
"""

from grader.bugzoo import Mistake, Mutant, named

MUTANTS = [
    # caught by: test_mixup_batch_images_match_reference_for_seeded_rng, _labels_match_...,
    # test_mixup_batch_draws_beta_then_permutation
    Mutant(
        name="draws_permutation_before_beta",
        old=("    lam = float(rng.beta(alpha, alpha))\n"
             "    perm = torch.as_tensor(rng.permutation(x.shape[0]), dtype=torch.int64, device=x.device)\n"),
        new=("    perm = torch.as_tensor(rng.permutation(x.shape[0]), dtype=torch.int64, device=x.device)\n"
             "    lam = float(rng.beta(alpha, alpha))\n"),
        why="draws in the wrong order, so a seeded call is not reproducible",
    ),
    # caught by: test_mix_matches_formula, test_mixup_batch_labels_match_reference_for_seeded_rng
    Mutant(
        name="labels_left_unmixed",
        old="    y_mixed = lam * y_soft + (1 - lam) * y_soft[perm]\n",
        new="    y_mixed = y_soft\n",
        why="mixes the images but keeps the original one-hot labels",
    ),
    # caught by: test_mix_matches_formula, test_mixup_batch_images_match_...,
    # test_mixup_batch_draws_beta_then_permutation
    Mutant(
        name="lam_on_the_wrong_side",
        old="    x_mixed = lam * x + (1 - lam) * x[perm]\n",
        new="    x_mixed = (1 - lam) * x + lam * x[perm]\n",
        why="weights the partner image with lam and the image itself with 1 - lam",
    ),
    # caught by: test_mixup_batch_alpha_zero_draws_nothing (rng.beta(0, 0) raises ValueError)
    Mutant(
        name="alpha_zero_not_special",
        old="    if alpha <= 0:\n",
        new="    if alpha < 0:\n",
        why="alpha == 0 falls through to rng.beta(0, 0)",
    ),
    # caught by: test_one_hot_rejects_out_of_range_labels (label == num_classes gives a zero row)
    Mutant(
        name="one_hot_accepts_label_equal_to_num_classes",
        old="y.max() >= num_classes",
        new="y.max() > num_classes",
        why="off-by-one in the label range check",
    ),
    # caught by: test_one_hot_matches_reference, test_mixup_batch_alpha_zero_draws_nothing
    Mutant(
        name="one_hot_returns_int64",
        old="return (y.unsqueeze(-1) == classes).to(torch.float32)",
        new="return (y.unsqueeze(-1) == classes).long()",
        why="one-hot labels must be float32 to be mixed",
    ),
    # caught by: test_mixup_batch_images_match_reference_for_seeded_rng, _labels_match_...,
    # test_mixup_batch_draws_beta_then_permutation
    Mutant(
        name="ignores_the_rng_argument",
        old="    lam = float(rng.beta(alpha, alpha))\n",
        new="    lam = float(np.random.beta(alpha, alpha))\n",
        why="draws lam from numpy's global generator, so the seeded rng doesn't control it",
    ),
    # caught by: test_mix_matches_formula, test_mix_and_mixup_batch_leave_inputs_unchanged,
    # test_mixup_batch_images_match_reference_for_seeded_rng, test_mixup_batch_draws_beta_then_permutation
    Mutant(
        name="mixes_in_place",
        old="    x_mixed = lam * x + (1 - lam) * x[perm]\n",
        new="    x_mixed = x.mul_(lam).add_((1 - lam) * x[perm])\n",
        why="scales the caller's images in place (and then mixes with already-scaled partners)",
    ),
    # caught by: test_mixup_batch_images_match_reference_for_seeded_rng, _labels_match_...,
    # test_mixup_batch_draws_beta_then_permutation
    Mutant(
        name="beta_with_wrong_parameters",
        old="rng.beta(alpha, alpha)",
        new="rng.beta(alpha, 1.0)",
        why="lam ~ Beta(alpha, alpha), symmetric, not Beta(alpha, 1)",
    ),
]

# Mistakes the PUBLIC tests must name (grader/audit.py: a failing public test's message says every word).
MISTAKES = [
    Mistake(named(MUTANTS, "mixes_in_place"), says=("in place", "modified")),
]
