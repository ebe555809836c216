"""Losses: float64 gradchecks per reduction, extreme logits, NumPy references, argument errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigan as mg
import minigan.nn as nn
import minigan.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _t(a, requires_grad=True):
    return mg.tensor(np.asarray(a), requires_grad=requires_grad)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _check(fn, inputs):
    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


# ---- gradchecks of every loss, every reduction -------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_gradchecks(reduction):
    rng = _rng(1)
    x, t = _t(rng.standard_normal((3, 4)) * 2), _t(rng.random((3, 4)))
    _check(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction), (x, t))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_weighted_gradchecks(reduction):
    rng = _rng(2)
    x, t = _t(rng.standard_normal((3, 4)) * 2), _t(rng.random((3, 4)))
    w, pw = _t(rng.random((3, 4)) + 0.5, False), _t(rng.random(4) + 0.5, False)
    _check(lambda x, t: F.binary_cross_entropy_with_logits(x, t, w, reduction=reduction, pos_weight=pw), (x, t))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gradchecks_away_from_0_and_1(reduction):
    rng = _rng(3)
    p, t = _t(rng.uniform(0.1, 0.9, (3, 4))), _t(rng.random((3, 4)))
    _check(lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction), (p, t))
    w = _t(rng.random((3, 4)), False)
    _check(lambda p: F.binary_cross_entropy(p, t, w, reduction=reduction), (p,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_gradchecks(reduction):
    rng = _rng(4)
    x, t = _t(rng.standard_normal((3, 4))), _t(rng.standard_normal((3, 4)))
    _check(lambda x, t: F.mse_loss(x, t, reduction=reduction), (x, t))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_gradchecks_away_from_kinks(reduction):
    rng = _rng(5)
    t = rng.standard_normal((3, 4))
    x = t + rng.choice([-1, 1], (3, 4)) * rng.uniform(0.1, 1.0, (3, 4))
    _check(lambda x, t: F.l1_loss(x, t, reduction=reduction), (_t(x), _t(t)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_and_huber_gradchecks(reduction):
    rng = _rng(6)
    t = rng.standard_normal((3, 4))
    x = t + rng.choice([-1, 1], (3, 4)) * rng.choice([0.3, 2.0], (3, 4))
    _check(lambda x: F.smooth_l1_loss(x, _t(t, False), reduction=reduction), (_t(x),))
    _check(lambda x: F.huber_loss(x, _t(t, False), reduction=reduction, delta=0.8), (_t(x),))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_gradchecks(reduction, label_smoothing):
    rng = _rng(7)
    x = _t(rng.standard_normal((4, 3)))
    target = mg.tensor(np.array([0, 2, 1, 2]))
    w = _t(rng.random(3) + 0.5, False)
    _check(lambda x: F.cross_entropy(x, target, reduction=reduction, label_smoothing=label_smoothing), (x,))
    _check(lambda x: F.cross_entropy(x, target, w, reduction=reduction, label_smoothing=label_smoothing,
                                     ignore_index=1), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_and_probability_targets(reduction):
    rng = _rng(8)
    x = _t(rng.standard_normal((2, 3, 2, 2)))
    target = mg.tensor(rng.integers(0, 3, (2, 2, 2)))
    _check(lambda x: F.cross_entropy(x, target, reduction=reduction), (x,))
    probs = rng.random((4, 3))
    probs /= probs.sum(1, keepdims=True)
    x2 = _t(rng.standard_normal((4, 3)))
    _check(lambda x: F.cross_entropy(x, _t(probs, False), reduction=reduction), (x2,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_and_kl_gradchecks(reduction):
    rng = _rng(9)
    x = _t(rng.standard_normal((4, 3)))
    target = mg.tensor(np.array([1, 0, 2, 2]))
    _check(lambda x: F.nll_loss(F.log_softmax(x, 1), target, reduction=reduction), (x,))
    q = rng.random((4, 3))
    q /= q.sum(1, keepdims=True)
    _check(lambda x: F.kl_div(F.log_softmax(x, 1), _t(q, False), reduction=reduction), (x,))


# ---- extreme logits -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_extreme_logits(dtype):
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype=dtype)
    xt = mg.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(xt, mg.tensor(t), reduction="none")
    expected = np.array([0.0, 0.0, 1e4, 1e4, np.log(2.0)])
    assert np.all(np.isfinite(loss.numpy()))
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-6)
    loss.sum().backward()
    assert np.all(np.isfinite(xt.grad.numpy()))
    np.testing.assert_allclose(xt.grad.numpy(), [0.0, 0.0, 1.0, -1.0, -0.5], atol=1e-7)
    assert xt.grad.dtype == dtype
    # mean reduction and double backward stay finite as well
    xt2 = mg.tensor(x, requires_grad=True)
    m = F.binary_cross_entropy_with_logits(xt2, mg.tensor(t))
    (g,) = mg.grad(m, xt2, create_graph=True)
    (g * g).sum().backward()
    assert np.isfinite(m.item()) and np.all(np.isfinite(xt2.grad.numpy()))


def test_weighted_bce_with_logits_extreme_logits():
    x = mg.tensor(np.array([1e4, -1e4], np.float32), requires_grad=True)
    t = mg.tensor(np.array([0.0, 1.0], np.float32))
    loss = F.binary_cross_entropy_with_logits(x, t, pos_weight=mg.tensor(np.array([2.0], np.float32)),
                                              reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1e4, 2e4], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -2.0], atol=1e-6)


@pytest.mark.parametrize("logit", [1e4, -1e4])
def test_cross_entropy_extreme_logits(logit):
    x = mg.tensor(np.array([[logit, 0.0, 0.0]]), requires_grad=True)
    loss = F.cross_entropy(x, mg.tensor(np.array([1])))
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), max(logit, 0.0) + (np.log(2) if logit < 0 else 0.0), rtol=1e-9)
    loss.backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_bce_on_probabilities_clamps_log():
    p = mg.tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    t = mg.tensor(np.array([1.0, 0.0, 0.0, 1.0]))
    loss = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.numpy()))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(mg.tensor(np.array([1.5])), mg.tensor(np.array([1.0])))


# ---- values against NumPy -----------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-15, 15), st.floats(0, 1)), min_size=1, max_size=10))
def test_bce_with_logits_equals_naive_formula(pairs):
    x = np.array([p[0] for p in pairs])
    t = np.array([p[1] for p in pairs])
    s = 1 / (1 + np.exp(-x))
    naive = -(t * np.log(s) + (1 - t) * np.log(1 - s))
    ok = np.isfinite(naive)
    loss = F.binary_cross_entropy_with_logits(_t(x, False), _t(t, False), reduction="none").numpy()
    np.testing.assert_allclose(loss[ok], naive[ok], rtol=1e-7, atol=1e-9)
    mean = F.binary_cross_entropy_with_logits(_t(x, False), _t(t, False)).item()
    np.testing.assert_allclose(mean, loss.mean(), rtol=1e-12)


def test_regression_losses_match_numpy():
    rng = _rng(10)
    x, t = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    d = x - t
    np.testing.assert_allclose(F.mse_loss(_t(x), _t(t)).item(), (d ** 2).mean())
    np.testing.assert_allclose(F.mse_loss(_t(x), _t(t), reduction="sum").item(), (d ** 2).sum())
    np.testing.assert_allclose(F.l1_loss(_t(x), _t(t), reduction="none").numpy(), np.abs(d))
    ad = np.abs(d)
    np.testing.assert_allclose(F.smooth_l1_loss(_t(x), _t(t), beta=0.5).item(),
                               np.where(ad < 0.5, 0.5 * d ** 2 / 0.5, ad - 0.25).mean())


def test_cross_entropy_matches_numpy_with_weights_and_ignore_index():
    rng = _rng(11)
    x = rng.standard_normal((6, 4))
    target = np.array([0, 3, 1, 1, 2, 3])
    w = rng.random(4) + 0.1
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    keep = target != 3
    picked = -w[target] * logp[np.arange(6), target]
    ref = picked[keep].sum() / w[target][keep].sum()
    got = F.cross_entropy(_t(x), mg.tensor(target), _t(w, False), ignore_index=3).item()
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    none = F.cross_entropy(_t(x), mg.tensor(target), _t(w, False), ignore_index=3, reduction="none").numpy()
    np.testing.assert_allclose(none, np.where(keep, picked, 0.0), rtol=1e-12)


def test_float32_losses_stay_float32():
    x = mg.tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    t = mg.tensor(np.ones((4, 3), np.float32))
    for loss in (F.binary_cross_entropy_with_logits(x, t), F.mse_loss(x, t), F.l1_loss(x, t),
                 F.cross_entropy(x, mg.tensor(np.array([0, 1, 2, 0])))):
        assert loss.dtype == np.float32
        x.grad = None
        loss.backward()
        assert x.grad.dtype == np.float32


# ---- argument errors ------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [F.binary_cross_entropy_with_logits, F.mse_loss, F.l1_loss,
                                F.binary_cross_entropy])
def test_shape_mismatch_names_loss_and_shapes(fn):
    x = mg.tensor(np.full((4, 1), 0.5))
    t = mg.tensor(np.ones(4))
    with pytest.raises(ValueError) as info:
        fn(x, t)
    message = str(info.value)
    assert fn.__name__ in message and "(4,)" in message and "(4, 1)" in message


def test_bad_reduction_string():
    x = mg.tensor(np.zeros(3))
    for fn in (F.binary_cross_entropy_with_logits, F.mse_loss, F.l1_loss, F.binary_cross_entropy):
        with pytest.raises(ValueError, match="reduction"):
            fn(x, x, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(mg.tensor(np.zeros((2, 3))), mg.tensor(np.array([0, 1])), reduction="batch")


def test_cross_entropy_target_errors():
    x = mg.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        F.cross_entropy(x, mg.tensor(np.array([0, 1, 2])))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, mg.tensor(np.array([0, 3])))


def test_legacy_size_average_and_reduce_flags():
    x, t = _t(np.array([1.0, 2.0])), _t(np.array([0.0, 0.0]))
    assert F.mse_loss(x, t, size_average=False).item() == 5.0
    assert F.mse_loss(x, t, reduce=False).shape == (2,)


# ---- loss Modules -------------------------------------------------------------------------


def test_loss_modules():
    rng = _rng(12)
    x, t = _t(rng.standard_normal((3, 2))), _t(rng.random((3, 2)))
    assert nn.BCEWithLogitsLoss()(x, t).item() == F.binary_cross_entropy_with_logits(x, t).item()
    assert nn.MSELoss(reduction="sum")(x, t).item() == F.mse_loss(x, t, reduction="sum").item()
    assert nn.L1Loss()(x, t).item() == F.l1_loss(x, t).item()
    labels = mg.tensor(np.array([0, 1, 1]))
    ce = nn.CrossEntropyLoss(weight=mg.tensor(np.array([1.0, 2.0])), label_smoothing=0.1)
    assert ce(x, labels).item() == F.cross_entropy(x, labels, mg.tensor(np.array([1.0, 2.0])),
                                                   label_smoothing=0.1).item()
    assert "weight" in dict(ce.named_buffers())
    with pytest.raises(ValueError):
        nn.MSELoss(reduction="bogus")


def test_losses_on_device(device):
    rng = _rng(13)
    x = rng.standard_normal((6, 3)).astype(np.float32) * 3
    t = (rng.random((6, 3)) > 0.5).astype(np.float32)
    labels = np.array([0, 1, 2, 2, 1, 0])
    out = {}
    for dev in ("cpu", device):
        vals = []
        for loss in (lambda a: F.binary_cross_entropy_with_logits(a, mg.tensor(t, device=dev)),
                     lambda a: F.mse_loss(a, mg.tensor(t, device=dev)),
                     lambda a: F.cross_entropy(a, mg.tensor(labels, device=dev), label_smoothing=0.1)):
            xt = mg.tensor(x, device=dev, requires_grad=True)
            value = loss(xt)
            value.backward()
            assert value.device == mg.Device(dev) and xt.grad.dtype == np.float32
            vals += [value.numpy(), xt.grad.numpy()]
        out[dev] = vals
    for a, b in zip(out["cpu"], out[device]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
