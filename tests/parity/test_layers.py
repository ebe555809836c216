"""Parity with PyTorch (CPU, float64): forward and backward of every layer, every loss, and
optimiser trajectories, with shared weights. Skipped where torch is not installed.

PyTorch is only the reference here: minigan itself never imports it.
"""
import importlib.util

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

import minigan as mg  # noqa: E402
import minigan.nn as nn  # noqa: E402
import minigan.nn.functional as F  # noqa: E402
from minigan import optim  # noqa: E402
from minigan.nn import utils as nn_utils  # noqa: E402

RTOL, ATOL = 1e-9, 1e-10


def _close(mine, theirs, rtol=RTOL, atol=ATOL, what=""):
    a = mine.numpy() if isinstance(mine, mg.Tensor) else np.asarray(mine)
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def _pair_inputs(x, requires_grad=True):
    return mg.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=requires_grad)


def _share_weights(tmod, mmod):
    mmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})


def _module_parity(tmod, mmod, x, *, integer_input=False, train=True):
    """Same weights, same input: compare output, input gradient, parameter gradients and buffers."""
    tmod = tmod.double()
    _share_weights(tmod, mmod)
    tmod.train(train)
    mmod.train(train)
    if integer_input:
        mx, tx = mg.tensor(x), torch.tensor(x)
    else:
        mx, tx = _pair_inputs(x)
    ty, my = tmod(tx), mmod(mx)
    _close(my, ty, what="output")
    gy = np.random.default_rng(0).standard_normal(ty.shape)
    ty.backward(torch.tensor(gy))
    my.backward(mg.tensor(gy))
    if not integer_input:
        _close(mx.grad, tx.grad, what="input grad")
    tparams = dict(tmod.named_parameters())
    for name, p in mmod.named_parameters():
        _close(p.grad, tparams[name].grad, what=f"grad of {name}")
    tbufs = dict(tmod.named_buffers())
    for name, b in mmod.named_buffers():
        _close(b, tbufs[name], what=f"buffer {name}")


def _f64(cls, *args, **kwargs):
    return cls(*args, **kwargs, dtype="float64")


# ---- layers ---------------------------------------------------------------------------------


def test_linear():
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    _module_parity(tnn.Linear(3, 4), _f64(nn.Linear, 3, 4), x)
    _module_parity(tnn.Linear(3, 2, bias=False), _f64(nn.Linear, 3, 2, bias=False), x)


CONV_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    dict(padding=2, dilation=2, bias=False),
    dict(groups=2),
]


@pytest.mark.parametrize("kwargs", CONV_CASES, ids=str)
def test_conv2d(kwargs):
    x = np.random.default_rng(2).standard_normal((2, 4, 9, 8))
    _module_parity(tnn.Conv2d(4, 6, 3, **kwargs), _f64(nn.Conv2d, 4, 6, 3, **kwargs), x)


CONVT_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), bias=False),
    dict(stride=2, dilation=2, output_padding=1),
    dict(stride=2, padding=1, groups=2),
]


@pytest.mark.parametrize("kwargs", CONVT_CASES, ids=str)
def test_conv_transpose2d(kwargs):
    x = np.random.default_rng(3).standard_normal((2, 4, 5, 4))
    _module_parity(tnn.ConvTranspose2d(4, 6, 4, **kwargs), _f64(nn.ConvTranspose2d, 4, 6, 4, **kwargs), x)


def test_dcgan_generator_block_4x4_stride2():
    """The DCGAN shape: ConvTranspose2d(k=4, s=2, p=1) doubles the spatial size."""
    x = np.random.default_rng(4).standard_normal((3, 8, 7, 7))
    _module_parity(tnn.ConvTranspose2d(8, 4, 4, 2, 1, bias=False),
                   _f64(nn.ConvTranspose2d, 8, 4, 4, 2, 1, bias=False), x)
    _module_parity(tnn.Conv2d(8, 4, 4, 2, 1, bias=False), _f64(nn.Conv2d, 8, 4, 4, 2, 1, bias=False), x)


@pytest.mark.parametrize("shape", [(6, 3), (5, 3, 4)])
@pytest.mark.parametrize("kwargs", [dict(), dict(momentum=None), dict(affine=False), dict(momentum=0.3, eps=1e-3)],
                         ids=str)
