"""Parity with PyTorch (CPU, float64) for the stabilisers' library parts: the per-sample norm layers,
spectral_norm, the learning-rate schedulers, RMSprop and the gradient penalties.
Skipped where torch is not installed; minigan itself never imports it.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

import minigan as mg  # noqa: E402
import minigan.nn as nn  # noqa: E402
import minigan.nn.functional as F  # noqa: E402
from minigan.gan.core.penalties import gradient_penalty, r1_penalty  # noqa: E402

from tests.parity.test_layers import _close, _share_weights  # noqa: E402  (the shared comparison helpers)


def _compare_grads_and_buffers(mmod, tmod):
    tparams = dict(tmod.named_parameters())
    assert [n for n, _ in mmod.named_parameters()] == list(tparams)
    for name, p in mmod.named_parameters():
        _close(p.grad, tparams[name].grad, what=f"grad of {name}")
    tbufs = dict(tmod.named_buffers())
    assert [n for n, _ in mmod.named_buffers()] == list(tbufs)
    for name, b in mmod.named_buffers():
        _close(b, tbufs[name], what=f"buffer {name}")


def _forward_backward_parity(mmod, tmod, x, steps=1):
    """Same weights; `steps` forwards and backwards of fresh inputs: outputs, input and parameter
    gradients, buffers (running statistics) after each."""
    tmod = tmod.double()
    _share_weights(tmod, mmod)
    assert list(mmod.state_dict()) == list(tmod.state_dict())
    rng = np.random.default_rng(0)
    for step in range(steps):
        xs = x * (1 + step) + step
        mx, tx = mg.tensor(xs, requires_grad=True), torch.tensor(xs, requires_grad=True)
        my, ty = mmod(mx), tmod(tx)
        _close(my, ty, what=f"output, step {step}")
        gy = rng.standard_normal(ty.shape)
        for m in (mmod, tmod):
            m.zero_grad()
        my.backward(mg.tensor(gy))
        ty.backward(torch.tensor(gy))
        _close(mx.grad, tx.grad, what=f"input grad, step {step}")
        _compare_grads_and_buffers(mmod, tmod)


def _randomise_affine(tmod, seed=5):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in tmod.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype))
    return tmod


# ---- norm layers --------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [dict(), dict(affine=True), dict(track_running_stats=True),
                                    dict(affine=True, track_running_stats=True, momentum=0.3),
                                    dict(track_running_stats=True, momentum=None)])
def test_instance_norm2d(kwargs):
    x = np.random.default_rng(1).standard_normal((3, 4, 3, 5))
    mmod = nn.InstanceNorm2d(4, **kwargs, dtype="float64")
    tmod = _randomise_affine(tnn.InstanceNorm2d(4, **kwargs))
    _forward_backward_parity(mmod, tmod, x, steps=3)
    mmod.eval(), tmod.eval()
    _forward_backward_parity(mmod, tmod, x)
    _forward_backward_parity(mmod, tmod, x[0])  # unbatched (C, H, W)


@pytest.mark.parametrize("groups, channels, shape", [(1, 4, (3, 4, 2, 3)), (2, 4, (2, 4, 3, 3)),
                                                     (4, 4, (2, 4, 5)), (3, 6, (4, 6))])
@pytest.mark.parametrize("kwargs", [dict(), dict(affine=False), dict(bias=False), dict(eps=1e-3)])
def test_group_norm(groups, channels, shape, kwargs):
    x = np.random.default_rng(2).standard_normal(shape)
    mmod = nn.GroupNorm(groups, channels, **kwargs, dtype="float64")
    tmod = _randomise_affine(tnn.GroupNorm(groups, channels, **kwargs))
    _forward_backward_parity(mmod, tmod, x, steps=2)
    assert repr(mmod) == repr(tmod)


@pytest.mark.parametrize("kwargs", [dict(), dict(bias=False), dict(elementwise_affine=False), dict(eps=1e-3)])
def test_layer_norm_module(kwargs):
    x = np.random.default_rng(3).standard_normal((3, 2, 4))
    mmod = nn.LayerNorm((2, 4), **kwargs, dtype="float64")
    tmod = _randomise_affine(tnn.LayerNorm((2, 4), **kwargs))
    _forward_backward_parity(mmod, tmod, x, steps=2)


def test_norms_double_backward():
    """Second derivatives (what a gradient penalty differentiates) agree with torch's."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 3, 3))
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    cases = [(lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: TF.group_norm(x, 2, w, b)),
             (lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
              lambda x, w, b: TF.instance_norm(x, weight=w, bias=b)),
             (lambda x, w, b: F.layer_norm(x, (3,), w[:3], b[:3]),
              lambda x, w, b: TF.layer_norm(x, (3,), w[:3], b[:3]))]
    for mine, theirs in cases:
        ms = [mg.tensor(a, requires_grad=True) for a in (x, w, b)]
        ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        mgx = mg.grad((mine(*ms) ** 3).sum(), ms[0], create_graph=True)[0]
        tgx = torch.autograd.grad((theirs(*ts) ** 3).sum(), ts[0], create_graph=True)[0]
        _close(mgx, tgx, what="first derivative")
        m2 = mg.grad((mgx * mgx).sum(), ms)
        t2 = torch.autograd.grad((tgx * tgx).sum(), ts)
        for a, b_, name in zip(m2, t2, ("x", "weight", "bias")):
            _close(a, b_, rtol=1e-8, atol=1e-9, what=f"second derivative w.r.t. {name}")


