"""Layers against NumPy references (and PyTorch when installed); gradchecks through the modules."""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan
from minigan import nn

F64 = "float64"


def t64(a, requires_grad=True):
    return minigan.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ---- NumPy references -------------------------------------------------------------------------

def conv2d_ref(x, w, b, stride, padding, dilation, groups):
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, ho, wo), dtype=np.float64)
    og = o // groups
    for g in range(groups):
        xs, ws = xp[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j])
    return out + (b[None, :, None, None] if b is not None else 0)


def conv_transpose2d_ref(x, w, b, stride, padding, output_padding, groups, dilation):
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    big = np.zeros((n, og * groups, (h - 1) * sh + dh * (kh - 1) + 1 + oph, (wd - 1) * sw + dw * (kw - 1) + 1 + opw))
    for g in range(groups):
        xs, ws = x[:, g * cg:(g + 1) * cg], w[g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                big[:, g * og:(g + 1) * og, i * dh:i * dh + sh * (h - 1) + 1:sh, j * dw:j * dw + sw * (wd - 1) + 1:sw] += \
                    np.einsum("nchw,co->nohw", xs, ws[:, :, i, j])
    ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    wo = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    out = big[:, :, ph:ph + ho, pw:pw + wo]
    return out + (b[None, :, None, None] if b is not None else 0)


def batch_norm_ref(x, mean_run, var_run, w, b, momentum, eps, n_tracked, training):
    """Returns (y, new_mean, new_var) following PyTorch, incl. momentum=None (cumulative average)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1, -1] + [1] * (x.ndim - 2)
    if training:
        mean, var = x.mean(axes), x.var(axes)
        count = x.size // x.shape[1]
        factor = 1.0 / n_tracked if momentum is None else momentum
        mean_run = (1 - factor) * mean_run + factor * mean
        var_run = (1 - factor) * var_run + factor * var * count / (count - 1)
    else:
        mean, var = mean_run, var_run
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if w is not None:
        y = y * w.reshape(shape) + b.reshape(shape)
    return y, mean_run, var_run


# ---- Linear ----------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(batch=st.lists(st.integers(1, 4), min_size=0, max_size=2), fin=st.integers(1, 6), fout=st.integers(1, 6),
       bias=st.booleans(), dtype=st.sampled_from(["float32", "float64"]))
def test_linear_matches_numpy(batch, fin, fout, bias, dtype):
    lin = nn.Linear(fin, fout, bias=bias, dtype=dtype)
    x = np.random.default_rng(0).standard_normal(tuple(batch) + (fin,)).astype(dtype)
    y = lin(minigan.tensor(x))
    ref = x.astype(np.float64) @ lin.weight.array.T.astype(np.float64) + (lin.bias.array if bias else 0)
    assert y.shape == tuple(batch) + (fout,) and y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y.array, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck_and_gradgradcheck_through_the_module(bias):
    lin = nn.Linear(3, 2, bias=bias, dtype=F64)
    x = t64(np.random.default_rng(1).standard_normal((4, 3)))
    params = tuple(lin.parameters())
    minigan.gradcheck(lambda x, *ps: lin(x), (x,) + params)
    minigan.gradgradcheck(lambda x, *ps: lin(x).tanh(), (x,) + params)


# ---- convolutions ---------------------------------------------------------------------------

conv_cfg = st.fixed_dictionaries({
    "groups": st.sampled_from([1, 2]), "cin_per": st.integers(1, 2), "cout_per": st.integers(1, 2),
    "k": st.tuples(st.integers(1, 3), st.integers(1, 3)), "stride": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "padding": st.tuples(st.integers(0, 2), st.integers(0, 2)),
    "dilation": st.tuples(st.integers(1, 2), st.integers(1, 2)), "bias": st.booleans(),
    "n": st.integers(1, 2), "h": st.integers(5, 7), "w": st.integers(5, 7)})  # sides >= 5: a 3-tap kernel dilated by 2 spans 5


@settings(max_examples=40, deadline=None)
@given(cfg=conv_cfg)
def test_conv2d_matches_numpy(cfg):
    g = cfg["groups"]
    conv = nn.Conv2d(g * cfg["cin_per"], g * cfg["cout_per"], cfg["k"], cfg["stride"], cfg["padding"],
                     cfg["dilation"], g, cfg["bias"], dtype=F64)
    assert conv.weight.shape == (g * cfg["cout_per"], cfg["cin_per"]) + cfg["k"]
    x = np.random.default_rng(2).standard_normal((cfg["n"], g * cfg["cin_per"], cfg["h"], cfg["w"]))
    y = conv(t64(x, requires_grad=False))
    ref = conv2d_ref(x, conv.weight.array, conv.bias.array if cfg["bias"] else None, conv.stride, conv.padding,
                     conv.dilation, g)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.array, ref, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(cfg=conv_cfg, op=st.tuples(st.integers(0, 1), st.integers(0, 1)))
def test_conv_transpose2d_matches_numpy(cfg, op):
    g = cfg["groups"]
    op = tuple(min(o, max(s, d) - 1) for o, s, d in zip(op, cfg["stride"], cfg["dilation"]))
    conv = nn.ConvTranspose2d(g * cfg["cin_per"], g * cfg["cout_per"], cfg["k"], cfg["stride"], cfg["padding"], op,
                              g, cfg["bias"], cfg["dilation"], dtype=F64)
    assert conv.weight.shape == (g * cfg["cin_per"], cfg["cout_per"]) + cfg["k"]
    x = np.random.default_rng(3).standard_normal((cfg["n"], g * cfg["cin_per"], cfg["h"], cfg["w"]))
    ref = conv_transpose2d_ref(x, conv.weight.array, conv.bias.array if cfg["bias"] else None, conv.stride,
                               conv.padding, op, g, conv.dilation)
    if min(ref.shape[2:]) <= 0:
        return
    y = conv(t64(x, requires_grad=False))
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.array, ref, rtol=1e-10, atol=1e-10)


def test_dcgan_shapes_and_output_size_argument():
    up = nn.ConvTranspose2d(128, 64, 4, 2, 1)
    assert up(minigan.randn(2, 128, 7, 7)).shape == (2, 64, 14, 14)
    down = nn.Conv2d(64, 128, 4, 2, 1)
    assert down(minigan.randn(2, 64, 14, 14)).shape == (2, 128, 7, 7)
    up3 = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    x = minigan.randn(1, 2, 5, 5)
    assert up3(x).shape == (1, 2, 9, 9)
    assert up3(x, output_size=(10, 10)).shape == (1, 2, 10, 10)
    assert up3(x, output_size=(1, 2, 10, 9)).shape == (1, 2, 10, 9)
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        up3(x, output_size=(11, 11))
    assert nn.Conv2d(2, 3, 3)(minigan.randn(2, 5, 5)).shape == (3, 3, 3)  # unbatched (C, H, W)
    with pytest.raises(ValueError, match="4-D"):
        nn.Conv2d(2, 3, 3)(minigan.randn(5, 5))


@pytest.mark.parametrize("k,d", [(3, 1), (4, 1), (3, 2), (2, 3)])
def test_conv2d_same_and_valid_padding(k, d):
    conv = nn.Conv2d(2, 3, k, padding="same", dilation=d, dtype=F64)
    x = np.random.default_rng(4).standard_normal((1, 2, 6, 7))
    y = conv(t64(x, requires_grad=False))
    assert y.shape == (1, 3, 6, 7)
    total = d * (k - 1)
    xp = np.pad(x, ((0, 0), (0, 0), (total // 2, total - total // 2), (total // 2, total - total // 2)))
    ref = conv2d_ref(xp, conv.weight.array, conv.bias.array, (1, 1), (0, 0), (d, d), 1)
    np.testing.assert_allclose(y.array, ref, rtol=1e-10, atol=1e-10)
    valid = nn.Conv2d(2, 3, k, padding="valid")
    assert valid(minigan.randn(1, 2, 6, 7)).shape == (1, 3, 7 - k, 8 - k)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding string"):
        nn.Conv2d(2, 3, 3, padding="full")


def test_conv_constructor_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="output padding must be smaller"):
        nn.ConvTranspose2d(2, 2, 3, stride=1, output_padding=1)
    with pytest.raises(NotImplementedError, match="padding_mode"):
        nn.Conv2d(2, 2, 3, padding_mode="reflect")


def test_conv_gradchecks_through_the_modules():
    rng = np.random.default_rng(5)
    conv = nn.Conv2d(2, 2, 3, stride=2, padding=1, dtype=F64)
    x = t64(rng.standard_normal((2, 2, 5, 5)))
    minigan.gradcheck(lambda x, w, b: conv(x), (x, conv.weight, conv.bias))
    up = nn.ConvTranspose2d(2, 1, 4, 2, 1, dtype=F64)
    x = t64(rng.standard_normal((1, 2, 3, 3)))
    minigan.gradcheck(lambda x, w, b: up(x), (x, up.weight, up.bias))
    minigan.gradgradcheck(lambda x, w: up(x).tanh(), (x, up.weight))


# ---- batch norm -------------------------------------------------------------------------------

@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("shape,cls", [((6, 3), nn.BatchNorm1d), ((4, 3, 5), nn.BatchNorm1d),
                                       ((4, 3, 2, 3), nn.BatchNorm2d)])
def test_batch_norm_running_stats_follow_a_numpy_reference(shape, cls, momentum):
    bn = cls(3, momentum=momentum, dtype=F64)
    rng = np.random.default_rng(6)
    bn.weight.array[...] = rng.uniform(0.5, 1.5, 3)
    bn.bias.array[...] = rng.uniform(-1, 1, 3)
    mean_run, var_run = np.zeros(3), np.ones(3)
    for step in range(1, 5):
        x = rng.standard_normal(shape) * 2 + 1
        y = bn(t64(x, requires_grad=False))
        ref, mean_run, var_run = batch_norm_ref(x, mean_run, var_run, bn.weight.array, bn.bias.array, momentum, 1e-5,
                                                step, True)
        np.testing.assert_allclose(y.array, ref, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(bn.running_mean.array, mean_run, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(bn.running_var.array, var_run, rtol=1e-12, atol=1e-12)
        assert bn.num_batches_tracked.item() == step and bn.num_batches_tracked.dtype == np.int64
    bn.eval()
    before = bn.running_mean.array.copy(), bn.running_var.array.copy()
    x = rng.standard_normal(shape)
    y = bn(t64(x, requires_grad=False))
    ref, _, _ = batch_norm_ref(x, mean_run, var_run, bn.weight.array, bn.bias.array, momentum, 1e-5, 0, False)
    np.testing.assert_allclose(y.array, ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(bn.running_mean.array, before[0])  # eval never updates
    np.testing.assert_array_equal(bn.running_var.array, before[1])
    assert bn.num_batches_tracked.item() == 4


def test_batch_norm_without_running_stats_or_affine():
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False, dtype=F64)
    assert list(bn.state_dict()) == [] and bn.weight is None and bn.running_mean is None
    x = np.random.default_rng(7).standard_normal((3, 2, 2, 2))
    for mode in (True, False):  # no running stats: batch statistics in eval too
        bn.train(mode)
        ref, _, _ = batch_norm_ref(x, np.zeros(2), np.ones(2), None, None, 0.1, 1e-5, 1, True)
        np.testing.assert_allclose(bn(t64(x, False)).array, ref, rtol=1e-9, atol=1e-9)
    bn = nn.BatchNorm1d(4, eps=1e-3, momentum=0.2)
    bn.reset_running_stats()
    assert repr(bn) == "BatchNorm1d(4, eps=0.001, momentum=0.2, affine=True, track_running_stats=True)"
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(2)(minigan.randn(3, 2))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(2)(minigan.randn(3, 2, 1, 1))
    with pytest.raises(ValueError, match="channels"):
        nn.BatchNorm1d(2)(minigan.randn(3, 5))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm2d_gradcheck_and_gradgradcheck_through_the_module(training):
    bn = nn.BatchNorm2d(2, dtype=F64)
    rng = np.random.default_rng(8)
    bn.weight.array[...] = rng.uniform(0.5, 1.5, 2)
    bn.bias.array[...] = rng.uniform(-1, 1, 2)
    bn.running_mean.array[...] = rng.uniform(-0.5, 0.5, 2)
    bn.running_var.array[...] = rng.uniform(0.5, 2.0, 2)
    bn.train(training)
    x = t64(rng.standard_normal((3, 2, 2, 2)))
    minigan.gradcheck(lambda x, w, b: bn(x), (x, bn.weight, bn.bias))
    minigan.gradgradcheck(lambda x, w, b: bn(x), (x, bn.weight, bn.bias))


# ---- dropout, embedding, activations, flatten --------------------------------------------------

def test_dropout_train_and_eval():
    minigan.manual_seed(0)
    drop = nn.Dropout(0.3)
    x = minigan.ones(200, 500)
    y = drop(x).array
    kept = y != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    drop.eval()
    assert np.array_equal(drop(x).array, x.array)
    assert np.array_equal(nn.Dropout(0.0)(x).array, x.array)
    assert np.all(nn.Dropout(1.0)(x).array == 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    minigan.manual_seed(3)
    a = nn.Dropout()(x).array
    minigan.manual_seed(3)
    assert np.array_equal(a, nn.Dropout()(x).array)  # masks come from the seeded generator


def test_embedding_lookup_padding_and_from_pretrained():
    emb = nn.Embedding(6, 3, padding_idx=-1)
    assert emb.padding_idx == 5 and np.all(emb.weight.array[5] == 0)
    idx = minigan.tensor(np.array([[0, 5, 2], [2, 2, 1]]))
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.array, emb.weight.array[idx.array])
    (out * minigan.randn(2, 3, 3)).sum().backward()
    assert np.all(emb.weight.grad.array[5] == 0) and np.all(emb.weight.grad.array[[3, 4]] == 0)
    assert np.all(emb.weight.grad.array[2] != 0)
    pre = nn.Embedding.from_pretrained(np.eye(4, dtype=np.float32))
    assert not pre.weight.requires_grad
    np.testing.assert_array_equal(pre(minigan.tensor(np.array([3]))).array, [[0, 0, 0, 1]])
    with pytest.raises(ValueError, match="within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


def test_activations_match_numpy():
    x = np.linspace(-4, 4, 17)
    t = minigan.tensor(x)
    np.testing.assert_allclose(nn.ReLU()(t).array, np.maximum(x, 0))
    np.testing.assert_allclose(nn.LeakyReLU()(t).array, np.where(x > 0, x, 0.01 * x))
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(t).array, np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(nn.Tanh()(t).array, np.tanh(x), rtol=1e-12)
    np.testing.assert_allclose(nn.Sigmoid()(t).array, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(nn.Softplus(beta=2)(t).array, np.log1p(np.exp(2 * x)) / 2, rtol=1e-12)
    m = np.arange(6.0).reshape(2, 3)
    sm = np.exp(m) / np.exp(m).sum(1, keepdims=True)
    np.testing.assert_allclose(nn.Softmax(dim=1)(minigan.tensor(m)).array, sm, rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(minigan.tensor(m)).array, np.log(sm), rtol=1e-12)
    assert nn.Identity(3, foo=1)(t) is t
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)" and repr(nn.ReLU()) == "ReLU()"


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=5), data=st.data())
def test_flatten_unflatten_round_trip(shape, data):
    nd = len(shape)
    start = data.draw(st.integers(-nd, nd - 1))
    end = data.draw(st.integers(-nd, nd - 1))
    s, e = start % nd, end % nd
    x = minigan.tensor(np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape))
    if s > e:
        return
    y = nn.Flatten(start, end)(x)
    expected = tuple(shape[:s]) + (int(np.prod(shape[s:e + 1])),) + tuple(shape[e + 1:])
    assert y.shape == expected
    back = nn.Unflatten(s, tuple(shape[s:e + 1]))(y)
    np.testing.assert_array_equal(back.array, x.array)


def test_flatten_defaults_keep_the_batch_dimension():
    assert nn.Flatten()(minigan.zeros(2, 128, 7, 7)).shape == (2, 6272)
    assert nn.Unflatten(1, (128, 7, 7))(minigan.zeros(2, 6272)).shape == (2, 128, 7, 7)
    assert nn.Unflatten(-1, (2, -1))(minigan.zeros(3, 8)).shape == (3, 2, 4)
    with pytest.raises(TypeError):
        nn.Unflatten(1, 4)


# ---- per-layer parity with PyTorch ------------------------------------------------------------

def test_layers_match_pytorch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    rng = np.random.default_rng(9)
    pairs = [
        (nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2), tnn.Conv2d(4, 6, 3, 2, 1, 1, 2), (2, 4, 7, 6)),
        (nn.Conv2d(3, 5, (2, 3), padding="same", dilation=2), tnn.Conv2d(3, 5, (2, 3), padding="same", dilation=2),
         (2, 3, 6, 7)),
        (nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=1),
         tnn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2), (2, 4, 5, 4)),
        (nn.ConvTranspose2d(2, 3, 4, stride=3, padding=2, dilation=2, output_padding=2),
         tnn.ConvTranspose2d(2, 3, 4, 3, 2, 2, dilation=2), (1, 2, 4, 3)),
        (nn.Linear(5, 3), tnn.Linear(5, 3), (4, 2, 5)),
    ]
    for mine, theirs, shape in pairs:
        mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        x = rng.standard_normal(shape).astype(np.float32)
        ours = mine(minigan.tensor(x)).array
        ref = theirs(torch.from_numpy(x)).detach().numpy()
        assert ours.shape == ref.shape, mine
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5, err_msg=repr(mine))


def test_layer_norm_matches_numpy_and_gradchecks():
    ln = nn.LayerNorm((2, 3), dtype=F64)
    rng = np.random.default_rng(10)
    ln.weight.array[...] = rng.uniform(0.5, 1.5, (2, 3))
    ln.bias.array[...] = rng.uniform(-1, 1, (2, 3))
    x = rng.standard_normal((4, 2, 3))
    mean = x.mean((1, 2), keepdims=True)
    ref = (x - mean) / np.sqrt(x.var((1, 2), keepdims=True) + 1e-5) * ln.weight.array + ln.bias.array
    np.testing.assert_allclose(ln(t64(x, False)).array, ref, rtol=1e-10, atol=1e-10)
    minigan.gradcheck(lambda x, w, b: ln(x), (t64(x), ln.weight, ln.bias))
    assert list(nn.LayerNorm(3, elementwise_affine=False).state_dict()) == []
    assert repr(nn.LayerNorm(3)) == "LayerNorm((3,), eps=1e-05, elementwise_affine=True)"


def test_pooling_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    pytest.importorskip("minigan.ops.pool", reason="the pooling ops are not in this tree yet")
    x = np.random.default_rng(11).standard_normal((2, 3, 7, 6)).astype(np.float32)
    pairs = [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)), (nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
             (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)), (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1))]
    for mine, theirs in pairs:
        assert repr(mine) == repr(theirs)
        np.testing.assert_allclose(mine(minigan.tensor(x)).array, theirs(torch.from_numpy(x)).numpy(), rtol=1e-6,
                                   atol=1e-6, err_msg=repr(mine))
