"""Hidden suite for ex3 (cutout): 10 points."""

import numpy as np
import pytest
import torch

from grader.course.checks import check_raises, check_tensor
from grader.seam import StudentCodeError, Seeded


def _images(shape, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g) + 0.5).to(dtype)  # no zeros before cutout


def _square(height, width, cy, cx, size):
    """The expected mask, computed independently of the reference."""
    rows = torch.arange(height).view(-1, 1)
    cols = torch.arange(width).view(1, -1)
    top, left = cy - size // 2, cx - size // 2
    inside = (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)
    return (~inside).to(torch.float32)


def _replay(seed, n, height, width):
    rng = np.random.default_rng(seed)
    cy = rng.integers(0, height, size=n)
    cx = rng.integers(0, width, size=n)
    return cy, cx, float(rng.random())


def _raises_value_error(call, what, any_of):
    """ValueError whose message contains one of `any_of` (the argument's name or its gist)."""
    try:
        call()
    except StudentCodeError:
        raise
    except Exception as exc:  # noqa: BLE001
        if not isinstance(exc, ValueError):
            raise AssertionError(f"{what} should raise ValueError, but raised "
                                 f"{getattr(exc, 'student_type', type(exc).__name__)}: {exc}") from None
        if not any(word in str(exc) for word in any_of):
            raise AssertionError(f"{what} raised ValueError, but its message should name "
                                 f"'{any_of[0]}': got {str(exc)!r}") from None
        return
    raise AssertionError(f"{what} should raise ValueError, but it returned normally")


MASK_INSIDE_CASES = [  # (height, width, center, size)
    (7, 9, (3, 4), 3),
    (7, 9, (3, 4), 4),
    (7, 9, (2, 6), 1),
    (10, 6, (5, 2), 2),
    (16, 16, (8, 8), 8),
]

MASK_BORDER_CASES = [
    (7, 9, (0, 0), 3),
    (7, 9, (6, 8), 4),
    (7, 9, (0, 8), 5),
    (10, 6, (9, 0), 6),
    (5, 5, (2, 2), 20),
    (16, 16, (1, 14), 8),
]


@pytest.mark.public
@pytest.mark.points(1)
def test_cutout_mask_matches_reference_inside_image(sub, ref):
    """cutout_mask() is float32 [height, width] with a size x size square of zeros starting at center - size//2."""
    for h, w, center, size in MASK_INSIDE_CASES:
        check_tensor(sub.ex3.cutout_mask(h, w, center, size), ref.ex3.cutout_mask(h, w, center, size),
                     f"cutout_mask({h}, {w}, {center}, {size})", exact=True)


@pytest.mark.public
@pytest.mark.points(1)
def test_cutout_mask_clips_at_borders(sub, ref):
    """cutout_mask() clips the square at the image border (indices never wrap around)."""
    for h, w, center, size in MASK_BORDER_CASES:
        check_tensor(sub.ex3.cutout_mask(h, w, center, size), ref.ex3.cutout_mask(h, w, center, size),
                     f"cutout_mask({h}, {w}, {center}, {size})", exact=True)


@pytest.mark.public
@pytest.mark.points(1)
def test_cutout_mask_size_zero_is_all_ones(sub):
    """cutout_mask() with size 0 is all ones."""
    for h, w, center in [(7, 9, (3, 4)), (4, 3, (0, 0)), (5, 6, (4, 5))]:
        check_tensor(sub.ex3.cutout_mask(h, w, center, 0), torch.ones(h, w),
                     f"cutout_mask({h}, {w}, {center}, 0)", exact=True)


@pytest.mark.points(1)
def test_cutout_mask_rejects_bad_arguments(sub):
    """cutout_mask() raises ValueError naming the argument for a negative size or a center outside the image."""
    check_raises(ValueError, lambda: sub.ex3.cutout_mask(7, 9, (3, 4), -1),
                 "cutout_mask(7, 9, (3, 4), -1)", mentions="size")
    for center in [(7, 4), (3, 9), (-1, 0)]:
        _raises_value_error(lambda: sub.ex3.cutout_mask(7, 9, center, 3),
                            f"cutout_mask(7, 9, {center}, 3)", ("center", "centre", "cy", "cx"))