def test_batchnorm1d_train_then_eval(shape, kwargs):
    rng = np.random.default_rng(5)
    tmod, mmod = tnn.BatchNorm1d(3, **kwargs).double(), _f64(nn.BatchNorm1d, 3, **kwargs)
    if tmod.affine:
        with torch.no_grad():
            tmod.weight.normal_()
            tmod.bias.normal_()
    _share_weights(tmod, mmod)
    for _ in range(3):  # running statistics accumulate identically
        x = rng.standard_normal(shape) * 2 + 1
        _module_parity(tmod, mmod, x, train=True)
        for mp in mmod.parameters():
            mp.grad = None
        tmod.zero_grad()
    _module_parity(tmod, mmod, rng.standard_normal(shape), train=False)


@pytest.mark.parametrize("kwargs", [dict(), dict(momentum=None), dict(affine=False)], ids=str)
def test_batchnorm2d_train_then_eval(kwargs):
    rng = np.random.default_rng(6)
    tmod, mmod = tnn.BatchNorm2d(3, **kwargs).double(), _f64(nn.BatchNorm2d, 3, **kwargs)
    if tmod.affine:
        with torch.no_grad():
            tmod.weight.normal_()
            tmod.bias.normal_()
    _share_weights(tmod, mmod)
    for _ in range(3):
        _module_parity(tmod, mmod, rng.standard_normal((4, 3, 5, 5)) * 3 - 1, train=True)
        for mp in mmod.parameters():
            mp.grad = None
        tmod.zero_grad()
    _module_parity(tmod, mmod, rng.standard_normal((2, 3, 5, 5)), train=False)


