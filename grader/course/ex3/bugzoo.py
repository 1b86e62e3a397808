"""ex3 (cutout) bug zoo: realistic student mistakes as edits of solutions/ex3/cutout.py.

Each comment names the hidden tests (test_ex3.py, beside it) expected to catch it.
"""

from grader.bugzoo import Mistake, Mutant, named

MUTANTS = [
    # caught by: test_cutout_mask_clips_at_borders, test_cutout_matches_reference_for_seeded_rng,
    # test_cutout_draws_rows_then_columns, test_cutout_masks_every_channel
    Mutant(
        name="wraps_negative_indices",
        old="mask[max(top, 0):min(bottom, height), max(left, 0):min(right, width)] = 0.0",
        new="mask[top:bottom, left:right] = 0.0",
        why="a negative start index wraps around to the other side instead of being clipped to 0",
    ),
    # caught by: test_cutout_mask_matches_reference_inside_image (even sizes), test_cutout_mask_clips_at_borders,
    # test_cutout_matches_reference_for_seeded_rng, test_cutout_draws_rows_then_columns
    Mutant(
        name="even_square_shifted",
        old="    top = cy - size // 2\n",
        new="    top = cy - (size - 1) // 2\n",
        why="centres even-sized squares one pixel lower than the contract says",
    ),
    # caught by: test_cutout_mask_matches_reference_inside_image, test_cutout_mask_clips_at_borders,
    # test_cutout_matches_reference_for_seeded_rng, test_cutout_draws_rows_then_columns
    Mutant(
        name="square_one_short_for_odd_sizes",
        old="    bottom = top + size\n",
        new="    bottom = cy + size // 2\n",
        why="rows [cy - s//2, cy + s//2) hold only s - 1 rows when s is odd",
    ),
    # caught by: test_cutout_matches_reference_for_seeded_rng, test_cutout_draws_rows_then_columns
    Mutant(
        name="draws_columns_first",
        old=("    cy = rng.integers(0, height, size=n)\n"
             "    cx = rng.integers(0, width, size=n)\n"),
        new=("    cx = rng.integers(0, width, size=n)\n"
             "    cy = rng.integers(0, height, size=n)\n"),
        why="draws the column centres before the row centres",
    ),
    # caught by: test_cutout_matches_reference_for_seeded_rng, test_cutout_draws_rows_then_columns
    Mutant(
        name="one_center_for_the_whole_batch",
        old=("    cy = rng.integers(0, height, size=n)\n"
             "    cx = rng.integers(0, width, size=n)\n"),
        new=("    cy = np.repeat(rng.integers(0, height), n)\n"
             "    cx = np.repeat(rng.integers(0, width), n)\n"),
        why="every image gets the same square",
    ),
    # caught by: test_cutout_leaves_images_unchanged
    Mutant(
        name="modifies_images_in_place",
        old="    out = images.clone()\n",
        new="    out = images\n",
        why="writes the masked images into the caller's tensor",
    ),
    # caught by: test_cutout_masks_every_channel, test_cutout_matches_reference_for_seeded_rng,
    # test_cutout_draws_rows_then_columns
    Mutant(
        name="masks_first_channel_only",
        old="        out[i] = images[i] * mask.to(device=images.device, dtype=images.dtype)\n",
        new="        out[i, 0] = images[i, 0] * mask.to(device=images.device, dtype=images.dtype)\n",
        why="applies the mask to channel 0 only",
    ),
    # caught by: test_cutout_rejects_bad_arguments
    Mutant(
        name="type_error_for_bad_images",
        old='        raise ValueError(f"images must be a 4-D tensor [N, C, H, W], got {shape}")\n',
        new='        raise TypeError(f"images must be a 4-D tensor [N, C, H, W], got {shape}")\n',
        why="bad arguments must raise ValueError, not TypeError",
    ),
    # caught by: test_cutout_matches_reference_for_seeded_rng, test_cutout_draws_rows_then_columns
    Mutant(
        name="center_never_on_last_row",
        old="rng.integers(0, height, size=n)",
        new="rng.integers(0, height - 1, size=n)",
        why="treats the upper bound of rng.integers as inclusive and subtracts one",
    ),
    # caught by: all three mask value tests (non-square masks come out [width, height]) and, as cutout()
    # then fails to broadcast, every cutout() test except test_cutout_rejects_bad_arguments
    Mutant(
        name="mask_transposed",
        old="    mask = torch.ones(height, width, dtype=torch.float32)\n",
        new="    mask = torch.ones(width, height, dtype=torch.float32)\n",
        why="builds the mask as [width, height]",
    ),
    # caught by: test_cutout_mask_rejects_bad_arguments (a center outside the image is accepted)
    Mutant(
        name="center_not_validated",
        old="    if not (0 <= cy < height and 0 <= cx < width):\n",
        new="    if False:\n",
        why="never checks that the center lies inside the image",
    ),
]

# Mistakes the PUBLIC tests must name (grader/audit.py: a failing public test's message says every word).
MISTAKES = [
    Mistake(named(MUTANTS, "modifies_images_in_place"), says=("in place", "modified")),
    Mistake(
        Mutant(
            name="imports_a_helper_from_outside_the_folder",
            old="    mask[max(top, 0):min(bottom, height), max(left, 0):min(right, width)] = 0.0\n",
            new=("    from myhelpers import clip\n"
                 "    mask[clip(top, 0, height):clip(bottom, 0, height), clip(left, 0, width):clip(right, 0, width)] = 0.0\n"),
            why="imports a module installed on the student's machine only: the grader can't import it",
        ),
        says=("myhelpers",),
        elsewhere=(("myhelpers.py", "def clip(value, low, high):\n    return max(low, min(value, high))\n"),),
    ),
]
