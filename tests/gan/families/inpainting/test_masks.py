"""Inpainting masks: the fixed regions exactly, random ones in range, seeded, resumable bit for bit; validation."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan
from minigan.gan.families.inpainting import MASK_KINDS, MaskSampler, check_masks, fixed_mask


def test_fixed_regions_are_the_documented_rows_and_columns():
    expected = {k: np.zeros((28, 28), np.float32) for k in ("center", "bottom-half", "right-half")}
    expected["center"][7:21, 7:21] = 1  # rows and columns 7..20
    expected["bottom-half"][14:28, :] = 1
    expected["right-half"][:, 14:28] = 1
    for kind, mask in expected.items():
        got = fixed_mask(kind)
        assert got.shape == (1, 28, 28) and got.dtype == np.float32
        np.testing.assert_array_equal(got[0], mask)
    assert fixed_mask("center").sum() == 14 * 14


@pytest.mark.parametrize("kind", MASK_KINDS)
def test_every_kind_has_the_shape_dtype_and_values_of_a_mask(kind):
    masks = MaskSampler(kind, seed=0).sample(50)
    assert masks.shape == (50, 1, 28, 28) and masks.dtype == np.float32
    assert set(np.unique(masks)) <= {0.0, 1.0}
    assert (masks.sum(axis=(1, 2, 3)) > 0).all()  # every image has something to fill in
    assert (masks.sum(axis=(1, 2, 3)) < 28 * 28).all()  # and something to go on


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), box=st.tuples(st.integers(1, 28), st.integers(1, 28)))
def test_random_boxes_are_one_rectangle_of_a_size_in_range(seed, n, box):
    box_min, box_max = min(box), max(box)
    masks = MaskSampler("random-box", seed=seed, box_min=box_min, box_max=box_max).sample(n)[:, 0]
    for mask in masks:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        height, width = len(rows), len(cols)
        assert box_min <= height <= box_max and box_min <= width <= box_max
        assert rows[-1] - rows[0] + 1 == height and cols[-1] - cols[0] + 1 == width  # contiguous
        assert mask.sum() == height * width  # a filled rectangle


def test_random_mixes_all_four_kinds():
    masks = MaskSampler("random", seed=1).sample(400)
    fixed = {k: fixed_mask(k) for k in ("center", "bottom-half", "right-half")}
    counts = {k: int(sum(np.array_equal(m, f) for m in masks)) for k, f in fixed.items()}
    boxes = 400 - sum(counts.values())
    assert all(60 < c < 140 for c in counts.values()), counts  # about 100 each
    assert 60 < boxes < 140


@pytest.mark.parametrize("kind", ["random", "random-box"])
def test_same_seed_same_masks_other_seed_other_masks(kind):
    a, b, c = MaskSampler(kind, seed=5), MaskSampler(kind, seed=5), MaskSampler(kind, seed=6)
    first = [a.sample(16) for _ in range(3)]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate([b.sample(16) for _ in range(3)]))
    assert not np.array_equal(np.concatenate(first), np.concatenate([c.sample(16) for _ in range(3)]))
    assert not np.array_equal(first[0], first[1])  # the stream moves on


@pytest.mark.parametrize("kind", ["random", "random-box", "center"])
def test_a_resumed_sampler_draws_exactly_what_the_uninterrupted_one_draws(kind):
    straight = MaskSampler(kind, seed=3)
    expected = [straight.sample(8) for _ in range(4)]
    before = MaskSampler(kind, seed=3)
    before.sample(8), before.sample(8)
    state = json.loads(json.dumps(before.state_dict()))  # survives a JSON checkpoint
    resumed = MaskSampler(kind, seed=99)  # the seed is restored from the state
    resumed.load_state_dict(state)
    np.testing.assert_array_equal(resumed.sample(8), expected[2])
    np.testing.assert_array_equal(resumed.sample(8), expected[3])
    assert resumed.seed == 3


def test_masks_do_not_touch_minigans_random_stream():
    minigan.manual_seed(0)
    expected = minigan.randn(4).numpy()
    minigan.manual_seed(0)
    MaskSampler("random", seed=0).sample(32)
    np.testing.assert_array_equal(minigan.randn(4).numpy(), expected)


def test_load_state_dict_refuses_a_state_of_another_kind_or_not_a_state():
    state = MaskSampler("random", seed=0).state_dict()
    with pytest.raises(ValueError, match="kind/size/box_min/box_max"):
        MaskSampler("random-box").load_state_dict(state)
    with pytest.raises(ValueError, match="not a mask-sampler state"):
        MaskSampler().load_state_dict({"rng": 1})


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "centre"}, "unknown mask 'centre'; choose one of: center, bottom-half"),
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"seed": 1.5}, "seed must be"),
    ({"box_min": 0}, "box_min must be a positive integer"),
    ({"box_min": 10, "box_max": 5}, "box_min <= box_max <= size"),
    ({"box_max": 29}, "box_min <= box_max <= size"),
])
def test_bad_sampler_options_are_one_line_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MaskSampler(**kwargs)


def test_bad_sample_counts_and_random_fixed_masks_are_refused():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        MaskSampler().sample(0)
    with pytest.raises(ValueError, match="is random: draw it with MaskSampler"):
        fixed_mask("random-box")


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int64, np.float32, np.float64])
def test_check_masks_accepts_binary_masks_of_any_real_dtype(dtype):
    masks = MaskSampler("random", seed=0).sample(3)
    got = check_masks(masks.astype(dtype))
    assert got.dtype == np.float32 and got.shape == (3, 1, 28, 28)
    np.testing.assert_array_equal(got, masks)
    np.testing.assert_array_equal(check_masks(masks[:, 0].astype(dtype)), masks)  # (N, 28, 28)


@pytest.mark.parametrize("masks, n, message", [
    (np.zeros((3, 1, 28, 27)), None, r"masks must have shape \(N, 1, 28, 28\) or \(N, 28, 28\), got shape \(3, 1, 28, 27\)"),
    (np.zeros((28, 28)), None, r"got shape \(28, 28\)"),
    (np.zeros((3, 2, 28, 28)), None, r"got shape \(3, 2, 28, 28\)"),
    (np.zeros((3, 28, 28)), 4, "masks hold 3 masks for 4 images"),
    (np.zeros((0, 28, 28)), None, "masks is empty"),
    (np.full((2, 28, 28), 0.5), None, r"only 0 \(visible\) and 1 \(hidden\); 1568 values are neither, first 0.5 at index \(0, 0, 0, 0\)"),
    (np.full((2, 28, 28), 255, np.uint8), None, "1568 values are neither"),
    (np.full((2, 28, 28), np.nan), None, "values are neither"),
    (np.zeros((2, 28, 28), np.complex64), None, "must be bool, integer or float"),
    (np.zeros((2, 28, 28)).astype(str), None, "must be bool, integer or float"),
])
def test_check_masks_names_what_is_wrong(masks, n, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        check_masks(masks, n)
    assert "\n" not in str(info.value)