def test_batch_norm_double_backward_matches_torch():
    """A gradient penalty through training-mode batch norm: d/dparams of ||d out/d x||^2."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 3, 3, 3))
    g, b = rng.standard_normal(3), rng.standard_normal(3)
    results = []
    for lib, fn in ((mg, F.batch_norm), (torch, TF.batch_norm)):
        xt = lib.tensor(x, requires_grad=True)
        gt = lib.tensor(g, requires_grad=True)
        bt = lib.tensor(b, requires_grad=True)
        y = fn(xt, None, None, gt, bt, training=True)
        out = (y * y * y).sum() if lib is mg else (y ** 3).sum()
        grad = mg.grad if lib is mg else torch.autograd.grad
        (gx,) = grad(out, xt, create_graph=True)
        (gx * gx).sum().backward()
        results.append((xt.grad, gt.grad))
    _close(results[0][0], results[1][0], rtol=1e-8, atol=1e-9, what="d penalty / dx")
    _close(results[0][1], results[1][1], rtol=1e-8, atol=1e-9, what="d penalty / dgamma")


def test_dropout_p0_and_eval_are_identity():
    x = np.random.default_rng(8).standard_normal((4, 5))
    _module_parity(tnn.Dropout(0.0), nn.Dropout(0.0), x, train=True)
    _module_parity(tnn.Dropout(0.5), nn.Dropout(0.5), x, train=False)


@pytest.mark.parametrize("pair", [
    (lambda: tnn.LeakyReLU(0.2), lambda: nn.LeakyReLU(0.2)),
    (lambda: tnn.LeakyReLU(), lambda: nn.LeakyReLU()),
    (tnn.ReLU, nn.ReLU), (tnn.Tanh, nn.Tanh), (tnn.Sigmoid, nn.Sigmoid),
    (lambda: tnn.Softplus(beta=2, threshold=5), lambda: nn.Softplus(beta=2, threshold=5)),
    (lambda: tnn.Softmax(dim=1), lambda: nn.Softmax(dim=1)),
    (lambda: tnn.LogSoftmax(dim=1), lambda: nn.LogSoftmax(dim=1)),
], ids=lambda p: type(p[0]()).__name__)
def test_activations(pair):
    x = np.random.default_rng(9).standard_normal((4, 6)) * 4
    _module_parity(pair[0](), pair[1](), x)


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding(padding_idx):
    idx = np.array([[0, 2, 4], [2, 2, 1]])
    tmod = tnn.Embedding(5, 3, padding_idx=padding_idx)
    mmod = _f64(nn.Embedding, 5, 3, padding_idx=padding_idx)
    _module_parity(tmod, mmod, idx, integer_input=True)


def test_functional_layers_with_shared_weights():
    """The same layers through F, independent of the Module classes."""
    rng = np.random.default_rng(10)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
    mx, tx = _pair_inputs(x)
    mw, tw = _pair_inputs(w)
    mb, tb = _pair_inputs(b)
    my, ty = F.linear(mx, mw, mb), TF.linear(tx, tw, tb)
    _close(my, ty)
    my.sum().backward()
    ty.sum().backward()
    for m, t in ((mx, tx), (mw, tw), (mb, tb)):
        _close(m.grad, t.grad)
    for mf, tf in ((lambda v: F.leaky_relu(v, 0.2), lambda v: TF.leaky_relu(v, 0.2)), (F.log_sigmoid, TF.logsigmoid),
                   (lambda v: F.softplus(v), TF.softplus), (lambda v: F.layer_norm(v, (4,)),
                                                          lambda v: TF.layer_norm(v, (4,)))):
        mx, tx = _pair_inputs(x * 10)
        my, ty = mf(mx), tf(tx)
        _close(my, ty)
        (my * my).sum().backward()
        (ty * ty).sum().backward()
        _close(mx.grad, tx.grad)


@pytest.mark.skipif(importlib.util.find_spec("minigan.ops.pool") is None, reason="minigan.ops.pool not written yet")
@pytest.mark.parametrize("name, kwargs", [("max_pool2d", dict(kernel_size=2)),
                                          ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1))])
def test_pooling(name, kwargs):
    x = np.random.default_rng(11).standard_normal((2, 3, 6, 6))
    mx, tx = _pair_inputs(x)
    my, ty = getattr(F, name)(mx, **kwargs), getattr(TF, name)(tx, **kwargs)
    _close(my, ty)
    gy = np.random.default_rng(12).standard_normal(ty.shape)
    my.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    _close(mx.grad, tx.grad)


# ---- losses ---------------------------------------------------------------------------------


def _loss_parity(mine, theirs, inputs, constants=()):
    """Compare value, then gradients of every float input that requires grad."""
    mins = [mg.tensor(a, requires_grad=True) for a in inputs]
    tins = [torch.tensor(a, requires_grad=True) for a in inputs]
    mcon = [mg.tensor(c) if c is not None else None for c in constants]
    tcon = [torch.tensor(c) if c is not None else None for c in constants]
    ml, tl = mine(*mins, *mcon), theirs(*tins, *tcon)
    _close(ml, tl, what="loss")
    gy = np.random.default_rng(0).standard_normal(tuple(tl.shape))
    ml.backward(mg.tensor(gy))
    tl.backward(torch.tensor(gy))
    for i, (m, t) in enumerate(zip(mins, tins)):
        _close(m.grad, t.grad, what=f"grad of input {i}")


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    rng = np.random.default_rng(13)
    x, t = rng.standard_normal((4, 3)) * 5, rng.random((4, 3))
    _loss_parity(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
                 lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), [x, t])
    w, pw = rng.random((4, 3)), rng.random(3) * 3
    _loss_parity(lambda a, b, w, pw: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction, pos_weight=pw),
                 lambda a, b, w, pw: TF.binary_cross_entropy_with_logits(a, b, w, reduction=reduction, pos_weight=pw),
                 [x, t], [w, pw])


def test_bce_with_logits_extreme():
    x = np.array([1e4, -1e4, 1e4, -1e4, 50.0, -50.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 0.7])
    _loss_parity(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"),
                 lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction="none"), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce(reduction):
    rng = np.random.default_rng(14)
    p, t = rng.uniform(0.01, 0.99, (4, 3)), rng.random((4, 3))
    _loss_parity(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
                 lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), [p, t])
    w = rng.random((4, 3))
    _loss_parity(lambda a, w: F.binary_cross_entropy(a, mg.tensor(t), w, reduction=reduction),
                 lambda a, w: TF.binary_cross_entropy(a, torch.tensor(t), w, reduction=reduction), [p], [w])


def test_bce_saturated_probabilities():
    """log clamped at -100 and the gradient's denominator at 1e-12, as torch (gradients ~1e11: rtol 1e-6)."""
    p = np.array([0.0, 1.0, 1e-30, 1 - 1e-16])
    t = np.array([1.0, 0.0, 1.0, 0.0])
    mp, tp = _pair_inputs(p)
    ml = F.binary_cross_entropy(mp, mg.tensor(t), reduction="none")
    tl = TF.binary_cross_entropy(tp, torch.tensor(t), reduction="none")
    _close(ml, tl)
    ml.sum().backward()
    tl.sum().backward()
    _close(mp.grad, tp.grad, rtol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses(name, reduction):
    rng = np.random.default_rng(15)
    x, t = rng.standard_normal((5, 3)) * 2, rng.standard_normal((5, 3))
    _loss_parity(lambda a, b: getattr(F, name)(a, b, reduction=reduction),
                 lambda a, b: getattr(TF, name)(a, b, reduction=reduction), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [dict(), dict(weight=True), dict(ignore_index=2), dict(label_smoothing=0.15),
                                     dict(weight=True, ignore_index=0, label_smoothing=0.3)], ids=str)
def test_cross_entropy_and_nll(reduction, options):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((6, 4)) * 3
    target = np.array([0, 2, 3, 1, 2, 0])
    w = rng.random(4) + 0.2 if options.get("weight") else None
    kw = {k: v for k, v in options.items() if k != "weight"}
    _loss_parity(lambda a, w: F.cross_entropy(a, mg.tensor(target), w, reduction=reduction, **kw),
                 lambda a, w: TF.cross_entropy(a, torch.tensor(target), w, reduction=reduction, **kw), [x], [w])
    kw.pop("label_smoothing", None)
    _loss_parity(lambda a, w: F.nll_loss(F.log_softmax(a, 1), mg.tensor(target), w, reduction=reduction, **kw),
                 lambda a, w: TF.nll_loss(TF.log_softmax(a, 1), torch.tensor(target), w, reduction=reduction, **kw),
                 [x], [w])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_and_soft_targets(reduction):
    rng = np.random.default_rng(17)
    x = rng.standard_normal((2, 3, 4, 2))
    target = rng.integers(0, 3, (2, 4, 2))
    _loss_parity(lambda a: F.cross_entropy(a, mg.tensor(target), reduction=reduction, label_smoothing=0.1),
                 lambda a: TF.cross_entropy(a, torch.tensor(target), reduction=reduction, label_smoothing=0.1), [x])
    probs = rng.random((5, 3))
    probs /= probs.sum(1, keepdims=True)
    x2 = rng.standard_normal((5, 3))
    _loss_parity(lambda a, p: F.cross_entropy(a, p, reduction=reduction, label_smoothing=0.2),
                 lambda a, p: TF.cross_entropy(a, p, reduction=reduction, label_smoothing=0.2), [x2, probs])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_div(reduction):
    rng = np.random.default_rng(18)
    x = np.log(rng.dirichlet(np.ones(4), 3))
    q = rng.dirichlet(np.ones(4), 3)
    _loss_parity(lambda a, b: F.kl_div(a, b, reduction=reduction), lambda a, b: TF.kl_div(a, b, reduction=reduction),
                 [x, q])
    _loss_parity(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=True),
                 lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=True), [x, np.log(q)])
    # a zero target contributes 0 (torch's target gradient there is NaN; only the input's is compared)
    q[0, 1] = 0.0
    _loss_parity(lambda a: F.kl_div(a, mg.tensor(q), reduction=reduction),
                 lambda a: TF.kl_div(a, torch.tensor(q), reduction=reduction), [x])


