"""GANTrainer: the alternating loop, logs and images, exact resume, NaN stops, checkpoint errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

import minigan
from minigan.data import write_fake_dataset
from minigan.gan import (BCELoss, CheckpointError, FamilyError, GANTrainer, NonFiniteLossError, TrainConfig,
                         load_checkpoint, load_generator, read_png, resume)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=16, seed=3)
    return folder


def tiny(data_dir, out, **kw):
    """A config small enough for a few CPU steps per second: 64 images, batch 16 -> 4 steps per epoch.

    The PyTorch DCGAN example's recipe (BCE, Adam 2e-4 (0.5, 0.999), BatchNorm in D), whatever the model."""
    base = dict(preset="pytorch-dcgan", model="dcgan", width=4, latent_dim=8, batch_size=16,
                data_dir=str(data_dir), epochs=2, progress="none", checkpoint_every=0, n_samples=16, out=str(out))
    base.update(kw)
    return TrainConfig(**base)


def assert_same_tree(a, b, path="checkpoint"):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            assert_same_tree(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b), f"{path} differs"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_train_writes_log_grids_curves_and_checkpoint(data_dir, tmp_path):
    result = GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=6, checkpoint_every=4)).train()
    run = tmp_path / "run"
    assert result.step == 6 and result.epoch == 1 and not result.interrupted
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert [r["epoch"] for r in records] == [1, 1, 1, 1, 2, 2]
    for r in records:
        for key in ("loss_D", "loss_G", "D_x", "D_G_z", "D_G_z_after", "grad_norm_D", "grad_norm_G",
                    "images_per_s"):
            assert np.isfinite(r[key]), key
        assert 0 < r["D_x"] < 1 and 0 < r["D_G_z"] < 1 and r["grad_norm_D"] > 0 and r["grad_norm_G"] > 0
    # An epoch grid after epoch 1 and a grid of where epoch 2 got to; 16 images of 28x28 in a 4x4 grid.
    grid = read_png(run / "samples_epoch_001.png")
    assert grid.shape == (4 * 30 + 2, 4 * 30 + 2) and grid.dtype == np.uint8
    assert (run / "samples_epoch_002.png").exists()
    assert (run / "losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((run / "config.json").read_text())["model"] == "dcgan"
    state = load_checkpoint(run)
    assert state["step"] == 6 and state["model"] == "dcgan" and state["epoch"] == 1 and state["batch"] == 2
    assert state["config"]["width"] == 4 and state["model_config"] == {"latent_dim": 8, "width": 4}
    # G is back in training mode after drawing the grids.
    assert result.samples and result.checkpoint == run / "checkpoint.npz"


@pytest.mark.parametrize("model, kw", [("dcgan", {}),
                                       ("mlp", {"width": 8, "loss": "lsgan", "n_critic": 2, "lr_d": 1e-3, "epochs": 4}),
                                       ("infogan", {"latent_dim": 12, "info_codes": 10, "info_real_weight": 0.0}),
                                       ("infogan", {"latent_dim": 12, "info_codes": 5, "loss": "hinge",
                                                    "spectral_norm": True, "critic_norm": "none", "ema": 0.9,
                                                    "r1": 1.0, "r1_every": 2, "info_real_weight": 0.5})])
def test_resume_is_bit_identical(data_dir, tmp_path, model, kw):
    straight = GANTrainer(tiny(data_dir, tmp_path / "straight", model=model, max_steps=6, **kw)).train()
    GANTrainer(tiny(data_dir, tmp_path / "split", model=model, max_steps=3, **kw)).train()
    resumed = resume(tmp_path / "split", max_steps=6)
    assert straight.step == resumed.step == 6
    a, b = load_checkpoint(tmp_path / "straight"), load_checkpoint(tmp_path / "split")
    a["config"].pop("out"), b["config"].pop("out")
    # Weights, BatchNorm running statistics, both Adam states, RNG and data position: all bit-identical.
    assert_same_tree(a, b)
    strip = lambda run: [{k: v for k, v in json.loads(line).items() if k not in ("time", "images_per_s")}
                         for line in (run / "log.jsonl").read_text().splitlines()]
    assert strip(tmp_path / "straight") == strip(tmp_path / "split")


def test_resume_drops_log_lines_after_the_checkpoint(data_dir, tmp_path):
    run = tmp_path / "run"
    GANTrainer(tiny(data_dir, run, max_steps=2)).train()
    with open(run / "log.jsonl", "a") as log:  # steps logged after the checkpoint, then a crash mid-line
        log.write(json.dumps({"step": 3, "loss_D": 1.0, "loss_G": 1.0}) + "\n" + '{"step": 4, "lo')
    resume(run, max_steps=3)
    steps = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]


