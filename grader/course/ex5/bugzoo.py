"""ex5 (metrics) bug zoo: realistic student mistakes as edits of solutions/ex5/metrics.py.

Each comment names the hidden tests (test_ex5.py, beside it) expected to catch it.
"""

from grader.bugzoo import Mutant

MUTANTS = [
    # caught by: test_confusion_matrix_rows_are_true_classes_columns_predictions ("is transposed"),
    # test_confusion_matrix_is_c_by_c_when_classes_are_missing, test_confusion_matrix_is_vectorised_on_two_million_labels
    Mutant(
        name="transposed_confusion_matrix",
        old="flat = target.long() * num_classes + pred.long()",
        new="flat = pred.long() * num_classes + target.long()",
        why="rows indexed by the prediction: the matrix comes out transposed",
    ),
    # caught by: test_confusion_matrix_is_c_by_c_when_classes_are_missing (reshape fails: fewer bins than C*C)
    Mutant(
        name="bincount_without_minlength",
        old="counts = torch.bincount(flat, minlength=num_classes * num_classes)",
        new="counts = torch.bincount(flat)",
        why="without minlength, bincount stops at the largest index seen, so absent classes break the shape",
    ),
    # caught by: test_confusion_matrix_is_vectorised_on_two_million_labels (~25 s: past the 10 s limit)
    Mutant(
        name="python_loop_over_samples",
        old="counts = torch.bincount(flat, minlength=num_classes * num_classes)",
        new=("counts = torch.zeros(num_classes * num_classes, dtype=torch.int64)\n"
             "    for i in flat:\n"
             "        counts[i] += 1"),
        why="a Python loop over tensor elements is correct but far too slow for millions of labels",
    ),
    # caught by: test_confusion_matrix_rejects_bad_labels_and_lengths (label == C is let through)
    Mutant(
        name="label_check_off_by_one",
        old="labels.max() >= num_classes",
        new="labels.max() > num_classes",
        why="accepts the label C, which is outside [0, C)",
    ),
    # caught by: test_precision_recall_f1_match_reference (precision and recall come out swapped)
    Mutant(
        name="precision_recall_swapped",
        old=("    precision = _safe_ratio(tp, predicted)\n"
             "    recall = _safe_ratio(tp, actual)\n"),
        new=("    precision = _safe_ratio(tp, actual)\n"
             "    recall = _safe_ratio(tp, predicted)\n"),
        why="divides by the row sums for precision: that is recall (and vice versa)",
    ),
    # caught by: test_precision_recall_f1_zero_denominator_gives_zero, test_precision_recall_f1_match_reference
    Mutant(
        name="zero_division_gives_nan",
        old=("    return torch.where(den > 0, num / torch.where(den > 0, den, torch.ones_like(den)),\n"
             "                       torch.zeros_like(num))\n"),
        new="    return num / den\n",
        why="0 / 0 is nan: a class that is never predicted (or never present) poisons the metrics",
    ),
    # caught by: test_precision_recall_f1_match_reference (support differs for a non-symmetric matrix)
    Mutant(
        name="support_is_column_sums",
        old='"support": cm.sum(dim=1).to(torch.int64)',
        new='"support": cm.sum(dim=0).to(torch.int64)',
        why="support counts true samples of each class (row sums), not predictions",
    ),
    # caught by: test_top_k_accuracy_matches_reference (topk over the batch, not the classes)
    Mutant(
        name="top_k_over_wrong_dim",
        old="top = logits.topk(k, dim=1).indices",
        new="top = logits.topk(k, dim=0).indices.T",
        why="takes the k largest rows of each column instead of the k largest classes of each row",
    ),
    # caught by: test_top_k_accuracy_matches_reference (k == C raises), test_top_k_accuracy_rejects_k_outside_1_to_c
    Mutant(
        name="k_bound_excludes_c",
        old="if not 1 <= k <= num_classes:",
        new="if not 1 <= k < num_classes:",
        why="k equal to the number of classes is valid (every row is a hit)",
    ),
    # caught by: test_top_k_accuracy_matches_reference (returns a tensor, not a Python float)
    Mutant(
        name="top_k_returns_tensor",
        old="return hits.double().mean().item()",
        new="return hits.double().mean()",
        why="the spec asks for a Python float, not a 0-d tensor",
    ),
]