# ---- optimisers -----------------------------------------------------------------------------


def _mlp_pair(seed=0):
    torch.manual_seed(seed)
    tmod = tnn.Sequential(tnn.Linear(4, 8), tnn.LeakyReLU(0.2), tnn.Linear(8, 1)).double()
    mmod = nn.Sequential(_f64(nn.Linear, 4, 8), nn.LeakyReLU(0.2), _f64(nn.Linear, 8, 1))
    _share_weights(tmod, mmod)
    return tmod, mmod


OPTIMIZERS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.2)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=2e-3, betas=(0.5, 0.999))),
    ("Adam", dict(lr=1e-2, weight_decay=1e-2, amsgrad=True)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=lambda v: str(v))
def test_optimizer_trajectories(name, kwargs):
    tmod, mmod = _mlp_pair()
    topt = getattr(torch.optim, name)(tmod.parameters(), **kwargs)
    mopt = getattr(optim, name)(mmod.parameters(), **kwargs)
    rng = np.random.default_rng(19)
    for _ in range(10):
        x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))
        topt.zero_grad()
        mopt.zero_grad()
        TF.mse_loss(tmod(torch.tensor(x)), torch.tensor(y)).backward()
        F.mse_loss(mmod(mg.tensor(x)), mg.tensor(y)).backward()
        topt.step()
        mopt.step()
    tparams = dict(tmod.named_parameters())
    for pname, p in mmod.named_parameters():
        _close(p, tparams[pname], rtol=1e-9, atol=1e-11, what=pname)
    # and the state has the same structure and values
    tsd, msd = topt.state_dict(), mopt.state_dict()
    assert [g["params"] for g in tsd["param_groups"]] == [g["params"] for g in msd["param_groups"]]
    for idx, tstate in tsd["state"].items():
        for key, value in tstate.items():
            if key == "step":
                assert int(value) == msd["state"][idx]["step"]
            elif value is not None:
                _close(msd["state"][idx][key], value, rtol=1e-9, atol=1e-12, what=f"state {idx}.{key}")


