"""inpaint(G, images, masks): eval mode, no graph, batches, exact visible pixels; validation and file loaders."""
from __future__ import annotations

import numpy as np
import pytest

import minigan
from minigan.gan import DCGANGenerator
from minigan.gan.families.inpainting import (InpaintingGenerator, MaskSampler, check_images, inpaint, load_images,
                                             load_masks, mask_images)


def data(n=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 1, 28, 28)).astype(np.float32), MaskSampler("random", seed=seed).sample(n)


@pytest.fixture
def G():
    minigan.manual_seed(0)
    G = InpaintingGenerator(width=4, bottleneck=8)
    G(*(minigan.tensor(a) for a in data(8, 3)))  # a training step's worth of BatchNorm statistics
    return G


def test_inpaint_is_eval_mode_batched_and_exact_on_visible_pixels(G):
    images, masks = data()
    out = inpaint(G, images, masks, batch_size=3)
    assert out.shape == (7, 1, 28, 28) and out.dtype == np.float32 and np.abs(out).max() <= 1
    np.testing.assert_array_equal(out[masks == 0], images[masks == 0])
    assert G.training  # restored
    G.eval()
    expected = G(minigan.tensor(images), minigan.tensor(masks)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)  # eval mode: running statistics, no dropout
    # other batch sizes: the same up to BLAS blocking (GEMMs of other sizes may round differently)
    np.testing.assert_allclose(inpaint(G, images, masks, batch_size=7), inpaint(G, images, masks, batch_size=2),
                               rtol=1e-5, atol=1e-6)
    assert not G.training


def test_inpaint_records_no_graph(G):
    images, masks = data(2)
    seen = []
    G.register_forward_hook(lambda m, i, o: seen.append(o.requires_grad))
    inpaint(G, images, masks)
    assert seen == [False]


def test_inpaint_accepts_uint8_images_and_bool_masks(G):
    images, masks = data(3)
    as_uint8 = np.rint((images + 1) * 127.5).astype(np.uint8)[:, 0]
    out = inpaint(G, as_uint8, masks.astype(bool)[:, 0])
    np.testing.assert_array_equal(out[masks == 0], (as_uint8[:, None].astype(np.float32) / 127.5 - 1)[masks == 0])


def test_bottleneck_noise_comes_from_the_seed_whatever_the_batch_size():
    G = InpaintingGenerator(width=4, bottleneck=8, noise="bottleneck", noise_dim=3)
    minigan.nn.init.normal_(G.dec4[0].weight, 0.0, 1.0)  # let the noise matter, as training would
    images, masks = data(5)
    a = inpaint(G, images, masks, seed=1, batch_size=2)
    np.testing.assert_allclose(a, inpaint(G, images, masks, seed=1, batch_size=5), rtol=1e-5, atol=1e-6)
    assert np.abs(a - inpaint(G, images, masks, seed=2)).max() > 1e-4  # 100x the batch-size tolerance


def test_an_unconditional_generator_is_refused(G):
    images, masks = data(2)
    with pytest.raises(TypeError, match="needs an inpainting generator .* got a DCGANGenerator"):
        inpaint(DCGANGenerator(latent_dim=8, width=4), images, masks)


@pytest.mark.parametrize("images, message", [
    (np.zeros((2, 1, 32, 32), np.float32), r"images must have shape \(N, 1, 28, 28\) or \(N, 28, 28\), got shape \(2, 1, 32, 32\)"),
    (np.zeros((2, 784), np.float32), r"flat \(N, 784\)"),
    (np.full((2, 28, 28), 1.0005, np.float32), r"must lie in \[-1, 1\] exactly .* got values in \[1.0005, 1.0005\]"),
    (np.full((2, 28, 28), 200.0), r"got values in \[200, 200\]"),
    (np.full((2, 28, 28), np.nan, np.float32), "NaN or infinite"),
    (np.zeros((2, 28, 28), np.int32), "must be float .* or uint8"),
    (np.zeros((0, 28, 28), np.float32), "images is empty"),
])
def test_bad_images_get_one_line_errors(G, images, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        inpaint(G, images, np.zeros((len(images), 28, 28)))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("masks, message", [
    (np.zeros((3, 1, 28, 28)), "masks hold 3 masks for 2 images"),
    (np.zeros((2, 14, 14)), r"masks must have shape \(N, 1, 28, 28\)"),
    (np.full((2, 28, 28), 2), "only 0 \\(visible\\) and 1 \\(hidden\\)"),
])
def test_bad_masks_get_one_line_errors(G, masks, message):
    with pytest.raises(ValueError, match=message):
        inpaint(G, np.zeros((2, 28, 28), np.float32), masks)


def test_bad_batch_size(G):
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        inpaint(G, *data(2), batch_size=0)


def test_check_images_keeps_float32_values_exactly():
    images, _ = data(3)
    images[0, 0, 0, :3] = [-1.0, 1.0, -0.0]
    out = check_images(images)
    np.testing.assert_array_equal(out.view(np.uint32), images.view(np.uint32))


def test_mask_images_fills_the_hidden_pixels():
    images, masks = data(3)
    out = mask_images(images, masks, fill=0.25)
    assert np.all(out[masks == 1] == 0.25)
    np.testing.assert_array_equal(out[masks == 0], images[masks == 0])


def test_loaders_read_npy_and_npz_and_check_like_inpaint(tmp_path):
    images, masks = data(4)
    np.save(tmp_path / "x.npy", images)
    np.save(tmp_path / "m.npy", masks.astype(np.uint8))
    np.savez(tmp_path / "both.npz", images=images, masks=masks)
    np.testing.assert_array_equal(load_images(tmp_path / "x.npy"), images)
    np.testing.assert_array_equal(load_masks(tmp_path / "m.npy", 4), masks)
    np.testing.assert_array_equal(load_images(tmp_path / "both.npz"), images)
    np.testing.assert_array_equal(load_masks(tmp_path / "both.npz"), masks)


def test_loader_errors_name_the_file(tmp_path):
    np.save(tmp_path / "big.npy", np.full((2, 28, 28), 3.0, np.float32))
    np.save(tmp_path / "half.npy", np.full((2, 28, 28), 0.5, np.float32))
    np.save(tmp_path / "wrong.npy", np.zeros((2, 27, 28), np.float32))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "two.npz", a=np.zeros(1), b=np.zeros(1))
    (tmp_path / "junk.npy").write_bytes(b"not an array")
    big, half, wrong = (str(tmp_path / f) for f in ("big.npy", "half.npy", "wrong.npy"))
    cases = [
        (lambda: load_images(big), f"images in {big} must lie in"),
        (lambda: load_masks(half), f"masks in {half} must hold only 0"),
        (lambda: load_masks(wrong), f"masks in {wrong} must have shape"),
        (lambda: load_images(wrong), f"images in {wrong} must have shape"),
        (lambda: load_masks(tmp_path / "half.npy", 3), "hold 2 masks for 3 images"),
        (lambda: load_images(tmp_path / "objects.npy"), "objects.npy: not a readable .npy/.npz array file"),
        (lambda: load_images(tmp_path / "junk.npy"), "junk.npy: not a readable"),
        (lambda: load_masks(tmp_path / "two.npz"), r"two.npz holds arrays \['a', 'b'\]; name the masks 'masks'"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message.replace("\\", "\\\\") if "[" not in message else message) as info:
            call()
        assert "\n" not in str(info.value)
    with pytest.raises(FileNotFoundError, match="masks file not found: .*nothing.npy"):
        load_masks(tmp_path / "nothing.npy")
