"""ex4 (soft cross-entropy) bug zoo: realistic student mistakes as edits of solutions/ex4/soft_ce.py.

Each comment names the hidden tests (test_ex4.py, beside it) expected to catch it.
"""

from grader.bugzoo import Mutant

MUTANTS = [
    # caught by: test_log_softmax_is_stable_without_builtin_helpers,
    # test_soft_cross_entropy_equals_cross_entropy_for_one_hot_targets (logits of size 1e4)
    Mutant(
        name="no_max_shift",
        old="    shifted = logits - logits.amax(dim=dim, keepdim=True).detach()\n",
        new="    shifted = logits\n",
        why="exp(1e4) overflows to inf without subtracting the maximum first",
    ),
    # caught by: test_log_softmax_is_stable_without_builtin_helpers (rows far below the global max underflow)
    Mutant(
        name="global_max_shift",
        old="logits.amax(dim=dim, keepdim=True).detach()",
        new="logits.max()",
        why="subtracts the maximum of the whole tensor, not of each row",
    ),
    # caught by: test_log_softmax_calls_no_forbidden_function, test_log_softmax_is_stable_without_builtin_helpers
    Mutant(
        name="uses_torch_logsumexp",
        old="    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()\n",
        new="    return logits - torch.logsumexp(logits, dim=dim, keepdim=True)\n",
        why="the exercise is to write the log-sum-exp trick, not to call it",
    ),
    # caught by: test_log_softmax_matches_torch, test_soft_cross_entropy_* (value tests)
    Mutant(
        name="normalises_over_dim_0",
        old="shifted.exp().sum(dim=dim, keepdim=True)",
        new="shifted.exp().sum(dim=0, keepdim=True)",
        why="sums over the batch instead of the requested dim",
    ),
    # caught by: test_log_softmax_and_soft_cross_entropy_gradients_match_torch
    Mutant(
        name="result_detached",
        old="    shifted = logits - logits.amax(dim=dim, keepdim=True).detach()\n",
        new="    shifted = (logits - logits.amax(dim=dim, keepdim=True)).detach()\n",
        why="detaches the whole computation, so no gradient reaches the logits",
    ),
    # caught by: test_soft_cross_entropy_matches_reference_for_each_reduction,
    # test_soft_cross_entropy_equals_cross_entropy_for_one_hot_targets, gradients
    Mutant(
        name="averages_over_classes_too",
        old="    losses = -(soft_targets * log_softmax(logits, dim=1)).sum(dim=1)\n",
        new="    losses = -(soft_targets * log_softmax(logits, dim=1)).mean(dim=1)\n",
        why="averages over classes instead of summing them",
    ),
    # caught by: test_soft_cross_entropy_matches_reference_for_each_reduction,
    # test_soft_cross_entropy_equals_cross_entropy_for_one_hot_targets
    Mutant(
        name="softmax_where_log_softmax_belongs",
        old="soft_targets * log_softmax(logits, dim=1)",
        new="soft_targets * log_softmax(logits, dim=1).exp()",
        why="multiplies the targets by probabilities instead of log-probabilities",
    ),
    # caught by: test_soft_cross_entropy_matches_reference_for_each_reduction, _equals_cross_entropy_...,
    # gradients
    Mutant(
        name="forgets_the_minus_sign",
        old="    losses = -(soft_targets",
        new="    losses = (soft_targets",
        why="cross-entropy is minus the expected log-probability",
    ),
    # caught by: test_soft_cross_entropy_matches_reference_for_each_reduction, _equals_cross_entropy_...,
    # gradients (reduction='sum')
    Mutant(
        name="sum_reduction_returns_mean",
        old="        return losses.sum()\n",
        new="        return losses.mean()\n",
        why="reduction='sum' must add the per-sample losses",
    ),
    # caught by: test_soft_cross_entropy_rejects_bad_arguments
    Mutant(
        name="key_error_for_unknown_reduction",
        old='        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")\n',
        new='        raise KeyError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")\n',
        why="bad arguments must raise ValueError",
    ),
    # caught by: test_smooth_labels_matches_pytorch_label_smoothing
    Mutant(
        name="smooths_over_the_other_classes",
        old="    return (1 - eps) * one_hot + eps / num_classes\n",
        new="    return (1 - eps) * one_hot + eps / (num_classes - 1) * (1 - one_hot)\n",
        why="spreads eps over the C - 1 wrong classes; PyTorch spreads eps / C over all C",
    ),
    # caught by: test_smooth_labels_rejects_bad_eps (eps=1.0 accepted)
    Mutant(
        name="eps_one_allowed",
        old="    if not 0 <= eps < 1:\n",
        new="    if not 0 <= eps <= 1:\n",
        why="eps must be strictly less than 1",
    ),
]