def test_optimizer_trajectory_float32():
    tmod, mmod = _mlp_pair(1)
    tmod.float()
    mmod.float()
    topt = torch.optim.Adam(tmod.parameters(), lr=1e-2, betas=(0.5, 0.999))
    mopt = optim.Adam(mmod.parameters(), lr=1e-2, betas=(0.5, 0.999))
    rng = np.random.default_rng(20)
    for _ in range(10):
        x = rng.standard_normal((16, 4)).astype(np.float32)
        y = rng.standard_normal((16, 1)).astype(np.float32)
        topt.zero_grad()
        mopt.zero_grad()
        TF.mse_loss(tmod(torch.tensor(x)), torch.tensor(y)).backward()
        F.mse_loss(mmod(mg.tensor(x)), mg.tensor(y)).backward()
        topt.step()
        mopt.step()
    tparams = dict(tmod.named_parameters())
    for pname, p in mmod.named_parameters():
        assert p.dtype == np.float32
        _close(p, tparams[pname], rtol=1e-4, atol=1e-5, what=pname)


def test_clip_grad_norm():
    tmod, mmod = _mlp_pair(2)
    x, y = np.random.default_rng(21).standard_normal((8, 4)), np.ones((8, 1))
    TF.mse_loss(tmod(torch.tensor(x)), torch.tensor(y)).backward()
    F.mse_loss(mmod(mg.tensor(x)), mg.tensor(y)).backward()
    for norm_type in (2.0, 1.0, float("inf")):
        tn = torch.nn.utils.clip_grad_norm_(tmod.parameters(), 0.1, norm_type=norm_type)
        mn = nn_utils.clip_grad_norm_(list(mmod.parameters()), 0.1, norm_type=norm_type)
        _close(mn, tn)
    tparams = dict(tmod.named_parameters())
    for pname, p in mmod.named_parameters():
        _close(p.grad, tparams[pname].grad)


# ---- the PyTorch-named tensor API: new ops, forward and backward ---------------------