def test_log_readers_skip_eval_lines(data_dir, tmp_path):
    # log.jsonl also holds {"type": "eval", ...} lines (--eval-every): the resume trim keeps those up to the
    # checkpoint, and the history behind the loss plot and the per-epoch line takes only the step lines.
    run = tmp_path / "run"
    GANTrainer(tiny(data_dir, run, max_steps=2)).train()
    with open(run / "log.jsonl", "a") as log:
        log.write(json.dumps({"type": "eval", "step": 2, "epoch": 1, "fid": 5.0}) + "\n")
        log.write(json.dumps({"type": "eval", "step": 3, "epoch": 1, "fid": 4.0}) + "\n")
    trainer = GANTrainer.from_checkpoint(run, max_steps=4, progress="epoch")
    result = trainer.train()
    lines = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [(r.get("type", "step"), r["step"]) for r in lines] == [("step", 1), ("step", 2), ("eval", 2),
                                                                   ("step", 3), ("step", 4)]
    assert [r["step"] for r in trainer.history] == [1, 2, 3, 4] and result.loss_plot == run / "losses.png"


def test_one_step_follows_the_alternating_recipe(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", batch_size=8))
    G, D = trainer.G, trainer.D
    calls = []  # (batch size, a copy of D's first weight, whether D's input is part of G's graph)
    D.register_forward_hook(lambda module, args, out: calls.append(
        (args[0].shape[0], D.net[0].weight.numpy().copy(), args[0].requires_grad)))
    g_grads_when_d_steps = []
    d_step = trainer.opt_d.step

    def spy_step(*a, **k):
        g_grads_when_d_steps.append([p.grad is not None for p in G.parameters()])
        return d_step(*a, **k)

    trainer.opt_d.step = spy_step
    batch = next(trainer.loader.iter_epoch(0))[0]
    trainer.train_step([batch])
    assert [c[0] for c in calls] == [8, 8, 8]          # real-only, fake-only, then the G step: never a mixed batch
    assert [c[2] for c in calls] == [False, False, True]  # D's fakes are detached; the G step's are not
    assert np.array_equal(calls[0][1], calls[1][1])
    assert not np.array_equal(calls[1][1], calls[2][1])  # D(G(z)) is recomputed with the updated D
    assert g_grads_when_d_steps == [[False] * len(list(G.parameters()))]  # D's loss sent nothing into G


def test_n_critic_uses_a_new_real_batch_per_d_step(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", n_critic=2, max_steps=3, model="mlp", width=8))
    result = trainer.train()
    assert trainer.steps_per_epoch == 2 and result.step == 3
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["batch"]) for r in records] == [(1, 2), (1, 4), (2, 2)]


def test_seed_makes_runs_reproducible(data_dir, tmp_path):
    first = GANTrainer(tiny(data_dir, tmp_path / "a", max_steps=2, seed=7)).train()
    second = GANTrainer(tiny(data_dir, tmp_path / "b", max_steps=2, seed=7)).train()
    third = GANTrainer(tiny(data_dir, tmp_path / "c", max_steps=2, seed=8)).train()
    a, b, c = (load_checkpoint(r.run_dir)["generator"] for r in (first, second, third))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)


class NaNAt(BCELoss):
    """BCE whose discriminator loss turns NaN at a given D call."""

    def __init__(self, bad_call):
        super().__init__()
        self.calls, self.bad_call = 0, bad_call

    def d_real(self, scores):
        self.calls += 1
        out = super().d_real(scores)
        return out * float("nan") if self.calls == self.bad_call else out


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(data_dir, tmp_path):
    run = tmp_path / "run"
    trainer = GANTrainer(tiny(data_dir, run, checkpoint_every=2), loss=NaNAt(bad_call=5))
    with pytest.raises(NonFiniteLossError) as info:
        trainer.train()
    err = info.value
    assert err.step == 5 and err.which == "loss_D" and "step 5" in str(err) and "loss_D is nan" in str(err)
    assert "last good checkpoint (step 4)" in str(err) and str(run / "checkpoint.npz") in str(err)
    assert str(err).endswith(f"resume from it with lower learning rates: resume({str(run)!r})")
    state = load_checkpoint(run)
    assert state["step"] == 4
    assert all(np.isfinite(v).all() for v in state["generator"].values() if v.dtype.kind == "f")
    assert len((run / "log.jsonl").read_text().splitlines()) == 4
    resume(run, max_steps=5)  # the kept checkpoint resumes


