"""Parity with PyTorch (CPU, float64) for the resampling, padding, block, activation and distance layers and
functions: forward, input gradient, parameter gradients and state_dict keys. Skipped without torch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

import minigan as mg  # noqa: E402
import minigan.nn as nn  # noqa: E402
import minigan.nn.functional as F  # noqa: E402

RTOL, ATOL = 1e-9, 1e-10
RNG = np.random.default_rng(0)
X4 = RNG.standard_normal((2, 4, 5, 6))
X3 = RNG.standard_normal((2, 4, 7))


def _close(mine, theirs, what):
    a = mine.numpy() if isinstance(mine, mg.Tensor) else np.asarray(mine)
    b = theirs.detach().numpy()
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=what)


def _function_parity(mine, theirs, *arrays):
    mx = [mg.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    my, ty = mine(*mx), theirs(*tx)
    _close(my, ty, "output")
    gy = np.random.default_rng(1).standard_normal(ty.shape)
    my.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    for i, (m, t) in enumerate(zip(mx, tx)):
        _close(m.grad, t.grad, f"grad of input {i}")


def _module_parity(mmod, tmod, x):
    tmod, mmod = tmod.double(), mmod.double()
    mmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})
    assert list(mmod.state_dict()) == list(tmod.state_dict())
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    my, ty = mmod(mx), tmod(tx)
    _close(my, ty, "output")
    gy = np.random.default_rng(1).standard_normal(ty.shape)
    my.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    _close(mx.grad, tx.grad, "input grad")
    tparams = dict(tmod.named_parameters())
    for name, p in mmod.named_parameters():
        _close(p.grad, tparams[name].grad, f"grad of {name}")


FUNCTIONS = {
    "nearest_scale": (lambda f, x: f.interpolate(x, scale_factor=(1.7, 0.6)), X4),
    "nearest_size": (lambda f, x: f.interpolate(x, size=(9, 4)), X4),
    "nearest_1d": (lambda f, x: f.interpolate(x, size=10), X3),
    "linear_1d": (lambda f, x: f.interpolate(x, scale_factor=1.5, mode="linear"), X3),
    "bilinear": (lambda f, x: f.interpolate(x, size=(8, 3), mode="bilinear"), X4),
    "bilinear_align": (lambda f, x: f.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True), X4),
    "adaptive_avg_pool2d": (lambda f, x: f.adaptive_avg_pool2d(x, (3, 4)), X4),
    "pixel_shuffle": (lambda f, x: f.pixel_shuffle(x, 2), X4),
    "pixel_unshuffle": (lambda f, x: f.pixel_unshuffle(x[:, :, :4], 2), X4),
    "pad_constant": (lambda f, x: f.pad(x, (1, -2, 2, 0), value=0.5), X4),
    "pad_reflect": (lambda f, x: f.pad(x, (2, 1, 3, 4), mode="reflect"), X4),
    "pad_replicate": (lambda f, x: f.pad(x, (2, 7, 0, 1), mode="replicate"), X4),
    "pad_circular": (lambda f, x: f.pad(x, (2, 3), mode="circular"), X3),
    "unfold": (lambda f, x: f.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), X4),
    "fold": (lambda f, x: f.fold(x.reshape(2, 4, 30), (6, 7), 2), X4),
    "elu": (lambda f, x: f.elu(x, 0.3), X4),
    "gelu": (lambda f, x: f.gelu(x * 3), X4),
    "gelu_tanh": (lambda f, x: f.gelu(x * 3, approximate="tanh"), X4),
    "silu": (lambda f, x: f.silu(x * 3), X4),
    "mish": (lambda f, x: f.mish(x * 3), X4),
    "hardtanh": (lambda f, x: f.hardtanh(x, -0.3, 0.6), X4),
    "normalize": (lambda f, x: f.normalize(x, p=1.5, dim=2), X4),
    "cosine_similarity": (lambda f, x: f.cosine_similarity(x, x.flip(0) if isinstance(x, torch.Tensor)
                                                            else x[::-1], dim=1), X4),
    "pairwise_distance": (lambda f, x: f.pairwise_distance(x[0], x[1]), X4),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_parity(name):
    fn, x = FUNCTIONS[name]
    _function_parity(lambda t: fn(F, t), lambda t: fn(TF, t), x)


def test_erf_parity():
    x = np.linspace(-6, 6, 241)
    _function_parity(mg.erf, torch.erf, x)
    _function_parity(lambda t: t.erf(), lambda t: t.erf(), x)


def test_conv1d_and_prelu_functional_parity():
    b = RNG.standard_normal(6)
    for kw in (dict(), dict(stride=2, padding=1, groups=2), dict(padding="same", dilation=2)):
        w = RNG.standard_normal((6, 4 // kw.get("groups", 1), 3))
        _function_parity(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw), X3, w, b)
    _function_parity(F.prelu, TF.prelu, X4, np.array([0.1, 0.2, 0.3, 0.4]))


MODULES = {
    "Conv1d": (lambda n: n.Conv1d(4, 6, 3, stride=2, padding=1), X3),
    "Conv1d_nobias_groups": (lambda n: n.Conv1d(4, 6, 2, groups=2, bias=False, dilation=2), X3),
    "PReLU": (lambda n: n.PReLU(4, init=0.1), X4),
    "PReLU_shared": (lambda n: n.PReLU(), X4),
    "ELU": (lambda n: n.ELU(alpha=0.5), X4),
    "GELU": (lambda n: n.GELU(), X4),
    "SiLU": (lambda n: n.SiLU(), X4),
    "Mish": (lambda n: n.Mish(), X4),
    "Hardtanh": (lambda n: n.Hardtanh(-0.5, 0.25), X4),
    "Upsample": (lambda n: n.Upsample(scale_factor=2), X4),
    "Upsample_bilinear": (lambda n: n.Upsample(size=(7, 9), mode="bilinear", align_corners=False), X4),
    "AdaptiveAvgPool2d": (lambda n: n.AdaptiveAvgPool2d((2, None)), X4),
    "PixelShuffle": (lambda n: n.PixelShuffle(2), X4),
    "PixelUnshuffle": (lambda n: n.PixelUnshuffle(1), X4),
    "ZeroPad2d": (lambda n: n.ZeroPad2d((1, 2, 3, 4)), X4),
    "ConstantPad2d": (lambda n: n.ConstantPad2d(2, 3.5), X4),
    "ReflectionPad2d": (lambda n: n.ReflectionPad2d((1, 2, 3, 4)), X4),
    "ReplicationPad2d": (lambda n: n.ReplicationPad2d(2), X4),
    "Unfold": (lambda n: n.Unfold(3, padding=1), X4),
    "Fold": (lambda n: n.Sequential(n.Unfold(2), n.Fold((5, 6), 2)), X4),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_parity(name):
    build, x = MODULES[name]
    torch.manual_seed(0)
    _module_parity(build(nn), build(tnn), x)
    assert repr(build(nn)) == repr(build(tnn))


def test_weight_norm_parity():
    for make, x, dim in ((lambda n: n.Linear(6, 3), X4, 0), (lambda n: n.Conv2d(4, 3, 3), X4, 1),
                         (lambda n: n.Conv2d(4, 3, 3), X4, None)):
        torch.manual_seed(0)
        tmod = torch.nn.utils.weight_norm(make(tnn).double(), dim=dim)
        mmod = nn.utils.weight_norm(make(nn), dim=dim)
        assert list(mmod.state_dict()) == ["bias", "weight_g", "weight_v"]
        assert mmod.weight_g.shape == tuple(tmod.weight_g.shape)
        _module_parity(mmod, tmod, x)
        torch.nn.utils.remove_weight_norm(tmod)
        nn.utils.remove_weight_norm(mmod)
        assert list(mmod.state_dict()) == list(tmod.state_dict())
        _close(mmod.weight, tmod.weight, "weight after remove_weight_norm")


def test_parameter_containers_state_dict_keys():
    class Mine(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.scales = n.ParameterList([n.Parameter(mg.ones(2)), n.Parameter(mg.ones(3))])
            self.gains = n.ParameterDict({"b": n.Parameter(mg.ones(1)), "a": n.Parameter(mg.ones(2))})

    class Theirs(tnn.Module):
        def __init__(self):
            super().__init__()
            self.scales = tnn.ParameterList([tnn.Parameter(torch.ones(2)), tnn.Parameter(torch.ones(3))])
            self.gains = tnn.ParameterDict({"b": tnn.Parameter(torch.ones(1)), "a": tnn.Parameter(torch.ones(2))})

    assert list(Mine(nn).state_dict()) == list(Theirs().state_dict())
    assert [p.shape for p in Mine(nn).parameters()] == [tuple(p.shape) for p in Theirs().parameters()]