# ---- spectral norm --------------------------------------------------------------------------


@pytest.mark.parametrize("make, shape", [
    (lambda lib, **kw: lib.Linear(5, 3, **kw), (4, 5)),
    (lambda lib, **kw: lib.Conv2d(2, 4, 3, stride=2, padding=1, **kw), (2, 2, 5, 5)),
    (lambda lib, **kw: lib.ConvTranspose2d(3, 2, 4, stride=2, padding=1, **kw), (2, 3, 3, 3)),
])
@pytest.mark.parametrize("n_power_iterations", [1, 3])
def test_spectral_norm(make, shape, n_power_iterations):
    """u, v copied from torch; then several training forwards (one power iteration each), eval, remove."""
    from minigan.nn.utils import remove_spectral_norm, spectral_norm
    torch.manual_seed(0)
    tmod = tnn.utils.spectral_norm(make(tnn).double(), n_power_iterations=n_power_iterations)
    mmod = spectral_norm(make(nn, dtype="float64"), n_power_iterations=n_power_iterations)
    x = np.random.default_rng(5).standard_normal(shape)
    _forward_backward_parity(mmod, tmod, x, steps=4)  # outputs, grads of weight_orig and bias, u and v
    _close(mmod.weight, tmod.weight, what="normalised weight")
    mmod.eval(), tmod.eval()
    _forward_backward_parity(mmod, tmod, x, steps=2)
    tnn.utils.remove_spectral_norm(tmod)
    remove_spectral_norm(mmod)
    assert list(mmod.state_dict()) == list(tmod.state_dict())
    _close(mmod.weight, tmod.weight, what="weight after remove_spectral_norm")


# ---- gradient penalties ---------------------------------------------------------------------


def _conv_critic(lib, **kw):
    return lib.Sequential(lib.Conv2d(1, 4, 3, stride=2, padding=1, **kw), lib.LeakyReLU(0.2),
                          lib.Conv2d(4, 8, 3, stride=2, padding=1, **kw), lib.InstanceNorm2d(8, affine=True, **kw),
                          lib.LeakyReLU(0.2), lib.Flatten(), lib.Linear(8 * 2 * 2, 1, **kw))


def _torch_input_grad(critic, x):
    scores = critic(x)
    return torch.autograd.grad(scores, x, grad_outputs=torch.ones_like(scores), create_graph=True)[0]


@pytest.mark.parametrize("penalty", ["wgan-gp", "r1"])
def test_gradient_penalty_and_its_parameter_gradient(penalty):
    torch.manual_seed(0)
    tcritic = _randomise_affine(_conv_critic(tnn).double(), seed=7)
    with torch.no_grad():
        for p in tcritic.parameters():
            p.mul_(0.5)
    mcritic = _conv_critic(nn, dtype="float64")
    _share_weights(tcritic, mcritic)
    rng = np.random.default_rng(6)
    real, fake, alpha = rng.standard_normal((5, 1, 8, 8)), rng.standard_normal((5, 1, 8, 8)), rng.uniform(size=5)
    if penalty == "wgan-gp":
        mine = gradient_penalty(mcritic, mg.tensor(real), mg.tensor(fake), weight=10.0, alpha=alpha)
        a = torch.tensor(alpha).view(-1, 1, 1, 1)
        x_hat = (a * torch.tensor(real) + (1 - a) * torch.tensor(fake)).requires_grad_(True)
        g = _torch_input_grad(tcritic, x_hat)
        theirs = 10.0 * ((g.view(5, -1).norm(2, dim=1) - 1) ** 2).mean()
    else:
        mine = r1_penalty(mcritic, mg.tensor(real), gamma=10.0)
        g = _torch_input_grad(tcritic, torch.tensor(real, requires_grad=True))
        theirs = 5.0 * g.pow(2).view(5, -1).sum(1).mean()
    _close(mine, theirs, what="penalty")
    mine.backward()
    theirs.backward()
    tparams = dict(tcritic.named_parameters())
    for name, p in mcritic.named_parameters():
        tg = tparams[name].grad
        if p.grad is None:  # minigan leaves an unused gradient None where torch writes zeros
            assert tg is None or not tg.abs().max().item(), name
        else:
            _close(p.grad, tg, rtol=1e-8, atol=1e-10, what=f"penalty gradient w.r.t. {name}")


