"""GAN objectives: values against their formulas (and PyTorch when installed), gradients, option checks."""
from __future__ import annotations

import numpy as np
import pytest

import minigan
from minigan.gan import BCELoss, HingeLoss, LSGANLoss, build_loss

REAL = np.array([[2.0], [-1.0], [0.5], [30.0]], dtype=np.float64)
FAKE = np.array([[-3.0], [0.2], [1.5], [-40.0]], dtype=np.float64)


def t(a, grad=False):
    return minigan.tensor(a, dtype="float64", requires_grad=grad)


def softplus(x):
    return np.logaddexp(0.0, x)


def close(value, expected):
    np.testing.assert_allclose(float(value.item()), expected, rtol=1e-10, atol=1e-12)


def test_bce_formulas():
    loss = BCELoss()
    # -log sigmoid(r) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f)
    close(loss.d_real(t(REAL)), softplus(-REAL).mean())
    close(loss.d_fake(t(FAKE)), softplus(FAKE).mean())
    close(loss.d(t(REAL), t(FAKE)), softplus(-REAL).mean() + softplus(FAKE).mean())
    close(loss.g(t(FAKE)), softplus(-FAKE).mean())                       # non-saturating: -log D(G(z))
    close(BCELoss("minimax").g(t(FAKE)), -softplus(FAKE).mean())         # minimax: log(1 - D(G(z)))


def test_one_sided_label_smoothing():
    loss = BCELoss(label_smoothing=0.1)
    target = 0.9
    expected = (target * softplus(-REAL) + (1 - target) * softplus(REAL)).mean()
    close(loss.d_real(t(REAL)), expected)
    close(loss.d_fake(t(FAKE)), softplus(FAKE).mean())  # fakes keep target 0


def test_lsgan_and_hinge_formulas():
    loss = LSGANLoss(a=-1.0, b=1.0, c=0.0)
    close(loss.d(t(REAL), t(FAKE)), 0.5 * ((REAL - 1) ** 2).mean() + 0.5 * ((FAKE + 1) ** 2).mean())
    close(loss.g(t(FAKE)), 0.5 * (FAKE ** 2).mean())
    close(LSGANLoss().d_fake(t(FAKE)), 0.5 * (FAKE ** 2).mean())
    hinge = HingeLoss()
    close(hinge.d(t(REAL), t(FAKE)), np.maximum(0, 1 - REAL).mean() + np.maximum(0, 1 + FAKE).mean())
    close(hinge.g(t(FAKE)), -FAKE.mean())


def test_minimax_gradient_vanishes_where_non_saturating_does_not():
    # When D confidently rejects a fake (logit -40), log(1 - D) is flat: the reason for the non-saturating loss.
    x = t([[-40.0]], grad=True)
    BCELoss("minimax").g(x).backward()
    minimax_grad = abs(float(x.grad.item()))
    y = t([[-40.0]], grad=True)
    BCELoss().g(y).backward()
    assert minimax_grad < 1e-15 and abs(float(y.grad.item()) + 1.0) < 1e-12


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    r, f = torch.tensor(REAL), torch.tensor(FAKE)
    close(BCELoss(label_smoothing=0.2).d(t(REAL), t(FAKE)),
          float(tf.binary_cross_entropy_with_logits(r, torch.full_like(r, 0.8))
                + tf.binary_cross_entropy_with_logits(f, torch.zeros_like(f))))
    close(BCELoss().g(t(FAKE)), float(tf.binary_cross_entropy_with_logits(f, torch.ones_like(f))))
    close(LSGANLoss().d(t(REAL), t(FAKE)),
          float(0.5 * tf.mse_loss(r, torch.ones_like(r)) + 0.5 * tf.mse_loss(f, torch.zeros_like(f))))
    # gradients too
    x = t(FAKE, grad=True)
    BCELoss().g(x).backward()
    tx = torch.tensor(FAKE, requires_grad=True)
    tf.binary_cross_entropy_with_logits(tx, torch.ones_like(tx)).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_float32_scores_give_float32_losses():
    scores = minigan.tensor(REAL.astype(np.float32))
    for loss in (BCELoss(), LSGANLoss(), HingeLoss()):
        assert loss.d(scores, scores).dtype == np.float32
        assert loss.g(scores).dtype == np.float32


def test_build_loss_checks_options():
    assert isinstance(build_loss("bce", g_loss="minimax"), BCELoss)
    assert isinstance(build_loss("lsgan", lsgan_b=0.9), LSGANLoss)
    assert isinstance(build_loss("hinge"), HingeLoss)
    with pytest.raises(ValueError, match="unknown loss 'wasserstein'"):
        build_loss("wasserstein")
    with pytest.raises(ValueError, match="g_loss must be one of"):
        build_loss("bce", g_loss="saturating")
    with pytest.raises(ValueError, match="applies to the bce loss only"):
        build_loss("hinge", g_loss="minimax")
    with pytest.raises(ValueError, match="label smoothing applies to the bce loss only"):
        build_loss("lsgan", label_smoothing=0.1)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        build_loss("bce", label_smoothing=1.0)
