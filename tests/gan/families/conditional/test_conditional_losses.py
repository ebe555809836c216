"""minigan/gan/families/conditional/losses.py: AC-GAN = adversarial GANLoss + class_weight * cross-entropy, for
every unconditional loss; float64 gradchecks; label checks; the loss each conditional family builds."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigan as mg
from minigan.gan import BCELoss, HingeLoss, LSGANLoss, TrainConfig, WassersteinLoss, build_loss, get_family
from minigan.gan.families.conditional.losses import ACGANLoss, class_loss

ADVERSARIAL = [BCELoss(), BCELoss(g_loss="minimax", label_smoothing=0.1), LSGANLoss(), HingeLoss(), WassersteinLoss()]


def _t(a, requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _ce(logits, labels):
    shifted = logits - logits.max(1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return -logp[np.arange(len(labels)), labels].mean()


@st.composite
def _batch(draw):
    n, k = draw(st.integers(1, 5)), draw(st.integers(2, 10))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return (rng.standard_normal((n, 1)) * 2, rng.standard_normal((n, k)) * 2, rng.integers(0, k, n),
            rng.standard_normal((n, 1)) * 2, rng.standard_normal((n, k)) * 2, rng.integers(0, k, n))


@pytest.mark.parametrize("adversarial", ADVERSARIAL, ids=repr)
@given(batch=_batch(), weight=st.sampled_from([0.0, 0.5, 1.0, 3.0]), fake_weight=st.sampled_from([0.0, 0.5, 1.0]))
def test_acgan_loss_is_the_adversarial_loss_plus_weighted_class_cross_entropy(adversarial, batch, weight,
                                                                              fake_weight):
    rs, rc, ry, fs, fc, fy = batch
    loss = ACGANLoss(adversarial, class_weight=weight, fake_class_weight=fake_weight)
    d_real = loss.d_real(_t(rs), _t(rc), ry).item()
    d_fake = loss.d_fake(_t(fs), _t(fc), fy).item()
    g = loss.g(_t(fs), _t(fc), fy).item()
    np.testing.assert_allclose(d_real, adversarial.d_real(_t(rs)).item() + weight * _ce(rc, ry), rtol=1e-12)
    np.testing.assert_allclose(d_fake, adversarial.d_fake(_t(fs)).item() + fake_weight * _ce(fc, fy), rtol=1e-12)
    np.testing.assert_allclose(g, adversarial.g(_t(fs)).item() + weight * _ce(fc, fy), rtol=1e-12)
    d = loss.d(_t(rs), _t(rc), ry, _t(fs), _t(fc), fy).item()
    np.testing.assert_allclose(d, d_real + d_fake, rtol=1e-12)


@pytest.mark.parametrize("adversarial", ADVERSARIAL, ids=repr)
@given(batch=_batch())
def test_acgan_losses_gradcheck_and_gradgradcheck_float64(adversarial, batch):
    rs, rc, ry, fs, fc, fy = batch
    # keep hinge and relu-style kinks away from the finite-difference step
    rs, fs = rs + np.where(np.abs(np.abs(rs) - 1) < 0.05, 0.2, 0), fs + np.where(np.abs(np.abs(fs) - 1) < 0.05, 0.2, 0)
    loss = ACGANLoss(adversarial, class_weight=0.7, fake_class_weight=0.4)
    for fn, inputs in ((lambda s, c: loss.d_real(s, c, ry), (_t(rs), _t(rc))),
                       (lambda s, c: loss.d_fake(s, c, fy), (_t(fs), _t(fc))),
                       (lambda s, c: loss.g(s, c, fy), (_t(fs), _t(fc)))):
        assert mg.gradcheck(fn, inputs)
        assert mg.gradgradcheck(fn, inputs)


def test_class_gradient_pushes_toward_the_asked_class():
    """G's class term: lowering it raises the asked class's logit (the sign AC-GAN's G needs)."""
    logits = _t(np.zeros((2, 4)))
    ACGANLoss(HingeLoss()).g(_t(np.zeros((2, 1))), logits, np.array([1, 3])).backward()
    grad = logits.grad.numpy()
    assert grad[0, 1] < 0 and grad[1, 3] < 0 and np.all(np.delete(grad[0], 1) > 0)


@pytest.mark.parametrize("labels, error, match", [
    (np.array([0.0, 1.0, 2.0]), TypeError, r"ACGANLoss.g: labels must be integer class indices, got dtype float64"),
    (np.array([0, 1]), ValueError, r"ACGANLoss.g: labels of shape \(2,\) do not match class logits of shape "
                                   r"\(3, 10\); expected shape \(3,\)"),
    (np.array([[0], [1], [2]]), ValueError, r"labels of shape \(3, 1\)"),
    (np.array([0, 10, 2]), ValueError, r"ACGANLoss.g: label 10 is out of range for 10 classes"),
])
def test_bad_labels_into_the_loss_name_the_op_and_shapes(labels, error, match):
    with pytest.raises(error, match=match):
        ACGANLoss().g(_t(np.zeros((3, 1))), _t(np.zeros((3, 10))), labels)


def test_class_loss_errors_and_values():
    with pytest.raises(ValueError, match=r"class_loss: class logits must have shape \(N, num_classes\), got \(3,\)"):
        class_loss(_t(np.zeros(3)), np.array([0, 1, 2]))
    logits = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(class_loss(_t(logits), [2, 0, 1, 1]).item(), _ce(logits, [2, 0, 1, 1]), rtol=1e-12)


def test_options_config_and_repr():
    loss = ACGANLoss(build_loss("lsgan", lsgan_b=0.9), class_weight=0.25)
    assert isinstance(loss.adversarial, LSGANLoss) and loss.adversarial.b == 0.9
    assert loss.config() == {"loss": "lsgan", "a": 0.0, "b": 0.9, "c": 1.0, "class_weight": 0.25,
                             "fake_class_weight": 0.0}
    assert repr(loss) == "ACGANLoss(LSGANLoss(a=0.0, b=0.9, c=1.0), class_weight=0.25, fake_class_weight=0.0)"
    paper = ACGANLoss(build_loss("bce"), class_weight=0.5, fake_class_weight=0.5)
    assert (paper.class_weight, paper.fake_class_weight) == (0.5, 0.5)
    assert isinstance(ACGANLoss().adversarial, BCELoss)
    with pytest.raises(ValueError, match="class_weight must be a finite number >= 0"):
        ACGANLoss(build_loss("bce"), class_weight=-1)
    with pytest.raises(ValueError, match="class_weight must be a finite number >= 0"):
        ACGANLoss(class_weight=float("nan"))
    with pytest.raises(ValueError, match="fake_class_weight must be a finite number >= 0"):
        ACGANLoss(fake_class_weight=-0.5)
    with pytest.raises(TypeError, match="adversarial must be a GANLoss"):
        ACGANLoss("hinge")
    with pytest.raises(ValueError, match="unknown loss 'wasserstein-ish'"):
        build_loss("wasserstein-ish")


def test_the_acgan_family_wraps_the_adversarial_loss_with_its_options():
    adversarial = build_loss("lsgan", lsgan_b=0.9)
    config = TrainConfig(model="acgan", loss="lsgan", lsgan_b=0.9, class_weight=0.25,
                         fake_class_weight=0.75).resolved()
    assert config.options == {"class_weight": 0.25, "fake_class_weight": 0.75}
    loss = get_family("acgan").make_loss(adversarial, config)
    assert isinstance(loss, ACGANLoss) and loss.adversarial is adversarial
    assert (loss.class_weight, loss.fake_class_weight) == (0.25, 0.75)
    defaults = get_family("acgan").make_loss(adversarial, TrainConfig(model="acgan").resolved())
    assert (defaults.class_weight, defaults.fake_class_weight) == (1.0, 0.0)   # D's class term on reals only


@pytest.mark.parametrize("name", ["cgan", "cgan-concat"])
def test_the_cgan_families_use_the_adversarial_loss_as_it_is_and_take_no_class_weights(name):
    adversarial = build_loss("hinge")
    assert get_family(name).make_loss(adversarial, TrainConfig(model=name).resolved()) is adversarial
    for option in ("class_weight", "fake_class_weight"):
        flag = "--" + option.replace("_", "-")
        with pytest.raises(ValueError, match=f"{flag} does not apply to --model {name}"):
            TrainConfig(model=name, **{option: 2.0}).resolved()
