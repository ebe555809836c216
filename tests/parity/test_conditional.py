"""Parity with PyTorch (CPU, float64) for what the conditional GANs add: second derivatives of
cross-entropy with integer targets, log_softmax and embedding, and the conditional models
(projection, concatenation and AC-GAN discriminators, the label-driven generator) with shared weights.

Skipped where torch is not installed; minigan itself never imports it.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

import minigan as mg  # noqa: E402
import minigan.nn.functional as F  # noqa: E402
from minigan.gan import build_loss  # noqa: E402
from minigan.gan.families.conditional.losses import ACGANLoss  # noqa: E402
from minigan.gan.families.conditional.models import (ACGANDiscriminator, ConcatDiscriminator,  # noqa: E402
                                                     ConditionalGenerator, ProjectionDiscriminator)

RTOL, ATOL = 1e-9, 1e-10


def _close(mine, theirs, what=""):
    a = mine.numpy() if isinstance(mine, mg.Tensor) else np.asarray(mine)
    b = theirs.detach().numpy()
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=what)


def _second_order_parity(mine, theirs, inputs, seed=0):
    """Value, gradient and the Hessian-vector product d<g(x), v>/dx of every input, against torch."""
    rng = np.random.default_rng(seed)
    mins = [mg.tensor(a, requires_grad=True) for a in inputs]
    tins = [torch.tensor(a, requires_grad=True) for a in inputs]
    my, ty = mine(*mins), theirs(*tins)
    _close(my, ty, "value")
    gy = rng.standard_normal(tuple(ty.shape))
    mg_grads = mg.grad(my, mins, mg.tensor(gy), create_graph=True)
    t_grads = torch.autograd.grad(ty, tins, torch.tensor(gy), create_graph=True)
    for i, (m, t) in enumerate(zip(mg_grads, t_grads)):
        _close(m, t, f"gradient of input {i}")
    vs = [rng.standard_normal(a.shape) for a in inputs]
    m_dot = sum((g * mg.tensor(v)).sum() for g, v in zip(mg_grads, vs))
    t_dot = sum((g * torch.tensor(v)).sum() for g, v in zip(t_grads, vs))
    m_hvp = mg.grad(m_dot, mins, allow_unused=True)
    t_hvp = torch.autograd.grad(t_dot, tins, allow_unused=True)
    for i, (a, m, t) in enumerate(zip(inputs, m_hvp, t_hvp)):
        # None: the gradient does not depend on that input (a piecewise-linear path); either side may say so
        m = np.zeros(a.shape) if m is None else m
        _close(m, torch.zeros(a.shape, dtype=torch.float64) if t is None else t, f"second derivative of input {i}")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [dict(), dict(weight=True), dict(label_smoothing=0.2),
                                     dict(weight=True, ignore_index=1)], ids=str)
def test_cross_entropy_integer_targets_second_order(reduction, options):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((6, 4)) * 3, rng.standard_normal((4, 4))
    target = np.array([0, 2, 3, 1, 2, 1])
    weight = rng.random(4) + 0.2 if options.get("weight") else None
    kw = {k: v for k, v in options.items() if k != "weight"}
    mw = None if weight is None else mg.tensor(weight)
    tw = None if weight is None else torch.tensor(weight)
    # through tanh and a linear head, so the loss is not linear in any input
    _second_order_parity(
        lambda a, b: F.cross_entropy(F.linear(F.tanh(a), b), mg.tensor(target), mw, reduction=reduction, **kw),
        lambda a, b: TF.cross_entropy(TF.linear(torch.tanh(a), b), torch.tensor(target), tw, reduction=reduction,
                                      **kw),
        [x, w])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_log_softmax_second_order(dim):
    x = np.random.default_rng(2).standard_normal((3, 4, 2)) * 4
    _second_order_parity(lambda a: F.log_softmax(a, dim=dim) ** 2, lambda a: TF.log_softmax(a, dim=dim) ** 2, [x])


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_second_order(padding_idx):
    rng = np.random.default_rng(3)
    idx = np.array([[0, 2, 4], [2, 2, 1]])
    w, h = rng.standard_normal((5, 3)), rng.standard_normal((2, 3, 3))
    _second_order_parity(lambda e, x: F.tanh(F.embedding(mg.tensor(idx), e, padding_idx) * x),
                         lambda e, x: torch.tanh(TF.embedding(torch.tensor(idx), e, padding_idx) * x), [w, h])


# ---- the conditional models against the same layers built from torch.nn ------------------------------


def _torch_dcgan_features(width, channels, image_size):
    s = image_size // 4
    return tnn.Sequential(tnn.Conv2d(channels, width, 4, 2, 1), tnn.LeakyReLU(0.2),
                          tnn.Conv2d(width, 2 * width, 4, 2, 1), tnn.BatchNorm2d(2 * width), tnn.LeakyReLU(0.2),
                          tnn.Flatten()), 2 * width * s * s


class _TorchProjection(tnn.Module):
    def __init__(self, width, num_classes, image_size):
        super().__init__()
        self.features, dim = _torch_dcgan_features(width, 1, image_size)
        self.linear, self.embed = tnn.Linear(dim, 1), tnn.Embedding(num_classes, dim)

    def forward(self, x, y):
        h = self.features(x)
        return self.linear(h) + (self.embed(y) * h).sum(1, keepdim=True)


class _TorchConcat(tnn.Module):
    def __init__(self, width, num_classes, image_size):
        super().__init__()
        self.num_classes = num_classes
        layers, dim = _torch_dcgan_features(width, 1 + num_classes, image_size)
        self.body = tnn.Module()
        self.body.net = tnn.Sequential(*layers, tnn.Linear(dim, 1))

    def forward(self, x, y):
        planes = TF.one_hot(y, self.num_classes).to(x.dtype)[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return self.body.net(torch.cat([x, planes], 1))


class _TorchACGAN(tnn.Module):
    def __init__(self, width, num_classes, image_size):
        super().__init__()
        self.features, dim = _torch_dcgan_features(width, 1, image_size)
        self.linear, self.classifier = tnn.Linear(dim, 1), tnn.Linear(dim, num_classes)

    def forward(self, x):
        h = self.features(x)
        return self.linear(h), self.classifier(h)


class _TorchGenerator(tnn.Module):
    def __init__(self, latent_dim, width, num_classes, image_size):
        super().__init__()
        s = image_size // 4
        self.embed = tnn.Embedding(num_classes, num_classes)
        self.body = tnn.Module()
        self.body.net = tnn.Sequential(
            tnn.Linear(latent_dim + num_classes, 2 * width * s * s), tnn.BatchNorm1d(2 * width * s * s), tnn.ReLU(),
            tnn.Unflatten(1, (2 * width, s, s)),
            tnn.ConvTranspose2d(2 * width, width, 4, 2, 1), tnn.BatchNorm2d(width), tnn.ReLU(),
            tnn.ConvTranspose2d(width, 1, 4, 2, 1), tnn.Tanh())

    def forward(self, z, y):
        return self.body.net(torch.cat([z, self.embed(y)], 1))


def _share(tmod, mmod):
    tmod.double()
    mmod.to(dtype="float64")
    mine = dict(mmod.state_dict())
    theirs = tmod.state_dict()
    assert set(mine) == set(theirs), f"parameter names differ: {sorted(set(mine) ^ set(theirs))}"
    mmod.load_state_dict({k: v.detach().numpy() for k, v in theirs.items()})


@pytest.mark.parametrize("name, mine, reference", [("cgan", ProjectionDiscriminator, _TorchProjection),
                                                   ("cgan-concat", ConcatDiscriminator, _TorchConcat),
                                                   ("acgan", ACGANDiscriminator, _TorchACGAN)])
def test_conditional_discriminators_match_torch(name, mine, reference):
    mD = mine(4, 10, image_size=8)
    tD = reference(4, 10, 8)
    _share(tD, mD)
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((5, 1, 8, 8)), np.array([0, 9, 3, 3, 7])
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mout = mD(mx) if name == "acgan" else mD(mx, mg.tensor(y))
    tout = tD(tx) if name == "acgan" else tD(tx, torch.tensor(y))
    mout, tout = (mout, tout) if name == "acgan" else ((mout,), (tout,))
    gys = [rng.standard_normal(tuple(t.shape)) for t in tout]
    for i, (m, t) in enumerate(zip(mout, tout)):
        _close(m, t, f"output {i}")
    sum((m * mg.tensor(g)).sum() for m, g in zip(mout, gys)).backward()
    sum((t * torch.tensor(g)).sum() for t, g in zip(tout, gys)).backward()
    _close(mx.grad, tx.grad, "input gradient")
    tparams = dict(tD.named_parameters())
    for pname, p in mD.named_parameters():
        _close(p.grad, tparams[pname].grad, f"gradient of {pname}")


def test_conditional_generator_matches_torch():
    mG = ConditionalGenerator(6, 4, 10, image_size=8)
    tG = _TorchGenerator(6, 4, 10, 8)
    _share(tG, mG)
    rng = np.random.default_rng(5)
    z, y = rng.standard_normal((4, 6)), np.array([1, 1, 8, 0])
    mz, tz = mg.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    mx, tx = mG(mz, mg.tensor(y)), tG(tz, torch.tensor(y))
    _close(mx, tx, "images")
    gy = rng.standard_normal(tuple(tx.shape))
    mx.backward(mg.tensor(gy))
    tx.backward(torch.tensor(gy))
    _close(mz.grad, tz.grad, "noise gradient")
    tparams = dict(tG.named_parameters())
    for pname, p in mG.named_parameters():
        _close(p.grad, tparams[pname].grad, f"gradient of {pname}")


# ---- the AC-GAN loss against the same sum written with torch -------------------------------------------


def _torch_adversarial(name):
    ones, zeros = torch.ones, torch.zeros
    if name == "bce":
        return (lambda s: TF.binary_cross_entropy_with_logits(s, ones(s.shape, dtype=s.dtype)),
                lambda s: TF.binary_cross_entropy_with_logits(s, zeros(s.shape, dtype=s.dtype)),
                lambda s: TF.binary_cross_entropy_with_logits(s, ones(s.shape, dtype=s.dtype)))
    if name == "lsgan":
        return (lambda s: 0.5 * ((s - 1) ** 2).mean(), lambda s: 0.5 * (s ** 2).mean(),
                lambda s: 0.5 * ((s - 1) ** 2).mean())
    return (lambda s: torch.relu(1 - s).mean(), lambda s: torch.relu(1 + s).mean(), lambda s: -s.mean())


@pytest.mark.parametrize("adversarial", ["bce", "lsgan", "hinge"])
@pytest.mark.parametrize("part", ["d_real", "d_fake", "g"])
def test_acgan_loss_matches_torch(adversarial, part):
    # the paper's loss (fakes' class term in D's loss too, fake_class_weight = class_weight)
    loss = ACGANLoss(build_loss(adversarial), class_weight=0.6, fake_class_weight=0.6)
    t_real, t_fake, t_g = _torch_adversarial(adversarial)
    t_adv = {"d_real": t_real, "d_fake": t_fake, "g": t_g}[part]
    rng = np.random.default_rng(6)
    scores, logits = rng.standard_normal((7, 1)) * 2, rng.standard_normal((7, 10)) * 2
    labels = rng.integers(0, 10, 7)
    _second_order_parity(
        lambda s, c: getattr(loss, part)(s, c, labels),
        lambda s, c: t_adv(s) + 0.6 * TF.cross_entropy(c, torch.tensor(labels)), [scores, logits])
