"""Public tests for ex3 (a friendly subset of what is graded). Run: pytest exercises/ex3"""

import numpy as np
import pytest
import torch

from cutout import cutout, cutout_mask
from public_checks import assert_close as _assert_close
from public_checks import assert_imports_only_what_the_grader_has, call_unchanged


def _square(height, width, cy, cx, size):
    """The expected mask, built the slow and obvious way."""
    mask = torch.ones(height, width)
    for r in range(cy - size // 2, cy - size // 2 + size):
        for c in range(cx - size // 2, cx - size // 2 + size):
            if 0 <= r < height and 0 <= c < width:
                mask[r, c] = 0.0
    return mask


def _zeros_at(mask):
    return sorted((int(r), int(c)) for r, c in (mask == 0).nonzero())


def test_cutout_mask_square_in_the_middle():
    mask = cutout_mask(6, 7, center=(3, 3), size=3)
    assert isinstance(mask, torch.Tensor), f"cutout_mask() returns a tensor, got {type(mask).__name__}"
    assert mask.dtype == torch.float32, f"the mask is float32, got {mask.dtype}"
    assert mask.shape == (6, 7), f"the mask is [height, width] = (6, 7), got {tuple(mask.shape)}"
    want = [(r, c) for r in (2, 3, 4) for c in (2, 3, 4)]  # rows and columns [3 - 1, 3 - 1 + 3)
    assert _zeros_at(mask) == want, f"expected zeros at {want}, got zeros at {_zeros_at(mask)}"
    assert set(mask.unique().tolist()) <= {0.0, 1.0}, "the mask holds only 0.0 and 1.0"


def test_cutout_mask_even_size_starts_at_center_minus_half():
    mask = cutout_mask(8, 8, center=(4, 4), size=4)
    want = [(r, c) for r in range(2, 6) for c in range(2, 6)]  # [4 - 2, 4 - 2 + 4)
    assert _zeros_at(mask) == want, f"expected zeros on rows/columns 2..5, got zeros at {_zeros_at(mask)}"


def test_cutout_mask_is_clipped_at_the_border():
    mask = cutout_mask(5, 5, center=(0, 4), size=3)
    want = [(0, 3), (0, 4), (1, 3), (1, 4)]  # rows [-1, 2) and columns [3, 6), clipped
    assert _zeros_at(mask) == want, (
        f"near a border the square is cut off (no wrap-around): expected zeros at {want}, "
        f"got {_zeros_at(mask)}")


def test_cutout_mask_size_zero_is_all_ones():
    assert torch.equal(cutout_mask(4, 4, (1, 1), 0), torch.ones(4, 4)), "size 0 gives a mask of all ones"


def test_cutout_mask_rejects_bad_arguments():
    with pytest.raises(ValueError, match="size"):
        cutout_mask(5, 5, (2, 2), -1)
    with pytest.raises(ValueError, match="center"):  # row 5 is outside a 5-row image
        cutout_mask(5, 5, (5, 2), 3)


def _images(n=3, channels=2, height=6, width=8):
    return torch.rand(n, channels, height, width, generator=torch.Generator().manual_seed(0)) + 1.0  # no zeros


def _expected(images, size, seed):
    """What cutout(images, size, default_rng(seed)) returns: rows drawn first, then columns."""
    n, _, height, width = images.shape
    rng = np.random.default_rng(seed)
    cy = rng.integers(0, height, size=n)  # first all the rows ...
    cx = rng.integers(0, width, size=n)  # ... then all the columns
    return [(int(cy[i]), int(cx[i]), images[i] * _square(height, width, int(cy[i]), int(cx[i]), size))
            for i in range(n)]


def test_cutout_leaves_images_unchanged():
    call_unchanged(cutout, _images(), size=2, rng=np.random.default_rng(5))


def test_cutout_matches_seeded_draws():
    images = _images()
    want = _expected(images, 2, seed=5)  # from the images as they are before the call
    out = call_unchanged(cutout, images, size=2, rng=np.random.default_rng(5))
    for i, (cy, cx, image) in enumerate(want):
        _assert_close(out[i], image, (
            f"image {i}: expected the square centred at ({cy}, {cx}) to be zero; draw "
            "cy = rng.integers(0, H, size=N) first, then cx = rng.integers(0, W, size=N)"))


def test_cutout_draws_nothing_more():
    rng = np.random.default_rng(5)
    cutout(_images(), size=2, rng=rng)
    twin = np.random.default_rng(5)
    twin.integers(0, 6, size=3)
    twin.integers(0, 8, size=3)
    assert rng.random() == twin.random(), (
        "cutout() must draw exactly rng.integers(0, H, size=N) then rng.integers(0, W, size=N), nothing more")


def test_cutout_masks_every_channel():
    out = cutout(_images(channels=3), size=3, rng=np.random.default_rng(1))
    zeros = out == 0
    for c in (1, 2):
        assert torch.equal(zeros[:, c], zeros[:, 0]), (
            f"channel {c} is masked differently from channel 0: the same square goes into every channel")


def test_cutout_keeps_dtype():
    images = torch.ones(2, 1, 8, 8, dtype=torch.float64)
    out = cutout(images, size=4, rng=np.random.default_rng(0))
    assert out.dtype == torch.float64 and out.shape == images.shape, (
        f"cutout() keeps shape and dtype: expected float64 {tuple(images.shape)}, got {out.dtype} {tuple(out.shape)}")


def test_cutout_rejects_bad_arguments():
    with pytest.raises(ValueError, match="size"):
        cutout(torch.ones(2, 1, 8, 8), size=-1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError):  # a single image must be given as a batch [1, C, H, W]
        cutout(torch.ones(1, 8, 8), size=2, rng=np.random.default_rng(0))


def test_cutout_imports_only_what_the_grader_has():
    import cutout as module

    assert_imports_only_what_the_grader_has(module)
