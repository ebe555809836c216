"""minigan/gan/families/conditional/models.py (the cgan, cgan-concat and acgan families' models): shapes, the
label really conditions, DCGAN initialisation, label checks, float64 gradchecks of the label paths, and a smoke
check that each model trains (D learns the classes)."""
import numpy as np
import pytest

import minigan as mg
import minigan.nn as nn
from minigan import optim
from minigan.gan.core.penalties import gradient_penalty
from minigan.gan import build_loss, build_models, family_names, get_family
from minigan.gan.families.conditional.labels import is_conditional, uniform_labels
from minigan.gan.families.conditional.losses import ACGANLoss
from minigan.gan.families.conditional.models import (ACGANDiscriminator, ConcatDiscriminator, ConditionalGenerator,
                                                     ProjectionDiscriminator)

CONDITIONAL = ["cgan", "cgan-concat", "acgan"]
D_CLASSES = {"cgan": ProjectionDiscriminator, "cgan-concat": ConcatDiscriminator, "acgan": ACGANDiscriminator}


def small_models(name, latent_dim=100, width=64, image_size=28):
    """(G, D) of family `name` for images of `image_size` (the families build 28x28 ones)."""
    return (ConditionalGenerator(latent_dim, width, 10, image_size=image_size),
            D_CLASSES[name](width, 10, image_size=image_size))


@pytest.mark.parametrize("name", CONDITIONAL)
def test_registered_models_have_the_right_parts_and_shapes(name):
    assert name in family_names() and get_family(name).defaults == {"latent_dim": 100, "width": 64}
    G, D = build_models(name, latent_dim=12, width=8)
    assert isinstance(G, ConditionalGenerator) and isinstance(D, D_CLASSES[name])
    assert is_conditional(G) and G.num_classes == 10 and G.latent_dim == 12
    y = uniform_labels(6)
    x = G(mg.randn(6, 12), y)
    assert x.shape == (6, 1, 28, 28) and x.dtype == np.float32
    assert np.abs(x.numpy()).max() <= 1.0
    out = D(x) if name == "acgan" else D(x, y)
    if name == "acgan":
        assert [o.shape for o in out] == [(6, 1), (6, 10)]
    else:
        assert out.shape == (6, 1) and out.dtype == np.float32
    assert not is_conditional(build_models("dcgan", width=4)[0])


@pytest.mark.parametrize("label_code", ["embedding", "one-hot"])
def test_generator_output_depends_on_the_label(label_code):
    G = ConditionalGenerator(latent_dim=8, width=4, label_code=label_code, image_size=8).eval()
    z = mg.randn(10, 8)
    a = G(z, np.zeros(10, dtype=np.int64)).numpy()
    b = G(z, np.arange(10)).numpy()
    assert np.all(np.abs(a[1:] - b[1:]).reshape(9, -1).max(1) > 1e-4)
    np.testing.assert_array_equal(a[0], b[0])          # same noise, same label: the same image
    assert G.body.net[0].in_features == 8 + 10


@pytest.mark.parametrize("name", ["cgan", "cgan-concat"])
def test_discriminator_score_depends_on_the_label(name):
    _, D = small_models(name, width=4, image_size=8)
    D.eval()
    x = mg.randn(10, 1, 8, 8)
    s0, s1 = D(x, np.zeros(10, dtype=np.int64)).numpy(), D(x, np.arange(10)).numpy()
    assert np.all(np.abs(s0[1:] - s1[1:]) > 1e-7) and s0[0] == s1[0]