# ---- RMSprop --------------------------------------------------------------------------------


def _mlp(lib, **kw):
    return lib.Sequential(lib.Linear(4, 8, **kw), lib.LeakyReLU(0.2), lib.Linear(8, 1, **kw))


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=5e-3, alpha=0.9), dict(lr=1e-3, momentum=0.9),
                                    dict(lr=1e-3, centered=True), dict(lr=1e-3, centered=True, momentum=0.5,
                                                                       weight_decay=1e-2, eps=1e-6),
                                    dict(lr=1e-3, maximize=True, weight_decay=0.1)], ids=str)
def test_rmsprop_trajectory(kwargs):
    from minigan import optim
    torch.manual_seed(0)
    tmod, mmod = _mlp(tnn).double(), _mlp(nn, dtype="float64")
    _share_weights(tmod, mmod)
    topt, mopt = torch.optim.RMSprop(tmod.parameters(), **kwargs), optim.RMSprop(mmod.parameters(), **kwargs)
    rng = np.random.default_rng(8)
    for _ in range(12):
        x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))
        topt.zero_grad(), mopt.zero_grad()
        TF.mse_loss(tmod(torch.tensor(x)), torch.tensor(y)).backward()
        F.mse_loss(mmod(mg.tensor(x)), mg.tensor(y)).backward()
        topt.step(), mopt.step()
    tparams = dict(tmod.named_parameters())
    for name, p in mmod.named_parameters():
        _close(p, tparams[name], rtol=1e-9, atol=1e-11, what=name)
    tsd, msd = topt.state_dict(), mopt.state_dict()
    assert {k: v for k, v in tsd["param_groups"][0].items() if k not in ("capturable", "foreach",
                                                                         "differentiable")} == \
        msd["param_groups"][0]
    for idx, tstate in tsd["state"].items():
        assert set(tstate) == set(msd["state"][idx])
        for key, value in tstate.items():
            if key == "step":
                assert int(value) == msd["state"][idx]["step"] == 12
            else:
                _close(msd["state"][idx][key], value, rtol=1e-9, atol=1e-12, what=f"state {idx}.{key}")


# ---- learning-rate schedulers ---------------------------------------------------------------


class _Warmup:
    """A callable object: LambdaLR saves its __dict__ (a plain function is saved as None)."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.97)),
    ("CosineAnnealingLR", dict(T_max=40)),
    ("CosineAnnealingLR", dict(T_max=25, eta_min=1e-4)),  # 300 steps: six periods past T_max
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.6, total_iters=50)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 0.95 ** epoch * (1 + epoch % 3))),
    ("LambdaLR", dict(lr_lambda=_Warmup(30))),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=lambda v: str(v))
def test_lr_scheduler(name, kwargs):
    """Two parameter groups, 300 steps with the optimiser stepping in between; then a resume mid-way."""
    from minigan import optim
    from minigan.optim import lr_scheduler
    tmod, mmod = _mlp(tnn).double(), _mlp(nn, dtype="float64")

    def groups(mod):
        return [{"params": mod[0].parameters()}, {"params": mod[2].parameters(), "lr": 0.03}]
    topt, mopt = torch.optim.SGD(groups(tmod), lr=0.1), optim.SGD(groups(mmod), lr=0.1)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    msched = getattr(lr_scheduler, name)(mopt, **kwargs)
    assert msched.last_epoch == tsched.last_epoch == 0
    saved, history = None, []
    for step in range(300):
        assert msched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12, abs=1e-15), step
        assert [g["lr"] for g in mopt.param_groups] == pytest.approx([g["lr"] for g in topt.param_groups],
                                                                     rel=1e-12, abs=1e-15)
        topt.step(), mopt.step()
        tsched.step(), msched.step()
        history.append(tsched.get_last_lr())
        if step == 137:
            saved = (msched.state_dict(), [g["lr"] for g in mopt.param_groups])
    assert msched.last_epoch == tsched.last_epoch == 300
    # a fresh optimiser and scheduler resumed from the state after step 137 continue as torch did
    state, group_lrs = saved
    assert set(state) >= {"base_lrs", "last_epoch", "_step_count", "_last_lr"}
    mopt2 = optim.SGD(groups(_mlp(nn, dtype="float64")), lr=0.1)
    msched2 = getattr(lr_scheduler, name)(mopt2, **kwargs)
    msched2.load_state_dict(state)
    for g, lr in zip(mopt2.param_groups, group_lrs):  # the optimiser's own state_dict carries lr
        g["lr"] = lr
    for step in range(138, 300):
        msched2.step()
        assert msched2.get_last_lr() == pytest.approx(history[step], rel=1e-12, abs=1e-15), step
