"""minigan/gan/training/: the loop, updaters and extensions plugged together; triggers, priorities and report()."""
from __future__ import annotations

import json
import os
import signal
import warnings
from pathlib import Path

import numpy as np
import pytest

import minigan
from minigan import nn, optim

from minigan.gan import (CONFIG_VERSION, CheckpointError, GANTrainer, NonFiniteLossError, load_checkpoint,
                         register_family, report, resume, unregister_family)
from minigan import load as load_state
from minigan.data import ImageLoader, load_dataset
from minigan.gan.core import checkpoint as ckpt
from minigan.gan.families.unconditional.family import DCGANFamily
from minigan.gan.training import (Extension, GANUpdater, JSONLLog, Snapshot, Trainer, Updater,
                                  remove_stale_temp_files)
from minigan.gan.training.extensions.base import PRIORITY_READER, PRIORITY_WRITER
from minigan.gan.training.updater import batch_images
from tests.gan.test_trainer import NaNAt, data_dir, tiny  # noqa: F401  (data_dir is a fixture)

# A checkpoint of the first saved layout: its config has no "version", flat fields, no "task" or "options".
FIXTURE = Path(__file__).parents[1] / "fixtures" / "checkpoint-dcgan-config-v1.npz"


def steps(run):
    return [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]


# ---- extending without touching the loop ---------------------------------------------------

class CountEpochs(Extension):
    def __init__(self):
        self.events = []

    def after_step(self, trainer, record):
        self.events.append(("step", record["step"]))

    def epoch_end(self, trainer):
        self.events.append(("epoch", trainer.epoch + 1))


class RecordsRealMean(GANUpdater):
    def step(self, batches):
        record = super().step(batches)
        report("real_mean", float(np.mean(np.asarray(batches[-1][0]))))
        return record


class RealMeanFamily(DCGANFamily):
    """The dcgan family with a step that reports one more number."""

    name = "dcgan-real-mean"

    def make_updater(self, G, D, opt_g, opt_d, loss, *, config, penalties, device):
        return RecordsRealMean(G, D, opt_g, opt_d, loss, device=device, latent_dim=config.latent_dim,
                               n_critic=config.n_critic, penalties=penalties)


@pytest.fixture
def real_mean_family():
    register_family(RealMeanFamily)
    yield RealMeanFamily.name
    unregister_family(RealMeanFamily.name)


def test_a_user_extension_and_updater_plug_in(data_dir, tmp_path, real_mean_family):
    counter = CountEpochs()
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", model=real_mean_family, max_steps=5),
                         extensions=[counter])
    result = trainer.train()
    assert isinstance(trainer.updater, RecordsRealMean) and result.step == 5
    assert counter.events == [("step", 1), ("step", 2), ("step", 3), ("step", 4), ("epoch", 1), ("step", 5)]
    # what the step report()ed reaches log.jsonl, the history and the result
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert all(-1 <= r["real_mean"] <= 1 for r in records) and len(records) == 5
    assert [r["real_mean"] for r in trainer.history] == [r["real_mean"] for r in records]
    assert result.last["real_mean"] == records[-1]["real_mean"]


def test_report_outside_a_step_does_nothing():
    report("loss", 1.0)   # no scope open: a step called by hand (a benchmark) logs nowhere, raises nothing
    report({"a": 1.0})


# ---- triggers and priorities -------------------------------------------------------------------

class Calls(Extension):
    """Records (name, step, epoch) on every call; reports `key` into the step's record after each step."""

    def __init__(self, name, calls, trigger=None, priority=PRIORITY_READER, key=None):
        self.name, self.calls, self.key = name, calls, key
        self.trigger, self.priority = trigger, priority

    def __call__(self, trainer):
        self.calls.append((self.name, trainer.step, trainer.epoch + 1))

    def after_step(self, trainer, record):
        if self.key is not None:
            report(self.key, trainer.step * 10)