def test_projection_logit_is_psi_plus_the_inner_product():
    D = ProjectionDiscriminator(width=4, image_size=8).eval()
    x, y = mg.randn(5, 1, 8, 8), np.array([3, 0, 9, 3, 1])
    h = D.features(x).numpy()
    expected = h @ D.linear.weight.numpy().T + D.linear.bias.numpy() \
        + (D.embed.weight.numpy()[y] * h).sum(1, keepdims=True)
    np.testing.assert_allclose(D(x, y).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_concat_discriminator_is_the_dcgan_d_on_image_and_label_planes():
    """Its split first conv (image channels + one response map per class) equals the plain concatenation,
    in value and in every parameter's gradient."""
    D = ConcatDiscriminator(width=4, image_size=8).to(dtype="float64")
    x = mg.tensor(np.random.default_rng(3).standard_normal((6, 1, 8, 8)))
    y = np.array([0, 9, 4, 4, 2, 7])
    planes = np.broadcast_to(np.eye(10)[y][:, :, None, None], (6, 10, 8, 8)).copy()
    outs, grads = [], []
    for fn in (lambda: D(x, y), lambda: D.body(mg.concat([x, mg.tensor(planes)], 1))):
        D.zero_grad()
        out = fn()
        (out * mg.tensor(np.arange(6.0)[:, None])).sum().backward()
        outs.append(out.numpy())
        grads.append({n: p.grad.numpy().copy() for n, p in D.named_parameters()})
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-10, atol=1e-12)
    for name in grads[1]:
        np.testing.assert_allclose(grads[0][name], grads[1][name], rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", CONDITIONAL)
def test_dcgan_initialisation(name):
    """Conv, linear and the projection embedding N(0, 0.02), biases 0, BatchNorm gamma N(1, 0.02), beta 0;
    G's label embedding N(0, 1), the scale of the noise it sits beside."""
    mg.manual_seed(0)
    G, D = build_models(name)
    checked = 0
    for model in (G, D):
        for mname, module in model.named_modules():
            if not isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding, nn.BatchNorm1d,
                                       nn.BatchNorm2d)):
                continue
            w = module.weight.numpy()
            mean, std = (1.0, 0.02) if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) else \
                (0.0, 1.0) if (model is G and mname == "embed") else (0.0, 0.02)
            assert abs(w.mean() - mean) < 0.3 * std + 0.005 and abs(w.std() - std) < 0.3 * std, (mname, w.std())
            bias = getattr(module, "bias", None)
            assert bias is None or np.all(bias.numpy() == 0), mname
            checked += 1
    assert checked >= (9 if name == "acgan" else 8)


@pytest.mark.parametrize("name", CONDITIONAL)
@pytest.mark.parametrize("labels, error, match", [
    (np.array([0.0, 1.0, 2.0, 3.0]), TypeError, r"labels must be integer class indices, got dtype float64 of shape "
                                                r"\(4,\)"),
    (np.arange(4).reshape(4, 1), ValueError, r"labels of shape \(4, 1\) do not match .* expected shape \(4,\)"),
    (np.array([0, 1, 2]), ValueError, r"labels of shape \(3,\) do not match .* shape \(4, "),
    (np.array([0, 1, 10, 3]), ValueError, r"label 10 is out of range for 10 classes"),
    (np.array([0, -1, 2, 3]), ValueError, r"label -1 is out of range"),
    (None, TypeError, r"labels are required"),
])
def test_bad_labels_raise_naming_the_model_and_shapes(name, labels, error, match):
    G, D = small_models(name, latent_dim=6, width=4, image_size=8)
    with pytest.raises(error, match=f"ConditionalGenerator: {match}"):
        G(mg.randn(4, 6), labels)
    if name != "acgan":
        with pytest.raises(error, match=f"{type(D).__name__}: {match}"):
            D(mg.randn(4, 1, 8, 8), labels)


def test_bad_noise_and_images_and_options_are_named():
    G, D = small_models("cgan", latent_dim=6, width=4, image_size=8)
    with pytest.raises(ValueError, match=r"ConditionalGenerator: noise must have shape \(N, 6\), got \(4, 5\)"):
        G(mg.randn(4, 5), np.arange(4))
    with pytest.raises(ValueError, match=r"ProjectionDiscriminator: images must have shape \(N, 1, 8, 8\), got "
                                         r"\(4, 1, 28, 28\)"):
        D(mg.randn(4, 1, 28, 28), np.arange(4))
    with pytest.raises(ValueError, match="label_code must be one of"):
        ConditionalGenerator(label_code="binary")


def test_labels_may_be_tensors_lists_or_unsigned():
    G = ConditionalGenerator(latent_dim=4, width=4, image_size=8).eval()
    z = mg.randn(3, 4)
    ref = G(z, np.array([1, 2, 3])).numpy()
    for labels in (mg.tensor(np.array([1, 2, 3])), [1, 2, 3], np.array([1, 2, 3], dtype=np.uint8)):
        np.testing.assert_array_equal(G(z, labels).numpy(), ref)


@pytest.mark.parametrize("name", CONDITIONAL)
def test_discriminator_is_twice_differentiable_in_its_input_float64(name):
    """A gradient penalty (R1, WGAN-GP) differentiates D's input gradient again, label path included."""
    mg.manual_seed(1)
    _, D = small_models(name, width=2, image_size=4)
    D.to(dtype="float64").eval()
    y = np.array([2, 7])
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 1, 4, 4)), requires_grad=True)
    fn = (lambda a: D(a)[0] + D(a)[1].sum(1, keepdims=True)) if name == "acgan" else (lambda a: D(a, y))
    assert mg.gradcheck(fn, (x,))
    assert mg.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name, label_path", [("cgan", "embed.weight"), ("acgan", "linear.weight")])
