"""state_dict / load_state_dict: PyTorch key names and layouts, strict errors, objects kept, torch parity."""

from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan
from minigan import nn


def generator(nz=100):
    """DCGAN-sized MNIST generator: z -> 128x7x7 -> 64x14x14 -> 1x28x28."""
    return nn.Sequential(
        nn.Linear(nz, 128 * 7 * 7, bias=False), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())


def discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))


G_LAYOUT = [("0.weight", (6272, 100)),
            ("1.weight", (6272,)), ("1.bias", (6272,)), ("1.running_mean", (6272,)), ("1.running_var", (6272,)),
            ("1.num_batches_tracked", ()),
            ("4.weight", (128, 64, 4, 4)),
            ("5.weight", (64,)), ("5.bias", (64,)), ("5.running_mean", (64,)), ("5.running_var", (64,)),
            ("5.num_batches_tracked", ()),
            ("7.weight", (64, 1, 4, 4)), ("7.bias", (1,))]
D_LAYOUT = [("0.weight", (64, 1, 4, 4)), ("0.bias", (64,)), ("2.weight", (128, 64, 4, 4)),
            ("3.weight", (128,)), ("3.bias", (128,)), ("3.running_mean", (128,)), ("3.running_var", (128,)),
            ("3.num_batches_tracked", ()), ("6.weight", (1, 6272)), ("6.bias", (1,))]


def test_keys_shapes_and_dtypes_follow_pytorch():
    for model, layout in ((generator(), G_LAYOUT), (discriminator(), D_LAYOUT)):
        sd = model.state_dict()
        assert isinstance(sd, OrderedDict)
        assert [(k, v.shape) for k, v in sd.items()] == layout
        for k, v in sd.items():
            assert isinstance(v, np.ndarray)
            assert v.dtype == (np.int64 if k.endswith("num_batches_tracked") else np.float32), k


def test_state_dict_values_are_host_copies_and_keep_vars_gives_the_objects():
    lin = nn.Linear(2, 3)
    sd = lin.state_dict()
    sd["weight"][...] = 99
    assert not np.any(lin.weight.array == 99)
    kv = lin.state_dict(keep_vars=True)
    assert kv["weight"] is lin.weight and kv["bias"] is lin.bias
    prefixed = lin.state_dict(prefix="head.")
    assert list(prefixed) == ["head.weight", "head.bias"]


def test_load_copies_into_the_existing_parameters_and_arrays():
    bn = nn.BatchNorm2d(3)
    objects = {k: v for k, v in bn.state_dict(keep_vars=True).items()}
    arrays = {k: v.array for k, v in objects.items()}
    new = {"weight": np.full(3, 2.0), "bias": np.full(3, -1.0), "running_mean": np.arange(3.0),
           "running_var": np.full(3, 4.0), "num_batches_tracked": np.array(17)}
    result = bn.load_state_dict(new)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for k, v in bn.state_dict(keep_vars=True).items():
        assert v is objects[k] and v.array is arrays[k], k  # an optimiser bound to them keeps working
    assert bn.weight.dtype == np.float32 and bn.running_mean.dtype == np.float32  # cast to the target dtype
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.item() == 17
    np.testing.assert_array_equal(bn.running_mean.array, [0, 1, 2])
    bn.load_state_dict({k: minigan.tensor(v) for k, v in new.items()})  # Tensors work as values too