def test_triggers_fire_by_step_and_epoch_and_by_priority(data_dir, tmp_path):
    calls = []
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=6))
    trainer.extend(Calls("reader", calls), trigger=(2, "step"))
    trainer.extend(Calls("writer", calls, trigger=(3, "step"), priority=PRIORITY_WRITER))
    trainer.extend(Calls("epoch", calls, trigger=(1, "epoch")), priority=PRIORITY_WRITER + 1)
    trainer.extend(Calls("never", calls, trigger=(0, "step")))
    trainer.train()
    # 4 steps per epoch: the writer (added later, higher priority) runs before the reader at step 6
    assert calls == [("reader", 2, 1), ("writer", 3, 1), ("reader", 4, 1), ("epoch", 4, 1),
                     ("writer", 6, 2), ("reader", 6, 2)]
    priorities = [e.priority for e in trainer.extensions]
    assert priorities == sorted(priorities, reverse=True)
    with pytest.raises(TypeError, match="a trigger is"):
        trainer.extend(Calls("bad", calls), trigger=5)
    with pytest.raises(ValueError, match="'step' or 'epoch'"):
        trainer.extend(Calls("bad", calls), trigger=(1, "iteration"))


def test_a_writer_reports_into_the_log_and_a_late_reader_does_not(data_dir, tmp_path):
    # JSONLLog is a reader: an extension of writer priority reports before the line is written, whatever
    # the order they were added in; one of lower priority reports after it (the record in memory only).
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=3))
    trainer.extend(Calls("w", [], priority=PRIORITY_WRITER, key="written"))
    trainer.extend(Calls("r", [], priority=PRIORITY_READER - 50, key="late"))
    trainer.train()
    lines = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["written"] for r in lines] == [10, 20, 30] and not any("late" in r for r in lines)
    assert trainer.observation["late"] == 30 and trainer.observation["written"] == 30


def test_an_lr_schedule_writes_its_rates_before_the_log_reads_them(data_dir, tmp_path):
    # The schedule is added after the log (GANTrainer's defaults first), but runs first: every line holds the
    # rate its step trained with, halved at each epoch's end.
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", lr_schedule="step:1:0.5", epochs=3))
    names = [type(e).__name__ for e in trainer.extensions]
    assert names.index("LRSchedule") < names.index("JSONLLog")
    trainer.train()
    lines = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["lr_g"] for r in lines] == [2e-4] * 4 + [1e-4] * 4 + [5e-5] * 4
    assert [r["lr_d"] for r in lines] == [r["lr_g"] for r in lines]
    assert load_checkpoint(tmp_path / "run")["schedulers"]["optimizer_g"]["last_epoch"] == 3


