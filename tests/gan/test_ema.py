"""minigan.gan.core.ema.EMA: the average against its formula, buffers copied, frozen eval copy,
exact state_dict round trip, decay validation; the ExponentialMovingAverage extension and its checkpoint state."""
import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.gan import CheckpointError, GANTrainer, load_checkpoint
from minigan.gan.core import checkpoint as ckpt
from minigan.gan.core.ema import EMA
from minigan.gan.training import JSONLLog, Snapshot
from minigan.gan.training.extensions.averaging import ExponentialMovingAverage
from tests.gan.test_trainer import assert_same_tree, data_dir, tiny  # noqa: F401  (data_dir is a fixture)


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


def _average(trainer):
    return next(e for e in trainer.extensions if isinstance(e, ExponentialMovingAverage))


def test_the_extension_averages_after_every_step_before_the_readers(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", ema=0.9, max_steps=3, checkpoint_every=2))
    average = _average(trainer)
    assert average.state_key == "ema" and average.ema.decay == 0.9 and average.ema.source is trainer.G
    order = [type(e) for e in trainer.extensions]   # averaged before a checkpoint or the log reads the step
    assert order.index(ExponentialMovingAverage) < min(order.index(Snapshot), order.index(JSONLLog))
    assert trainer.updater.generator is average.ema.module
    trainer.train()
    assert average.ema.num_updates == 3
    state = load_checkpoint(tmp_path / "run")
    assert state["ema"]["decay"] == 0.9 and state["ema"]["num_updates"] == 3
    assert_same_tree(state["ema"]["module"], average.ema.module.state_dict())


def test_the_extension_state_comes_back_on_resume(data_dir, tmp_path):
    run = tmp_path / "run"
    first = GANTrainer(tiny(data_dir, run, ema=0.9, max_steps=2))
    first.train()
    trainer = GANTrainer.from_checkpoint(run, max_steps=3)
    average = _average(trainer)
    assert average.ema.num_updates == 2 and trainer.updater.generator is average.ema.module
    assert average.ema.source is trainer.G   # bound to the resumed trainer's G, not a copy
    assert_same_tree(average.ema.module.state_dict(), _average(first).ema.module.state_dict())
    # a checkpoint without the average cannot resume a run that keeps one
    state = load_checkpoint(run)
    del state["ema"]
    ckpt.save_checkpoint(run / "checkpoint.npz", state)
    with pytest.raises(CheckpointError, match="has no ema state, but this run uses one"):
        GANTrainer.from_checkpoint(run)


def test_bind_averages_the_updaters_generator(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run"))
    assert trainer.updater.generator is trainer.G and trainer.updater.sample_generator is None
    average = ExponentialMovingAverage(0.5)
    assert average.ema is None
    average.bind(trainer.updater)
    assert average.ema.source is trainer.G and trainer.updater.generator is average.ema.module
    trainer.extend(average)
    trainer.train_step([next(trainer.loader.iter_epoch(0))])   # a step by hand: no extension runs
    assert average.ema.num_updates == 0