def test_gradient_penalty_through_a_conditional_critic_reaches_its_label_path(name, label_path):
    """WGAN-GP on a conditional critic: the penalty's double backward goes through the projection's class
    vectors (bilinear in the features). The concat critic's label planes enter as biases before piecewise-linear
    layers, so its input gradient does not depend on their weights: no case for it here."""
    mg.manual_seed(3)
    _, D = small_models(name, width=4, image_size=8)
    D.to(dtype="float64").eval()
    y = np.array([1, 5, 5, 8])
    critic = (lambda a: D(a)[0]) if name == "acgan" else (lambda a: D(a, y))
    rng = np.random.default_rng(2)
    real, fake = (mg.tensor(rng.standard_normal((4, 1, 8, 8))) for _ in range(2))
    penalty = gradient_penalty(critic, real, fake, weight=10.0)
    penalty.backward()
    assert np.isfinite(penalty.item()) and penalty.item() > 0
    g = dict(D.named_parameters())[label_path].grad.numpy()
    assert np.isfinite(g).all()
    if name == "cgan":                     # exactly the asked classes' vectors move
        assert np.abs(g[[1, 5, 8]]).min() > 0 and np.all(g[[0, 2, 3, 4, 6, 7, 9]] == 0)
    else:
        assert np.abs(g).max() > 0


def test_generator_is_twice_differentiable_in_its_noise_float64():
    mg.manual_seed(2)
    G = ConditionalGenerator(latent_dim=3, width=2, image_size=4).to(dtype="float64").eval()
    z = mg.tensor(np.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
    assert mg.gradcheck(lambda a: G(a, np.array([4, 1])), (z,))
    assert mg.gradgradcheck(lambda a: G(a, np.array([4, 1])), (z,))


# ---- smoke: a few optimisation steps on synthetic data ----------------------------------------------


def _class_data(n, size=8, seed=0):
    """Class c = a fixed random +-1 pattern of its own plus noise: learnable in a few steps."""
    patterns = np.random.default_rng(99).choice([-1.0, 1.0], (10, 1, size, size)).astype(np.float32)
    y = np.arange(n) % 10
    noise = 0.3 * np.random.default_rng(seed).standard_normal((n, 1, size, size)).astype(np.float32)
    return np.clip(patterns[y] + noise, -1, 1), y


def _d_class_accuracy(name, D, x, y):
    """AC-GAN: the class head's argmax; cGAN: the label whose pairing D scores as the most real."""
    D.eval()
    with mg.no_grad():
        if name == "acgan":
            scores = D(x)[1].numpy()
        else:
            scores = np.concatenate([D(x, np.full(len(y), c)).numpy() for c in range(10)], 1)
    D.train()
    return float((scores.argmax(1) == y).mean())


@pytest.mark.parametrize("name", CONDITIONAL)
def test_each_model_trains_and_d_learns_the_classes(name):
    mg.manual_seed(0)
    G, D = small_models(name, latent_dim=8, width=8, image_size=8)
    loss = ACGANLoss(build_loss("bce")) if name == "acgan" else build_loss("bce")
    opt_g = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    xs, ys = _class_data(40)
    x, y = mg.tensor(xs), mg.tensor(ys)
    before = _d_class_accuracy(name, D, x, ys)
    g_before = G.body.net[0].weight.numpy().copy()
    for _ in range(15):
        fake_y = uniform_labels(40)
        fake = G(mg.randn(40, 8), fake_y)
        opt_d.zero_grad()
        if name == "acgan":
            d_loss = loss.d(*D(x), y, *D(fake.detach()), fake_y)
        else:
            d_loss = loss.d(D(x, y), D(fake.detach(), fake_y))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        g_loss = loss.g(*D(fake), fake_y) if name == "acgan" else loss.g(D(fake, fake_y))
        g_loss.backward()
        opt_g.step()
        assert np.isfinite(d_loss.item()) and np.isfinite(g_loss.item())
    after = _d_class_accuracy(name, D, x, ys)
    assert before <= 0.3 and after >= 0.5 and after >= before + 0.3, (before, after)
    assert not np.array_equal(G.body.net[0].weight.numpy(), g_before)