_ZERO_MASK = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
_API_CASES = {
    "sin": (lambda m: m[0].sin(), lambda t: t[0].sin()),
    "cos": (lambda m: m[0].cos(), lambda t: t[0].cos()),
    "norm2_dim": (lambda m: m[0].norm(dim=1, keepdim=True), lambda t: t[0].norm(dim=1, keepdim=True)),
    "norm1": (lambda m: m[0].norm(p=1, dim=0), lambda t: t[0].norm(p=1, dim=0)),
    "norm_inf": (lambda m: m[0].norm(p=float("inf"), dim=1), lambda t: t[0].norm(p=float("inf"), dim=1)),
    "std_unbiased": (lambda m: m[0].std(dim=1, unbiased=True), lambda t: t[0].std(dim=1, unbiased=True)),
    "var_correction0": (lambda m: m[0].var(dim=0, correction=0), lambda t: t[0].var(dim=0, correction=0)),
    "sum_dim_keepdim": (lambda m: m[0].sum(dim=1, keepdim=True), lambda t: t[0].sum(dim=1, keepdim=True)),
    "mean_dims": (lambda m: m[0].mean(dim=(0, 1)), lambda t: t[0].mean(dim=(0, 1))),
    "max_dim": (lambda m: m[0].max(dim=1).values, lambda t: t[0].max(dim=1).values),
    "logsumexp": (lambda m: m[0].logsumexp(dim=1), lambda t: t[0].logsumexp(dim=1)),
    "softmax_dim": (lambda m: m[0].softmax(dim=0), lambda t: t[0].softmax(dim=0)),
    "log_softmax_dim": (lambda m: mg.log_softmax(m[0], dim=1), lambda t: torch.log_softmax(t[0], dim=1)),
    "cat_stack": (lambda m: mg.stack([mg.cat([m[0], m[1]], axis=1), mg.cat([m[1], m[0]], dim=1)], axis=0),
                  lambda t: torch.stack([torch.cat([t[0], t[1]], dim=1), torch.cat([t[1], t[0]], dim=1)], dim=0)),
    "einsum": (lambda m: mg.einsum("ij,kj->ik", m[0], m[1]), lambda t: torch.einsum("ij,kj->ik", t[0], t[1])),
    "einsum_sum": (lambda m: mg.einsum("ij,ij->j", m[0], m[1]), lambda t: torch.einsum("ij,ij->j", t[0], t[1])),
    "where": (lambda m: m[0].where(m[0].detach() > 0, m[1]), lambda t: t[0].where(t[0].detach() > 0, t[1])),
    "clamp_tensor": (lambda m: m[0].clamp(m[1] - 0.3, m[1] + 0.3), lambda t: t[0].clamp(t[1] - 0.3, t[1] + 0.3)),
    "clone_t": (lambda m: m[0].clone().t(), lambda t: t[0].clone().t()),
    # abs and the 2-norm at 0: subgradient 0 (row 0 and columns 0, 3 are zeroed)
    "abs_norm_at_0": (lambda m: (m[0] * mg.tensor(_ZERO_MASK)).abs() + (m[0] * mg.tensor(_ZERO_MASK)).norm(dim=1,
                      keepdim=True),
                      lambda t: (t[0] * torch.tensor(_ZERO_MASK)).abs() + (t[0] * torch.tensor(_ZERO_MASK)).norm(
                      dim=1, keepdim=True)),
}


def _setitem_m(m):
    y = m[0] * 2.0
    y[1] = m[1][0]
    y.mul_(m[0])
    return y


def _setitem_t(t):
    y = t[0] * 2.0
    y[1] = t[1][0]
    y.mul_(t[0])
    return y


_API_CASES["setitem_mul_"] = (_setitem_m, _setitem_t)