def test_nan_before_any_checkpoint_says_so(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run"), loss=NaNAt(bad_call=1))
    with pytest.raises(NonFiniteLossError, match="No checkpoint had been written yet"):
        trainer.train()
    assert not (tmp_path / "run" / "checkpoint.npz").exists()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's overflow warnings on the way to NaN
def test_a_huge_learning_rate_ends_in_a_clear_stop_not_nan_weights(data_dir, tmp_path):
    run = tmp_path / "run"
    GANTrainer(tiny(data_dir, run, model="mlp", width=8, max_steps=2)).train()
    # Go on with an absurd learning rate (allowed on resume): the weights blow up, then a loss is NaN.
    trainer = GANTrainer.from_checkpoint(run, lr_d=1e38, lr_g=1e38, checkpoint_every=1, epochs=50, max_steps=200)
    with pytest.raises(NonFiniteLossError, match=r"loss_[DG] is (nan|inf|-inf) at step \d+") as info:
        trainer.train()
    state = load_checkpoint(run)
    assert 2 <= state["step"] < info.value.step
    for part in ("generator", "discriminator"):
        assert all(np.isfinite(v).all() for v in state[part].values() if v.dtype.kind == "f")


def test_refuses_to_overwrite_a_run(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1)).train()
    with pytest.raises(FileExistsError, match="already holds a run"):
        GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1)).train()


def test_resume_refuses_settings_that_change_the_steps(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1)).train()
    with pytest.raises(ValueError, match="cannot change --model when resuming"):
        GANTrainer.from_checkpoint(tmp_path / "run", model="mlp")
    with pytest.raises(ValueError, match="cannot change --batch-size"):
        GANTrainer.from_checkpoint(tmp_path / "run", batch_size=32)
    trainer = GANTrainer.from_checkpoint(tmp_path / "run", lr_g=1e-4, epochs=3)  # these may change
    assert trainer.opt_g.param_groups[0]["lr"] == 1e-4 and trainer.config.epochs == 3