def test_strict_errors_list_every_problem_at_once_and_change_nothing():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    before = model.state_dict()
    bad = dict(before)
    del bad["0.bias"], bad["1.running_var"]
    bad["2.weight"] = np.zeros((5, 5), np.float32)
    bad["1.weight"] = np.zeros(4, np.float32) + 7  # valid, but must not be copied since the load fails
    bad["extra.weight"] = np.zeros(1)
    bad["0.weight_typo"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "0.bias", "1.running_var".' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight", "0.weight_typo".' in msg
    assert ("size mismatch for 2.weight: copying a param with shape (5, 5) from checkpoint, "
            "the shape in current model is (2, 4).") in msg
    after = model.state_dict()
    for k in before:
        np.testing.assert_array_equal(before[k], after[k])


def test_non_strict_load_returns_the_keys_but_still_refuses_shape_mismatches():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    partial = {"0.weight": np.ones((4, 3)), "head.weight": np.ones(2)}
    missing, unexpected = model.load_state_dict(partial, strict=False)
    assert missing == ["0.bias", "1.weight", "1.bias"] and unexpected == ["head.weight"]
    np.testing.assert_array_equal(model[0].weight.array, np.ones((4, 3)))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        model.load_state_dict({"0.weight": np.ones((3, 4))}, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        model.load_state_dict([1, 2])


@settings(max_examples=25, deadline=None)
@given(widths=st.lists(st.integers(1, 5), min_size=2, max_size=5), bn=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_save_load_round_trip_gives_equal_outputs(tmp_path_factory, widths, bn, seed):
    def build():
        layers = []
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Linear(a, b)] + ([nn.BatchNorm1d(b)] if bn else []) + [nn.LeakyReLU(0.2)]
        return nn.Sequential(*layers)

    minigan.manual_seed(seed)
    src = build()
    src(minigan.randn(8, widths[0]))  # move BN running stats off their defaults
    src.eval()
    path = tmp_path_factory.mktemp("sd") / "model.pt"
    minigan.save(src.state_dict(), path)
    minigan.manual_seed(seed + 1)
    dst = build().eval()
    dst.load_state_dict(minigan.load(path))
    x = minigan.randn(4, widths[0])
    np.testing.assert_array_equal(src(x).array, dst(x).array)


def test_pytorch_named_numpy_dict_loads_into_the_dcgan_models():
    """A hand-built dict with PyTorch's key names and layouts, as `{k: v.numpy()}` would give."""
    rng = np.random.default_rng(0)
    for model, layout in ((generator(), G_LAYOUT), (discriminator(), D_LAYOUT)):
        sd = {k: (np.array(5, np.int64) if k.endswith("num_batches_tracked")
                  else rng.standard_normal(shape).astype(np.float32)) for k, shape in layout}
        model.load_state_dict(sd)
        for k, v in model.state_dict().items():
            np.testing.assert_array_equal(v, sd[k])


# ---- parity with PyTorch (skipped when torch is absent) -----------------------------------------

def _torch_models(torch):
    tnn = torch.nn
    g = tnn.Sequential(
        tnn.Linear(100, 6272, bias=False), tnn.BatchNorm1d(6272), tnn.ReLU(), tnn.Unflatten(1, (128, 7, 7)),
        tnn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), tnn.BatchNorm2d(64), tnn.ReLU(),
        tnn.ConvTranspose2d(64, 1, 4, 2, 1), tnn.Tanh())
    d = tnn.Sequential(
        tnn.Conv2d(1, 64, 4, 2, 1), tnn.LeakyReLU(0.2), tnn.Conv2d(64, 128, 4, 2, 1, bias=False),
        tnn.BatchNorm2d(128), tnn.LeakyReLU(0.2), tnn.Flatten(), tnn.Linear(6272, 1))
    return g, d


def _paired_dcgan(torch, train: bool, double: bool = False):
    """The DCGAN pair in torch (non-trivial BN state) and the same weights loaded into minigan."""
    torch.manual_seed(0)
    tg, td = _torch_models(torch)
    with torch.no_grad():  # non-trivial BN state, so eval mode really uses it
        for m in list(tg) + list(td):
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(3)
    g, d = generator(), discriminator()
    for mine, theirs in ((g, tg), (d, td)):
        result = mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        assert not result.missing_keys and not result.unexpected_keys
        mine.train(train)
        theirs.train(train)
        if double:
            mine.double()
            theirs.double()
    return g, d, tg, td


@pytest.mark.parametrize("train", [True, False])
def test_dcgan_float32_forward_matches_pytorch(train):
    torch = pytest.importorskip("torch")
    g, d, tg, td = _paired_dcgan(torch, train)
    z = np.random.default_rng(1).standard_normal((8, 100)).astype(np.float32)
    with torch.no_grad():
        t_img = tg(torch.from_numpy(z))
        t_out = td(t_img)
    img = g(minigan.tensor(z))
    out = d(img)
    assert img.shape == (8, 1, 28, 28) and out.shape == (8, 1)
    assert img.dtype == np.float32 and out.dtype == np.float32
    np.testing.assert_allclose(img.array, t_img.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out.array, t_out.numpy(), rtol=1e-4, atol=1e-4)
    for mine, theirs in ((g, tg), (d, td)):  # running stats and num_batches_tracked after the step
        tsd = theirs.state_dict()
        for k, v in mine.state_dict().items():
            np.testing.assert_allclose(v, tsd[k].numpy(), rtol=1e-4, atol=1e-5, err_msg=k)


@pytest.mark.parametrize("train", [True, False])
def test_dcgan_gradients_match_pytorch_in_float64(train):
    """Gradients are compared in float64: through train-mode BN over a batch of 8 and the ReLU kinks,
    float32 rounding alone moves torch's own gradients by ~1e-3, so only float64 can be tight."""
    torch = pytest.importorskip("torch")
    g, d, tg, td = _paired_dcgan(torch, train, double=True)
    z = np.random.default_rng(1).standard_normal((8, 100))
    td(tg(torch.from_numpy(z))).sum().backward()
    d(g(minigan.tensor(z))).sum().backward()
    for mine, theirs in ((g, tg), (d, td)):
        ours = dict(mine.named_parameters())
        for k, p in theirs.named_parameters():
            assert ours[k].grad.dtype == np.float64
            np.testing.assert_allclose(ours[k].grad.array, p.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
        tsd = theirs.state_dict()
        for k, v in mine.state_dict().items():
            np.testing.assert_allclose(v, tsd[k].numpy(), rtol=1e-12, atol=1e-14, err_msg=k)


def test_minigan_state_dict_loads_into_pytorch():
    torch = pytest.importorskip("torch")
    g, d = generator(), discriminator()
    tg, td = _torch_models(torch)
    for mine, theirs in ((g, tg), (d, td)):
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in mine.state_dict().items()}, strict=True)
    g.eval()
    tg.eval()
    z = np.random.default_rng(2).standard_normal((4, 100)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(g(minigan.tensor(z)).array, tg(torch.from_numpy(z)).numpy(), rtol=1e-4, atol=1e-5)


def test_torch_tensors_load_directly():
    torch = pytest.importorskip("torch")
    t = torch.nn.Linear(3, 2)
    m = nn.Linear(3, 2)
    m.load_state_dict(t.state_dict())  # torch tensors (requires_grad or not) are accepted as values
    np.testing.assert_array_equal(m.weight.array, t.weight.detach().numpy())