@pytest.mark.parametrize("name", sorted(_API_CASES))
def test_tensor_api_matches_torch(name):
    mine, theirs = _API_CASES[name]
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))]
    m = [mg.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    my, ty = mine(m), theirs(t)
    _close(my, ty, what=f"{name} forward")
    gy = rng.standard_normal(ty.shape)
    my.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    for i, (a, b) in enumerate(zip(m, t)):
        if b.grad is None:
            assert a.grad is None or not a.grad.numpy().any(), f"{name}: grad of input {i}"
        else:
            _close(a.grad, b.grad, what=f"{name} grad of input {i}")


def test_inplace_version_error_matches_torch():
    def run(lib, x):
        y = x.exp()
        y.mul_(2.0)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        return str(info.value)

    mine = run(mg, mg.tensor(np.ones(3), requires_grad=True))
    theirs = run(torch, torch.ones(3, dtype=torch.float64, requires_grad=True))
    for text in ("one of the variables needed for gradient computation has been modified by an inplace operation",
                 "is at version 1; expected version 0"):
        assert text in mine and text in theirs


# ---- minigan.autograd.functional against torch.autograd.functional -----------------------------
# Random functions: a chain of blocks, each (2, 3) -> (2, 3), from every op family
# (arith, reduce, shape, activation, linalg, conv, pool, normalization), mixing in a second input.

_W = np.random.default_rng(11).standard_normal((1, 1, 3, 3)) * 0.5
_BLOCKS = {
    "arith": (lambda x, y: x * y + x.sin() - (y * 0.5).exp(), lambda x, y: x * y + x.sin() - (y * 0.5).exp()),
    "reduce": (lambda x, y: x - x.logsumexp(dim=1, keepdim=True) + y.mean(dim=0),
               lambda x, y: x - x.logsumexp(dim=1, keepdim=True) + y.mean(dim=0)),
    "shape": (lambda x, y: mg.cat([x[:, 1:], y[:, :1]], dim=1).t().reshape(2, 3),
              lambda x, y: torch.cat([x[:, 1:], y[:, :1]], dim=1).t().reshape(2, 3)),
    "activation": (lambda x, y: x.tanh() + F.softplus(y) * x.softmax(dim=1),
                   lambda x, y: x.tanh() + TF.softplus(y) * x.softmax(dim=1)),
    "linalg": (lambda x, y: mg.einsum("ij,kj->ik", x, y) @ x, lambda x, y: torch.einsum("ij,kj->ik", x, y) @ x),
    "conv": (lambda x, y: F.conv2d((x * y).reshape(1, 1, 2, 3), mg.tensor(_W), padding=1).reshape(2, 3),
             lambda x, y: TF.conv2d((x * y).reshape(1, 1, 2, 3), torch.tensor(_W), padding=1).reshape(2, 3)),
    "pool": (lambda x, y: x + F.avg_pool2d(y.reshape(1, 1, 2, 3), 1).reshape(2, 3),
             lambda x, y: x + TF.avg_pool2d(y.reshape(1, 1, 2, 3), 1).reshape(2, 3)),
    "normalization": (lambda x, y: F.layer_norm(x * y, (3,)), lambda x, y: TF.layer_norm(x * y, (3,))),
}


def _chain(names, lib):
    side = 0 if lib == "mg" else 1

    def f(x, y):
        h = x
        for n in names:
            h = _BLOCKS[n][side](h, y)
        return h, (h * h).sum()
    return f


@pytest.mark.parametrize("seed", range(6))
def test_functional_transforms_match_torch(seed):
    import torch.autograd.functional as TAF

    from minigan.autograd import functional as MAF
    rng = np.random.default_rng(seed)
    names = [sorted(_BLOCKS)[(seed + k) % len(_BLOCKS)] for k in range(3)]
    names = list(rng.permutation(names))
    mf, tf = _chain(names, "mg"), _chain(names, "torch")
    xs = [rng.standard_normal((2, 3)) for _ in range(2)]
    vs = [rng.standard_normal((2, 3)) for _ in range(2)]
    m_in, t_in = tuple(mg.tensor(a) for a in xs), tuple(torch.tensor(a) for a in xs)
    m_v, t_v = tuple(mg.tensor(a) for a in vs), tuple(torch.tensor(a) for a in vs)
    what = "->".join(names)

    def close_nested(a, b, label):
        if isinstance(b, (tuple, list)):
            assert len(a) == len(b), label
            for i, (u, w) in enumerate(zip(a, b)):
                close_nested(u, w, f"{label}[{i}]")
        else:
            _close(a, b, rtol=1e-8, atol=1e-9, what=f"{what} {label}")

    close_nested(MAF.jacobian(mf, m_in), TAF.jacobian(tf, t_in), "jacobian")
    close_nested(MAF.vjp(mf, m_in, (m_v[0], mg.tensor(1.5))), TAF.vjp(tf, t_in, (t_v[0], torch.tensor(1.5,
                 dtype=torch.float64))), "vjp")
    close_nested(MAF.jvp(mf, m_in, m_v), TAF.jvp(tf, t_in, t_v), "jvp")
    scalar_m = lambda x, y: mf(x, y)[1]  # noqa: E731
    scalar_t = lambda x, y: tf(x, y)[1]  # noqa: E731
    close_nested(MAF.hessian(scalar_m, m_in), TAF.hessian(scalar_t, t_in), "hessian")
    close_nested(MAF.hvp(scalar_m, m_in, m_v), TAF.hvp(scalar_t, t_in, t_v), "hvp")
    close_nested(MAF.vhp(scalar_m, m_in, m_v), TAF.vhp(scalar_t, t_in, t_v), "vhp")
