"""Inpainting losses: reconstruction on the hidden pixels only (L1, L2), gradients, the weighted G and D totals."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan
from minigan.gan import HingeLoss, LSGANLoss, build_loss
from minigan.gan.families.inpainting import InpaintingLoss, MaskSampler, reconstruction_loss
from minigan.gan import WassersteinLoss


def arrays(n=3, seed=0):
    rng = np.random.default_rng(seed)
    completed = rng.uniform(-1, 1, (n, 1, 28, 28))
    originals = rng.uniform(-1, 1, (n, 1, 28, 28))
    masks = MaskSampler("random", seed=seed).sample(n).astype(np.float64)
    return completed, originals, masks


@pytest.mark.parametrize("kind, power", [("l1", 1), ("l2", 2)])
def test_reconstruction_is_the_mean_error_over_hidden_pixels(kind, power):
    c, x, m = arrays()
    expected = (np.abs(c - x) ** power * m).sum() / m.sum()
    got = reconstruction_loss(minigan.tensor(c), minigan.tensor(x), minigan.tensor(m), kind)
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)
    # visible pixels do not count: change them all and the loss stays
    c2 = np.where(m == 0, 5.0, c)
    np.testing.assert_allclose(reconstruction_loss(minigan.tensor(c2), minigan.tensor(x), minigan.tensor(m), kind).item(),
                               expected, rtol=1e-12)


def test_reconstruction_without_hidden_pixels_is_zero_and_float32_stays_float32():
    c, x, m = (a.astype(np.float32) for a in arrays())
    assert reconstruction_loss(minigan.tensor(c), minigan.tensor(x), minigan.tensor(np.zeros_like(m))).item() == 0.0
    assert reconstruction_loss(minigan.tensor(c), minigan.tensor(x), minigan.tensor(m)).dtype == np.float32


@settings(max_examples=10)
@given(n=st.integers(1, 3), seed=st.integers(0, 1000), kind=st.sampled_from(["l1", "l2"]))
def test_reconstruction_gradcheck_and_gradgradcheck(n, seed, kind):
    # 4x4 crops keep the element-by-element finite differences small; the loss is shape-agnostic.
    c, x, m = (a[:, :, 10:14, 10:14].copy() for a in arrays(n, seed))
    m[0, 0, 0, 0] = 1.0  # at least one hidden pixel
    ct, xt = minigan.tensor(c, requires_grad=True), minigan.tensor(x, requires_grad=True)
    mt = minigan.tensor(m)
    minigan.gradcheck(lambda a, b: reconstruction_loss(a, b, mt, kind), (ct, xt))
    minigan.gradgradcheck(lambda a, b: reconstruction_loss(a, b, mt, kind), (ct, xt))


def test_reconstruction_refuses_mismatched_shapes_and_unknown_kinds():
    c, x, m = arrays()
    with pytest.raises(ValueError, match="must have one shape"):
        reconstruction_loss(minigan.tensor(c), minigan.tensor(x[:2]), minigan.tensor(m))
    with pytest.raises(ValueError, match="must be one of l1, l2, got 'l3'"):
        reconstruction_loss(minigan.tensor(c), minigan.tensor(x), minigan.tensor(m), "l3")


@pytest.mark.parametrize("adversarial", ["bce", "lsgan", "hinge", HingeLoss(), LSGANLoss(b=0.9), WassersteinLoss()])
def test_generator_total_is_the_weighted_sum_of_the_parts(adversarial):
    c, x, m = (minigan.tensor(a) for a in arrays())
    scores = minigan.tensor(np.random.default_rng(0).standard_normal((3, 1)))
    loss = InpaintingLoss(adversarial, reconstruction="l2", rec_weight=7.0, adv_weight=0.5)
    adv = build_loss(adversarial) if isinstance(adversarial, str) else adversarial
    total, parts = loss.generator(c, x, m, scores)
    assert set(parts) == {"rec", "adv"}
    np.testing.assert_allclose(parts["rec"].item(), reconstruction_loss(c, x, m, "l2").item())
    np.testing.assert_allclose(parts["adv"].item(), adv.g(scores).item())
    np.testing.assert_allclose(total.item(), 7.0 * parts["rec"].item() + 0.5 * parts["adv"].item(), rtol=1e-12)


def test_discriminator_total_and_the_class_terms():
    rng = np.random.default_rng(1)
    real, fake = (minigan.tensor(rng.standard_normal((4, 1))) for _ in range(2))
    real_cls, fake_cls = (minigan.tensor(rng.standard_normal((4, 10))) for _ in range(2))
    labels = minigan.tensor(np.array([0, 3, 9, 3]))
    loss = InpaintingLoss("bce", class_weight=0.25)
    adv = build_loss("bce")
    total, parts = loss.discriminator(real, fake)
    np.testing.assert_allclose(total.item(), adv.d(real, fake).item(), rtol=1e-12)
    total, parts = loss.discriminator(real, fake, real_cls, fake_cls, labels)
    ce = minigan.nn.functional.cross_entropy
    expected_class = ce(real_cls, labels).item() + ce(fake_cls, labels).item()
    np.testing.assert_allclose(parts["class"].item(), expected_class, rtol=1e-12)
    np.testing.assert_allclose(total.item(), adv.d(real, fake).item() + 0.25 * expected_class, rtol=1e-12)
    c, x, m = (minigan.tensor(a) for a in arrays(4))
    g_total, g_parts = loss.generator(c, x, m, fake, fake_cls, labels)
    np.testing.assert_allclose(g_parts["class"].item(), ce(fake_cls, labels).item(), rtol=1e-12)
    np.testing.assert_allclose(g_total.item(), 100 * g_parts["rec"].item() + g_parts["adv"].item()
                               + 0.25 * g_parts["class"].item(), rtol=1e-12)
    with pytest.raises(ValueError, match="pass both class logits and labels"):
        loss.generator(c, x, m, fake, fake_cls)


def test_defaults_and_bad_options():
    loss = InpaintingLoss()
    assert loss.config() == {"loss": "bce", "g_loss": "non-saturating", "label_smoothing": 0.0,
                             "reconstruction": "l1", "rec_weight": 100.0, "adv_weight": 1.0, "class_weight": 1.0}
    for kwargs, message in [({"rec_weight": -1.0}, "rec_weight must be a finite number >= 0"),
                            ({"adv_weight": float("nan")}, "adv_weight must be"),
                            ({"class_weight": float("inf")}, "class_weight must be"),
                            ({"reconstruction": "huber"}, "reconstruction must be one of l1, l2"),
                            ({"adversarial": "nonsense"}, "unknown loss 'nonsense'")]:
        with pytest.raises(ValueError, match=message):
            InpaintingLoss(**kwargs)
    with pytest.raises(TypeError, match="must be a GANLoss or a loss name"):
        InpaintingLoss(adversarial=3)
