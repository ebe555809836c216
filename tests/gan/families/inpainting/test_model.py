"""The inpainting encoder-decoder and discriminator: shapes, exact compositing, gradients, noise, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan
from minigan.gan import DCGANDiscriminator
from minigan.gan.families.inpainting import (NOISE_MODES, InpaintingDiscriminator, InpaintingGenerator, MaskSampler,
                                             build_inpainting_models)


def batch(n: int = 4, seed: int = 0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (n, 1, 28, 28)).astype(dtype)
    masks = MaskSampler("random", seed=seed).sample(n).astype(dtype)
    return images, masks


def n_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("unet", [True, False])
@pytest.mark.parametrize("noise", NOISE_MODES)
def test_every_variant_maps_images_and_masks_to_images(unet, noise):
    minigan.manual_seed(0)
    G = InpaintingGenerator(width=4, bottleneck=8, unet=unet, noise=noise)
    images, masks = batch()
    out = G(minigan.tensor(images), minigan.tensor(masks))
    assert out.shape == (4, 1, 28, 28) and out.dtype == np.float32
    assert np.abs(out.numpy()).max() <= 1.0
    G.eval()
    assert G(minigan.tensor(images[:1]), minigan.tensor(masks[:1])).shape == (1, 1, 28, 28)


def test_encoder_reaches_a_feature_vector_and_skips_join_features_of_the_same_size():
    G = InpaintingGenerator(width=4, bottleneck=8, unet=True, noise="none")
    shapes = {}
    for name in ("enc1", "enc2", "enc3", "enc4", "dec4", "dec3", "dec2"):
        getattr(G, name).register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, o.shape[1:]))
    G(*(minigan.tensor(a) for a in batch(2)))
    assert shapes == {"enc1": (4, 14, 14), "enc2": (8, 7, 7), "enc3": (16, 4, 4), "enc4": (8, 1, 1),
                      "dec4": (16, 4, 4), "dec3": (8, 7, 7), "dec2": (4, 14, 14)}
    assert G.dec3[0].in_channels == 32 and G.dec2[0].in_channels == 16 and G.dec1[0].in_channels == 8  # skips
    plain = InpaintingGenerator(width=4, bottleneck=8, unet=False, noise="none")
    assert plain.dec3[0].in_channels == 16 and plain.dec1[0].in_channels == 4
    assert [type(m).__name__ for m in G.enc1] == ["Conv2d", "LeakyReLU"]  # no BN on the first layer
    assert [type(m).__name__ for m in G.enc2] == ["Conv2d", "BatchNorm2d", "LeakyReLU"]
    assert [type(m).__name__ for m in G.dec4] == ["ConvTranspose2d", "BatchNorm2d", "ReLU"]
    assert [type(m).__name__ for m in InpaintingGenerator(4, 8, noise="dropout").dec4] == [
        "ConvTranspose2d", "BatchNorm2d", "ReLU", "Dropout"]
    assert type(G.dec1[1]).__name__ == "Tanh"


def test_dcgan_initialisation():
    minigan.manual_seed(0)
    G = InpaintingGenerator(width=32)
    weight = G.enc2[0].weight.numpy()
    assert abs(weight.std() - 0.02) < 0.002 and abs(weight.mean()) < 0.002
    assert np.all(G.enc2[0].bias.numpy() == 0)
    assert abs(G.dec4[1].weight.numpy().mean() - 1.0) < 0.01


@settings(max_examples=30)
@given(seed=st.integers(0, 1000), unet=st.booleans(), noise=st.sampled_from(NOISE_MODES),
       training=st.booleans())
def test_visible_pixels_are_the_inputs_bit_for_bit(seed, unet, noise, training):
    rng = np.random.default_rng(seed)
    images, masks = batch(3, seed)
    # Edge values where mask * G + (1 - mask) * x would go wrong bitwise: -0.0 (0 * G(x) can be +0.0) and ±1.
    specials = np.array([-0.0, 0.0, 1.0, -1.0, np.nextafter(np.float32(1), np.float32(0))], np.float32)
    pick = rng.random(images.shape) < 0.3
    images[pick] = rng.choice(specials, size=int(pick.sum()))
    minigan.manual_seed(seed)
    G = InpaintingGenerator(width=3, bottleneck=4, unet=unet, noise=noise).train(training)
    out = G(minigan.tensor(images), minigan.tensor(masks)).numpy()
    visible = masks == 0
    np.testing.assert_array_equal(out.view(np.uint32)[visible], images.view(np.uint32)[visible])
    raw = G.raw(minigan.tensor(images), minigan.tensor(masks)).numpy() if noise == "none" and not training else None
    if raw is not None:  # hidden pixels are the decoder's
        np.testing.assert_array_equal(out[~visible], raw[~visible])


def test_hidden_pixels_of_the_input_are_never_read():
    images, masks = batch(4)
    other = images.copy()
    other[masks == 1] = np.random.default_rng(1).uniform(-1, 1, int(masks.sum())).astype(np.float32)
    other[0, 0, masks[0, 0] == 1] = np.nan  # not even a NaN leaks
    G = InpaintingGenerator(width=4, bottleneck=8).eval()
    a = G(minigan.tensor(images), minigan.tensor(masks)).numpy()
    b = G(minigan.tensor(other), minigan.tensor(masks)).numpy()
    np.testing.assert_array_equal(a[masks == 1], b[masks == 1])


def pixel_inputs(images, masks, seed: int, k: int = 4):
    """x = images + P @ v for a few chosen pixels (k hidden, k visible): a float64 leaf `v` of 2k numbers
    that reaches both branches of the compositing, so gradcheck need not perturb all N*784 pixels."""
    rng = np.random.default_rng(seed)
    flat = masks.reshape(-1)
    chosen = np.concatenate([rng.choice(np.flatnonzero(flat == 1), k, replace=False),
                             rng.choice(np.flatnonzero(flat == 0), k, replace=False)])
    P = np.zeros((flat.size, 2 * k))
    P[chosen, np.arange(2 * k)] = 1.0
    v = minigan.tensor(rng.uniform(-0.1, 0.1, 2 * k), requires_grad=True)
    return v, lambda v: (minigan.tensor(images) + (minigan.tensor(P) @ v).reshape(*images.shape))


# eps 1e-7: the net is piecewise linear (LeakyReLU, ReLU), and with eps 1e-6 a few of its thousands of
# pre-activations cross a kink, which shows up as a 1e-3 relative error that shrinks with eps (a bug would not).
@settings(max_examples=4)
@given(width=st.integers(1, 2), n=st.integers(2, 3), unet=st.booleans(), noise=st.sampled_from(["none", "bottleneck"]),
       seed=st.integers(0, 100))
def test_gradcheck_through_the_tiny_encoder_decoder_and_the_compositing(width, n, unet, noise, seed):
    minigan.manual_seed(seed)
    G = InpaintingGenerator(width=width, bottleneck=2, unet=unet, noise=noise, noise_dim=2).double()
    images, masks = batch(n, seed, np.float64)
    v, to_images = pixel_inputs(images, masks, seed)
    m = minigan.tensor(masks)
    params = tuple(G.parameters())
    if noise == "bottleneck":
        z = minigan.tensor(np.random.default_rng(seed).standard_normal((n, 2)), requires_grad=True)
        minigan.gradcheck(lambda v, z, *ps: G(to_images(v), m, z), (v, z) + params, eps=1e-7, rtol=1e-4)
    else:
        minigan.gradcheck(lambda v, *ps: G(to_images(v), m), (v,) + params, eps=1e-7, rtol=1e-4)


def test_gradgradcheck_through_the_tiny_encoder_decoder():
    minigan.manual_seed(1)
    G = InpaintingGenerator(width=1, bottleneck=2, unet=True, noise="none").double()
    images, masks = batch(2, 1, np.float64)
    v, to_images = pixel_inputs(images, masks, 1, k=2)
    m = minigan.tensor(masks)
    some = (G.enc2[0].bias, G.dec3[1].weight, G.dec1[0].bias)
    minigan.gradgradcheck(lambda v, *ps: G(to_images(v), m), (v,) + some, eps=1e-7, rtol=1e-4)


def test_gradients_reach_visible_pixels_only_through_the_copy_and_the_encoder():
    G = InpaintingGenerator(width=2, bottleneck=2, noise="none").double()
    images, masks = batch(2, 0, np.float64)
    x = minigan.tensor(images, requires_grad=True)
    G(x, minigan.tensor(masks)).sum().backward()
    grad = x.grad.numpy()
    assert np.all(grad[masks == 1] == 0)  # hidden input pixels are not read
    assert np.all(grad[masks == 0] != 0)


def test_dropout_noise_acts_in_training_only():
    images, masks = batch(4)
    x, m = minigan.tensor(images), minigan.tensor(masks)
    G = InpaintingGenerator(width=4, bottleneck=8, noise="dropout")
    assert not np.array_equal(G(x, m).numpy(), G(x, m).numpy())
    G.eval()
    np.testing.assert_array_equal(G(x, m).numpy(), G(x, m).numpy())


def test_bottleneck_noise_is_an_input():
    images, masks = batch(4)
    x, m = minigan.tensor(images), minigan.tensor(masks)
    G = InpaintingGenerator(width=4, bottleneck=8, noise="bottleneck", noise_dim=5).eval()
    z1, z2 = (minigan.tensor(np.random.default_rng(s).standard_normal((4, 5)).astype(np.float32)) for s in (1, 2))
    np.testing.assert_array_equal(G(x, m, z1).numpy(), G(x, m, z1).numpy())
    assert not np.array_equal(G(x, m, z1).numpy(), G(x, m, z2).numpy())
    minigan.manual_seed(7)
    drawn = G(x, m).numpy()
    minigan.manual_seed(7)
    np.testing.assert_array_equal(G(x, m).numpy(), drawn)  # z from minigan's seeded generator
    with pytest.raises(ValueError, match=r"z must be \(4, 5\), got \(4, 3\)"):
        G(x, m, minigan.zeros(4, 3))
    with pytest.raises(ValueError, match="takes no z"):
        InpaintingGenerator(width=4, bottleneck=8, noise="none")(x, m, z1)


@pytest.mark.parametrize("kwargs, message", [
    ({"noise": "gaussian"}, "noise must be one of dropout, bottleneck, none"),
    ({"width": 0}, "width must be a positive integer"),
    ({"bottleneck": 2.5}, "bottleneck must be a positive integer"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ({"image_size": 32}, "built for 28x28"),
])
def test_bad_generator_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        InpaintingGenerator(**kwargs)


def test_images_and_masks_of_the_wrong_shape_are_refused():
    images, masks = batch(2)
    G = InpaintingGenerator(4, 8)
    with pytest.raises(ValueError, match=r"both be \(N, 1, 28, 28\), got images \(2, 1, 28, 28\) and masks \(2, 28, 28\)"):
        G(minigan.tensor(images), minigan.tensor(masks[:, 0]))
    with pytest.raises(ValueError, match=r"got images \(2, 1, 28, 28\) and masks \(1, 1, 28, 28\)"):
        G(minigan.tensor(images), minigan.tensor(masks[:1]))
    with pytest.raises(ValueError, match=r"got images \(2, 28, 28\)"):
        G(minigan.tensor(images[:, 0]), minigan.tensor(masks[:, 0]))
    G.eval()  # NumPy arrays are taken as they are
    np.testing.assert_array_equal(G(images, masks).numpy(), G(minigan.tensor(images), minigan.tensor(masks)).numpy())


def test_discriminator_is_the_dcgan_body_with_an_optional_class_head():
    minigan.manual_seed(0)
    D = InpaintingDiscriminator(width=8)
    assert n_params(D) == n_params(DCGANDiscriminator(width=8))
    x = minigan.tensor(batch(3)[0])
    assert D(x).shape == (3, 1)
    with pytest.raises(ValueError, match="no class head"):
        D.scores_and_classes(x)
    minigan.manual_seed(0)
    AC = InpaintingDiscriminator(width=8, num_classes=10)
    assert n_params(AC) == n_params(D) + 8 * 2 * 7 * 7 * 10 + 10
    scores, classes = AC.scores_and_classes(x)
    assert scores.shape == (3, 1) and classes.shape == (3, 10)
    np.testing.assert_allclose(scores.numpy(), AC(x).numpy(), rtol=1e-6)
    AC.load_state_dict({k: v for k, v in AC.state_dict().items()})  # keys are stable
    assert "classes.weight" in AC.state_dict() and "features.0.weight" in AC.state_dict()
    with pytest.raises(ValueError, match="num_classes must be a non-negative integer"):
        InpaintingDiscriminator(num_classes=-1)


def test_build_inpainting_models_passes_the_options_on():
    G, D = build_inpainting_models(4, 8, num_classes=10, unet=False, noise="bottleneck", noise_dim=3)
    assert (G.width, G.unet, G.noise, G.noise_dim, D.width, D.num_classes) == (4, False, "bottleneck", 3, 8, 10)
    assert "unet=False" in repr(G)


def test_matches_the_same_network_written_in_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    def down(cin, cout, k, s, p, bn):
        return tnn.Sequential(tnn.Conv2d(cin, cout, k, s, p), *([tnn.BatchNorm2d(cout)] if bn else []),
                              tnn.LeakyReLU(0.2))

    def up(cin, cout, k, s, p):
        return tnn.Sequential(tnn.ConvTranspose2d(cin, cout, k, s, p), tnn.BatchNorm2d(cout), tnn.ReLU())

    class TorchUNet(tnn.Module):
        def __init__(self, w, b):
            super().__init__()
            self.enc1, self.enc2 = down(2, w, 4, 2, 1, False), down(w, 2 * w, 4, 2, 1, True)
            self.enc3, self.enc4 = down(2 * w, 4 * w, 3, 2, 1, True), down(4 * w, b, 4, 1, 0, False)
            self.dec4, self.dec3, self.dec2 = up(b, 4 * w, 4, 1, 0), up(8 * w, 2 * w, 3, 2, 1), up(4 * w, w, 4, 2, 1)
            self.dec1 = tnn.Sequential(tnn.ConvTranspose2d(2 * w, 1, 4, 2, 1), tnn.Tanh())

        def forward(self, x, m):
            e1 = self.enc1(torch.cat([torch.where(m != 0, 0.0, x), m], 1))
            e2 = self.enc2(e1)
            e3 = self.enc3(e2)
            d = self.dec3(torch.cat([self.dec4(self.enc4(e3)), e3], 1))
            d = self.dec1(torch.cat([self.dec2(torch.cat([d, e2], 1)), e1], 1))
            return torch.where(m != 0, d, x)

    minigan.manual_seed(0)
    G = InpaintingGenerator(width=4, bottleneck=8, unet=True, noise="none").double()
    T = TorchUNet(4, 8).double()
    T.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in G.state_dict().items()})
    images, masks = batch(4, 0, np.float64)
    x = minigan.tensor(images, requires_grad=True)
    tx = torch.from_numpy(images.copy()).requires_grad_(True)
    for training in (True, False):
        G.train(training), T.train(training)
        out, tout = G(x, minigan.tensor(masks)), T(tx, torch.from_numpy(masks))
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-9, atol=1e-10)
    direction = np.random.default_rng(1).standard_normal(images.shape)
    (out * minigan.tensor(direction)).sum().backward()
    (tout * torch.from_numpy(direction)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    for name, p in G.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), dict(T.named_parameters())[name].grad.numpy(),
                                   rtol=1e-7, atol=1e-9, err_msg=name)
