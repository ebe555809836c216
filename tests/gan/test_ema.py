"""minigan.gan.ema.EMA: the average against its formula, buffers copied, frozen eval copy,
exact state_dict round trip, decay validation."""
import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.gan.core.ema import EMA


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def _train_step(model, opt, rng):
    model.train()
    opt.zero_grad()
    model(mg.tensor(rng.standard_normal((8, 3)).astype(np.float32))).pow(2).mean().backward()
    opt.step()


def test_average_follows_the_formula_and_copies_buffers():
    mg.manual_seed(0)
    g = _model()
    ema = EMA(g, decay=0.9)
    assert not ema.module.training and all(not p.requires_grad for p in ema.module.parameters())
    expected = {k: v.astype(np.float64) for k, v in g.state_dict().items()}
    opt = mg.optim.SGD(g.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(5):
        _train_step(g, opt, rng)
        ema.update()
        for name, p in g.named_parameters():
            expected[name] = 0.9 * expected[name] + 0.1 * p.numpy()
    got = ema.module.state_dict()
    for name, _ in g.named_parameters():
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-7, err_msg=name)
        assert got[name].dtype == np.float32
    for name, b in g.named_buffers():  # running statistics: copied, not averaged
        np.testing.assert_array_equal(got[name], b.numpy())
    assert int(got["1.num_batches_tracked"]) == 5 and ema.num_updates == 5
    assert not np.allclose(got["0.weight"], g[0].weight.numpy())  # an average, not a copy
    # the copy is independent: training the source does not move it between updates
    before = ema.module.state_dict()["0.weight"].copy()
    _train_step(g, opt, rng)
    np.testing.assert_array_equal(ema.module.state_dict()["0.weight"], before)
    assert ema(mg.randn(2, 3)).shape == (2, 2)


def test_state_dict_round_trips_exactly():
    mg.manual_seed(1)
    g = _model()
    ema = EMA(g, decay=0.99)
    opt = mg.optim.SGD(g.parameters(), lr=0.1)
    rng = np.random.default_rng(1)
    for _ in range(3):
        _train_step(g, opt, rng)
        ema.update()
    state = ema.state_dict()
    other = EMA(_model(), decay=0.5)
    other.load_state_dict(state)
    assert other.decay == 0.99 and other.num_updates == 3
    for k, v in state["module"].items():
        np.testing.assert_array_equal(other.module.state_dict()[k], v)
    # resumed from the same source, both continue bit-identically
    other.source = g
    _train_step(g, opt, rng)
    ema.update(), other.update()
    for k, v in ema.module.state_dict().items():
        np.testing.assert_array_equal(other.module.state_dict()[k], v)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, float("nan"), "high"])
def test_decay_outside_the_open_unit_interval_is_refused(bad):
    with pytest.raises(ValueError, match=r"EMA: decay must be"):
        EMA(_model(), decay=bad)
    ema = EMA(_model())
    with pytest.raises(ValueError, match=r"EMA: decay must be"):
        ema.load_state_dict(dict(ema.state_dict(), decay=bad))


def test_other_errors():
    with pytest.raises(TypeError, match="expected a minigan.nn.Module"):
        EMA(lambda z: z)
    ema = EMA(_model())
    with pytest.raises(KeyError, match="missing num_updates"):
        ema.load_state_dict({"decay": 0.9, "module": {}})
    for wrong in (nn.Sequential(nn.Linear(3, 5)), nn.Linear(3, 4)):
        ema.source = wrong
        with pytest.raises(RuntimeError, match="no longer matches"):
            ema.update()