def test_two_extensions_with_one_state_key_are_refused(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", ema=0.9))

    class Other(Extension):
        state_key = "ema"

    with pytest.raises(ValueError, match="two extensions keep their state under 'ema'"):
        trainer.extend(Other())


class MeanImage(Updater):
    """Not a GAN: a (784,) parameter fitted to the mean image by SGD, one batch per step."""

    def __init__(self):
        self.net = nn.Linear(1, 784, bias=False)
        super().__init__({"net": self.net}, {"optimizer": optim.SGD(self.net.parameters(), lr=0.5)})

    def step(self, batches):
        x = batch_images(batches[0])
        x = (x if isinstance(x, minigan.Tensor) else minigan.tensor(x)).reshape(x.shape[0], 784)
        guess = self.net(minigan.ones(x.shape[0], 1))
        loss = ((guess - x) ** 2).mean()
        self.optimizers["optimizer"].zero_grad()
        loss.backward()
        self.optimizers["optimizer"].step()
        return {"loss": float(loss.item())}


def test_the_loop_runs_any_updater_and_resumes_it(data_dir, tmp_path):
    def trainer(max_steps):
        minigan.manual_seed(0)
        loader = ImageLoader(load_dataset("mnist", "train", data_dir=str(data_dir)), batch_size=16, seed=0)
        return Trainer(MeanImage(), loader, epochs=3, max_steps=max_steps, run_dir=tmp_path / "run",
                       extensions=[JSONLLog(), Snapshot(every=2)])

    straight = trainer(None)
    straight.run_dir = tmp_path / "straight"
    assert straight.train().step == 12 and straight.epoch == 3
    first = trainer(5)
    first.train()
    state = load_state(tmp_path / "run" / "checkpoint.npz")
    second = trainer(None)
    second.updater.load_state_dict(state)
    second.load_position(state)
    assert second.step == 5 and second.train().step == 12
    assert np.array_equal(straight.updater.net.weight.numpy(), second.updater.net.weight.numpy())
    assert steps(tmp_path / "run") == list(range(1, 13)) == steps(tmp_path / "straight")
    losses = [json.loads(line)["loss"] for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert losses[-1] < losses[0]


def test_a_checkpoint_of_the_first_config_layout_still_loads_and_resumes(data_dir, tmp_path):
    run = tmp_path / "old"
    run.mkdir()
    (run / "checkpoint.npz").write_bytes(FIXTURE.read_bytes())
    saved = load_checkpoint(run)
    assert "version" not in saved["config"] and "options" not in saved["config"]
    trainer = GANTrainer.from_checkpoint(run, data_dir=str(data_dir), max_steps=5)
    config = trainer.config   # upgraded: that time's defaults (the PyTorch DCGAN example's) filled in
    assert (config.model, config.loss, config.lr_g, config.beta1, config.critic_norm, config.spectral_norm,
            config.ema, config.options) == ("dcgan", "bce", 2e-4, 0.5, "batch", False, 0.0, {})
    assert (trainer.step, trainer.epoch, trainer.batch) == (saved["step"], saved["epoch"], saved["batch"]) == (3, 0, 3)
    mine = trainer.state_dict()
    for part in ("generator", "discriminator"):
        assert set(mine[part]) == set(saved[part])
        for key in saved[part]:
            assert np.array_equal(np.asarray(mine[part][key]), saved[part][key]), f"{part}.{key}"
    assert trainer.opt_g.state_dict()["state"].keys() == saved["optimizer_g"]["state"].keys()
    assert np.array_equal(trainer.fixed_noise, saved["fixed_noise"])
    assert trainer.train().step == 5 and load_checkpoint(run)["step"] == 5
    assert load_checkpoint(run)["config"]["version"] == CONFIG_VERSION   # saved again in today's layout


def test_a_checkpoint_from_a_newer_minigan_is_refused_naming_the_version(data_dir, tmp_path):
    run = tmp_path / "run"
    GANTrainer(tiny(data_dir, run, max_steps=1)).train()
    state = load_checkpoint(run)
    state["config"]["version"] = CONFIG_VERSION + 1
    ckpt.save_checkpoint(run / "checkpoint.npz", state)
    with pytest.raises(CheckpointError, match=f"config version {CONFIG_VERSION + 1}; this minigan reads up to "
                                              f"{CONFIG_VERSION}"):
        GANTrainer.from_checkpoint(run)


# ---- stop conditions survive a resume ------------------------------------------------------

def test_max_steps_is_kept_on_resume_unless_given_again(data_dir, tmp_path):
    run = tmp_path / "run"
    trainer = GANTrainer(tiny(data_dir, run, max_steps=5, epochs=4))
    original = trainer.train_step

    def stop_in_step_2(batches):
        if trainer.step == 1:
            trainer.request_stop()
        return original(batches)

    trainer.train_step = stop_in_step_2
    assert trainer.train().step == 2
    resumed = GANTrainer.from_checkpoint(run)
    assert resumed.config.max_steps == 5 and resumed.train().step == 5  # not all 4 epochs (16 steps)
    assert trainer.resume_hint == f"resume({str(run)!r})"   # the limit is in the checkpoint's config
    assert json.loads((run / "config.json").read_text())["max_steps"] == 5
    assert resume(run, max_steps=7).step == 7


# ---- stale temp files of our naming, and nothing else --------------------------------------

def test_resume_removes_only_our_stale_temp_files(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    GANTrainer(tiny(data_dir, run, max_steps=1)).train()
    dead = 2 ** 22 + 12345  # above the default pid_max: no such process
    stale = [f".checkpoint.npz.{dead}.1f2e3d4c.tmp", f".log.jsonl.{dead}.0a0b0c0d.part",
             f".samples_epoch_001.png.{dead}.deadbeef.part"]
    keep = [".checkpoint.npz.notapid.1f2e3d4c.tmp", f".mydata.npy.{dead}.1f2e3d4c.tmp", "notes.tmp",
            f".checkpoint.npz.{os.getpid()}.1f2e3d4c.tmp", f"checkpoint.npz.{dead}.1f2e3d4c.tmp"]
    for name in stale + keep:
        (run / name).write_bytes(b"x" * 10)
    resume(run, max_steps=2)
    left = {p.name for p in run.iterdir()}
    assert not left & set(stale) and set(keep) <= left
    assert f"removed .checkpoint.npz.{dead}.1f2e3d4c.tmp" in capsys.readouterr().err
    assert remove_stale_temp_files(run) == []


# ---- NaN message, no NumPy warnings, a second signal stops at once --------------------------

def test_the_nan_message_counts_batches_from_1_like_the_log(data_dir, tmp_path):
    with pytest.raises(NonFiniteLossError, match=r"at step 1 \(epoch 1, batch 1\)"):
        GANTrainer(tiny(data_dir, tmp_path / "a"), loss=NaNAt(bad_call=1)).train()
    with pytest.raises(NonFiniteLossError, match=r"at step 6 \(epoch 2, batch 2\)"):
        GANTrainer(tiny(data_dir, tmp_path / "b"), loss=NaNAt(bad_call=6)).train()


def test_no_numpy_warnings_on_the_way_to_a_nan(data_dir, tmp_path):
    run = tmp_path / "run"
    GANTrainer(tiny(data_dir, run, model="mlp", width=8, max_steps=2)).train()
    trainer = GANTrainer.from_checkpoint(run, lr_d=1e38, lr_g=1e38, checkpoint_every=1, epochs=50, max_steps=200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(NonFiniteLossError):
            trainer.train()
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []


def _signals_during_the_final_save(data_dir, tmp_path, monkeypatch, count: int):
    """A run whose step 3 gets a SIGTERM, then `count` more SIGTERMs in the middle of the save it asked for."""
    from minigan.gan.core import checkpoint as ckpt
    run = tmp_path / "run"
    trainer = GANTrainer(tiny(data_dir, run, checkpoint_every=2))
    original = trainer.train_step

    sent = []

    def first_signal_in_step_3(batches):
        if trainer.step == 2:
            os.kill(os.getpid(), signal.SIGTERM)
            sent.append(1)
        return original(batches)

    real_save = ckpt.save_checkpoint

    def save(path, state):
        if sent:  # the final save: more SIGTERMs arrive in the middle of it
            for _ in range(count):
                os.kill(os.getpid(), signal.SIGTERM)
        return real_save(path, state)

    trainer.train_step = first_signal_in_step_3
    monkeypatch.setattr(ckpt, "save_checkpoint", save)
    return trainer, run


def test_a_second_signal_while_saving_lets_the_save_finish(data_dir, tmp_path, monkeypatch, capsys):
    trainer, run = _signals_during_the_final_save(data_dir, tmp_path, monkeypatch, 1)
    result = trainer.train()
    assert result.interrupted and result.signal == signal.SIGTERM
    assert load_checkpoint(run)["step"] == 3
    err = capsys.readouterr().err
    assert "SIGTERM: finishing step 3" in err and "SIGTERM again: saving the checkpoint is under way" in err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_a_third_signal_while_saving_stops_at_once_without_saving(data_dir, tmp_path, monkeypatch, capsys):
    trainer, run = _signals_during_the_final_save(data_dir, tmp_path, monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt) as info:
        trainer.train()
    assert info.value.signum == signal.SIGTERM
    assert load_checkpoint(run)["step"] == 2  # the step-3 checkpoint was never written; step 2's is intact
    err = capsys.readouterr().err
    assert "SIGTERM: finishing step 3" in err and "stopped while saving after step 3 without saving" in err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


# ---- the logged gradient norm ----------------------------------------------------------------

@pytest.mark.parametrize("sizes", [(1,), (4095,), (4096,), (4097, 3), (8192 * 3 + 5, 100, 7)])
def test_grad_norm_matches_a_float64_norm_and_ignores_the_layout(sizes):
    from minigan.gan.training.updater import grad_norm

    rng = np.random.default_rng(len(sizes))
    params = []
    for n in sizes:
        p = nn.Parameter(minigan.tensor(np.zeros(n, dtype=np.float32)))
        p.grad = minigan.tensor((rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3)).astype(np.float32))
        params.append(p)
    params.append(nn.Parameter(minigan.tensor(np.zeros(3, dtype=np.float32))))  # no gradient: skipped
    exact = np.sqrt(sum(np.sum(p.grad.numpy().astype(np.float64) ** 2) for p in params if p.grad is not None))
    assert grad_norm(params) == pytest.approx(exact, rel=1e-6)

    # a 2-D gradient arriving feature-major (transposed storage) gives the same bits as its C-ordered copy
    g = rng.standard_normal((300, 70)).astype(np.float32)
    c, f = nn.Parameter(minigan.tensor(g)), nn.Parameter(minigan.tensor(g))
    c.grad, f.grad = minigan.tensor(np.ascontiguousarray(g)), minigan.tensor(np.asfortranarray(g))
    assert grad_norm([c]) == grad_norm([f])