def test_request_stop_saves_and_resumes(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run"))
    original = trainer.train_step

    def stop_after_two(batches):
        record = original(batches)
        if trainer.step == 1:  # the step in progress is step 2
            trainer.request_stop()
        return record

    trainer.train_step = stop_after_two
    result = trainer.train()
    assert result.interrupted and result.step == 2 and load_checkpoint(tmp_path / "run")["step"] == 2


def test_custom_modules(data_dir, tmp_path):
    from minigan import nn
    minigan.manual_seed(0)
    G = nn.Sequential(nn.Linear(6, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
    D = nn.Sequential(nn.Flatten(), nn.Linear(784, 1))
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", latent_dim=6, width=None, max_steps=2),
                         generator=G, discriminator=D)
    assert trainer.config.model == "dcgan" and trainer.custom_models  # dcgan's step on modules of your own
    assert trainer.train().step == 2
    state = load_checkpoint(tmp_path / "run")
    assert state["model"] == "dcgan" and state["custom_models"] and set(state["generator"]) == {"0.weight", "0.bias"}
    with pytest.raises(CheckpointError, match="modules of your own"):
        load_generator(tmp_path / "run")
    resumed = GANTrainer.from_checkpoint(tmp_path / "run", max_steps=3, generator=G, discriminator=D).train()
    assert resumed.step == 3


def test_config_validation(data_dir, tmp_path):
    with pytest.raises(ValueError, match="--batch-size must be a positive integer"):
        TrainConfig(batch_size=0).resolved().validate()
    with pytest.raises(ValueError, match="--lr-d must be a positive number"):
        TrainConfig(lr_d=-1.0).resolved().validate()
    with pytest.raises(FamilyError, match="no GAN family 'resnet'"):
        TrainConfig(model="resnet").resolved()
    with pytest.raises(ValueError, match="--eval-every must be a non-negative integer, got -2"):
        TrainConfig(eval_every=-2).resolved().validate()
    with pytest.raises(ValueError, match="--eval-n must be a positive integer, got -5"):
        TrainConfig(eval_n=-5).resolved().validate()
    with pytest.raises(ValueError, match="fewer than --n-critic 5"):
        GANTrainer(tiny(data_dir, tmp_path / "run", n_critic=5))


@pytest.mark.skipif(not minigan.cuda.is_available(), reason="CuPy/GPU not available")
def test_train_and_resume_on_cuda_match_the_cpu(data_dir, tmp_path):
    # The noise is drawn on the CPU and moved, so both devices see the same inputs; results agree to rounding.
    cpu = GANTrainer(tiny(data_dir, tmp_path / "cpu", max_steps=3)).train()
    GANTrainer(tiny(data_dir, tmp_path / "gpu", max_steps=2, device="cuda")).train()
    gpu = resume(tmp_path / "gpu", max_steps=3)
    assert cpu.step == gpu.step == 3
    a, b = load_checkpoint(tmp_path / "cpu")["generator"], load_checkpoint(tmp_path / "gpu")["generator"]
    # A bias feeding a BatchNorm has zero gradient up to rounding, and Adam moves it by +-lr on that noise.
    for key in set(a) - {"net.0.bias", "net.4.bias"}:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-3, atol=1e-4, err_msg=key)
    with np.load(tmp_path / "gpu" / "checkpoint.npz", allow_pickle=False) as archive:  # host arrays, no pickle
        assert len(archive.files) > 0


def test_one_step_matches_pytorch(data_dir, tmp_path):
    """The same DCGAN step in PyTorch (DCGAN-example style) from the same weights, batch and noise."""
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", label_smoothing=0.1))
    W, Z = 4, 8
    tg = tnn.Sequential(tnn.Linear(Z, 2 * W * 49), tnn.BatchNorm1d(2 * W * 49), tnn.ReLU(),
                        tnn.Unflatten(1, (2 * W, 7, 7)), tnn.ConvTranspose2d(2 * W, W, 4, 2, 1),
                        tnn.BatchNorm2d(W), tnn.ReLU(), tnn.ConvTranspose2d(W, 1, 4, 2, 1), tnn.Tanh()).double()
    td = tnn.Sequential(tnn.Conv2d(1, W, 4, 2, 1), tnn.LeakyReLU(0.2), tnn.Conv2d(W, 2 * W, 4, 2, 1),
                        tnn.BatchNorm2d(2 * W), tnn.LeakyReLU(0.2), tnn.Flatten(), tnn.Linear(2 * W * 49, 1)).double()
    for ours, theirs in ((trainer.G, tg), (trainer.D, td)):
        theirs.load_state_dict({k.removeprefix("net."): torch.tensor(np.asarray(v, dtype=np.float64)
                                                                     if v.dtype.kind == "f" else np.asarray(v))
                                for k, v in ours.state_dict().items()})
    noises = []
    draw = trainer.updater.noise
    trainer.updater.noise = lambda n: noises.append(draw(n)) or noises[-1]
    x = next(trainer.loader.iter_epoch(0))[0]
    record = trainer.train_step([x])

    opt_d = torch.optim.Adam(td.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(tg.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = tnn.functional.binary_cross_entropy_with_logits
    real = torch.tensor(np.asarray(x, dtype=np.float64))
    fake = tg(torch.tensor(noises[0].numpy().astype(np.float64)))
    opt_d.zero_grad()
    out_real, out_fake = td(real), td(fake.detach())
    loss_d = bce(out_real, torch.full_like(out_real, 0.9)) + bce(out_fake, torch.zeros_like(out_fake))
    loss_d.backward()
    opt_d.step()
    opt_g.zero_grad()
    out = td(fake)
    loss_g = bce(out, torch.ones_like(out))
    loss_g.backward()
    opt_g.step()

    assert record["loss_D"] == pytest.approx(loss_d.item(), rel=1e-4)
    assert record["loss_G"] == pytest.approx(loss_g.item(), rel=1e-4)
    for ours, theirs in ((trainer.G, tg), (trainer.D, td)):
        ref = theirs.state_dict()
        for key, value in ours.state_dict().items():
            if (ours is trainer.G and key in ("net.0.bias", "net.4.bias")) or \
                    (ours is trainer.D and key in ("net.2.bias", "net.3.running_mean")):
                # A bias right before BatchNorm has a zero gradient in exact arithmetic; Adam turns our float32
                # rounding noise (about 1e-9, vs 1e-14 in PyTorch's float64) into steps of up to lr, so skip
                # those, and D's BN running mean, which the G step's forward pass measures after that step.
                continue
            np.testing.assert_allclose(np.asarray(value, dtype=np.float64), ref[key.removeprefix("net.")].numpy(),
                                       rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.integration
def test_a_few_steps_on_real_mnist(tmp_path):
    from minigan.data import find_dataset_files
    if find_dataset_files("mnist", split="train") is None:
        pytest.skip("real MNIST not found (set MINIGAN_DATA_DIR)")
    result = GANTrainer(TrainConfig(preset="pytorch-dcgan", width=8, max_steps=3, progress="none",
                                    out=str(tmp_path / "run"))).train()
    assert result.step == 3
    assert 0 < result.last["D_x"] < 1 and np.isfinite(result.last["loss_G"])