CUTOUT_CASES = [  # (shape, size, seed)
    ((5, 3, 10, 12), 4, 0),
    ((6, 1, 9, 7), 5, 17),
    ((3, 2, 16, 16), 8, 123),
    ((2, 1, 5, 5), 0, 6),  # size 0 hides nothing
]


@pytest.mark.points(2)
def test_cutout_matches_reference_for_seeded_rng(sub, ref):
    """cutout() zeroes the same squares as the reference for the same seeded rng."""
    for shape, size, seed in CUTOUT_CASES:
        x = _images(shape, seed)
        check_tensor(sub.ex3.cutout(x, size=size, rng=Seeded(seed)), ref.ex3.cutout(x, size=size, rng=Seeded(seed)),
                     f"cutout(images of shape {shape}, size={size}, rng=default_rng({seed}))", exact=True)


@pytest.mark.points(1)
def test_cutout_draws_rows_then_columns(sub):
    """cutout() draws cy = rng.integers(0, H, size=N) first, then cx = rng.integers(0, W, size=N), nothing else."""
    for shape, size, seed in CUTOUT_CASES:
        n, _, h, w = shape
        x = _images(shape, seed)
        cy, cx, next_draw = _replay(seed, n, h, w)
        got = sub.ex3.cutout.probe(x, size=size, rng=Seeded(seed))
        assert got["rng_next"] == next_draw, (
            "cutout() drew a different number of random values than rng.integers(0, H, size=N) "
            "followed by rng.integers(0, W, size=N)")
        want = torch.stack([x[i] * _square(h, w, int(cy[i]), int(cx[i]), size) for i in range(n)])
        check_tensor(got["result"], want, f"cutout(images of shape {shape}, size={size}) with rows drawn "
                     "before columns", exact=True)


@pytest.mark.points(1)
def test_cutout_masks_every_channel(sub):
    """cutout() zeroes the same square in every channel of an image."""
    x = _images((4, 5, 8, 11), 3)
    got = sub.ex3.cutout(x, size=3, rng=Seeded(42))
    assert isinstance(got, torch.Tensor) and got.shape == x.shape, "cutout() should return a tensor shaped like images"
    zeros = got == 0
    for i in range(4):
        for c in range(1, 5):
            assert torch.equal(zeros[i, c], zeros[i, 0]), (
                f"cutout(): image {i} has a different square in channel {c} than in channel 0")
        assert zeros[i, 0].any(), f"cutout(): image {i} has no zeroed square in channel 0"


@pytest.mark.points(0.5)
def test_cutout_keeps_dtype_and_shape(sub):
    """cutout() returns a tensor of the images' dtype and shape."""
    for dtype in (torch.float64, torch.bfloat16, torch.float32):
        x = _images((3, 2, 6, 5), 5, dtype)
        out = sub.ex3.cutout(x, size=2, rng=Seeded(5))
        assert isinstance(out, torch.Tensor), f"cutout() should return a tensor, got {type(out).__name__}"
        assert out.dtype == dtype and out.shape == x.shape, (
            f"cutout() on {dtype} images {tuple(x.shape)} returned {out.dtype} {tuple(out.shape)}")


@pytest.mark.points(0.5)
def test_cutout_leaves_images_unchanged(sub):
    """cutout() returns a new tensor and leaves the caller's images as they were."""
    for dtype in (torch.float64, torch.float32):
        got = sub.ex3.cutout.probe(_images((3, 2, 6, 5), 5, dtype), size=2, rng=Seeded(5))
        assert got["inputs_unchanged"], "cutout() modified the images in place: return a new tensor instead"


@pytest.mark.points(1)
def test_cutout_rejects_bad_arguments(sub):
    """cutout() raises ValueError naming the argument for a tensor that is not 4-D or a negative size."""
    x = _images((2, 1, 6, 6), 0)
    check_raises(ValueError, lambda: sub.ex3.cutout(x, size=-2, rng=Seeded(0)), "cutout(images, size=-2)",
                 mentions="size")
    for bad in (x[0], x[0, 0], x.unsqueeze(0)):
        _raises_value_error(lambda: sub.ex3.cutout(bad, size=2, rng=Seeded(0)),
                            f"cutout() on a {bad.dim()}-D tensor", ("images", "4-D", "4D", "dim"))
