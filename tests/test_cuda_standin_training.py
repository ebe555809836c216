"""The trainer and the CLI on CUDA, run on the CuPy stand-in (minigan/_cupy_standin) in every CI run.

The stand-in raises where CuPy raises and counts device-to-host reads, so these tests
catch host/device mixing without a GPU: a training step reads back only the scalars
its log records, a seed gives the CPU's weights, checkpoints move between devices.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import minigan
from minigan import backend, nn
from minigan.data import write_fake_dataset
from minigan.gan import GANTrainer, TrainConfig, load_checkpoint

REPO = Path(__file__).resolve().parents[1]
_STANDIN_MODULES = ("cupy", "cupyx", "cupy.cuda", "cupy.cuda.runtime", "cupy.cuda.memory_hook", "cupy.random",
                    "cupy.linalg", "cupy.lib", "cupy.lib.stride_tricks")


@pytest.fixture
def standin(monkeypatch):
    """The stand-in loaded as CuPy for one test, whatever this process had (real CuPy, none, the stand-in)."""
    import minigan._cupy_standin as cp
    saved = {name: sys.modules.get(name) for name in _STANDIN_MODULES}
    monkeypatch.setenv("MINIGAN_CUPY_STANDIN", "1")
    for name in ("_cupy", "_cupy_error", "_gpu_count"):
        monkeypatch.setattr(backend, name, None)
    monkeypatch.setattr(backend, "_cupy_checked", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.StandinWarning)
        assert backend._load_cupy() is cp
    yield cp
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=32, seed=5)
    return folder


def config(data_dir, out, **kw) -> TrainConfig:
    base = dict(preset="pytorch-dcgan", model="dcgan", width=4, latent_dim=8, batch_size=16,
                data_dir=str(data_dir), epochs=10, progress="none", checkpoint_every=0, n_samples=16, out=str(out))
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("model", ["dcgan", "mlp"])
def test_a_step_reads_back_only_the_scalars_it_logs(standin, data_dir, tmp_path, model):
    trainer = GANTrainer(config(data_dir, tmp_path, model=model, device="cuda"))
    x = next(trainer.loader.iter_epoch(0))[0]
    trainer.train_step([x])  # the first step builds optimiser state
    with standin.count_transfers() as seen:
        record = trainer.train_step([x])
    logged = {"loss_D", "D_x", "D_G_z", "grad_norm_D", "loss_G", "D_G_z_after", "grad_norm_G"}
    assert logged <= set(record)
    assert seen.count <= len(logged), "\n".join(seen.sites)  # one read per logged scalar, no more


def _cancelled_by_batchnorm(model: nn.Module) -> set[str]:
    """A bias feeding a BatchNorm, and that BatchNorm's running mean: their gradient is zero up to
    rounding, so Adam moves them by +-lr on noise alone, on any two backends (the outputs do not change)."""
    keys: set[str] = set()
    children = list(model.net.named_children())
    for (name, layer), (next_name, following) in zip(children, children[1:]):
        if getattr(layer, "bias", None) is not None and isinstance(following, (nn.BatchNorm1d, nn.BatchNorm2d)):
            keys |= {f"net.{name}.bias", f"net.{next_name}.running_mean"}
    return keys


def test_twenty_steps_on_cuda_give_the_cpu_weights(standin, data_dir, tmp_path):
    cpu = GANTrainer(config(data_dir, tmp_path / "cpu", max_steps=20))
    cpu.train()
    draws = standin.random.DRAWS.count
    gpu = GANTrainer(config(data_dir, tmp_path / "gpu", max_steps=20, device="cuda"))
    gpu.train()
    assert standin.random.DRAWS.count == draws  # every number comes from the CPU stream: nothing to checkpoint
    a, b = load_checkpoint(tmp_path / "cpu"), load_checkpoint(tmp_path / "gpu")
    assert a["step"] == b["step"] == 20
    for net, model in (("generator", cpu.G), ("discriminator", cpu.D)):
        skipped = _cancelled_by_batchnorm(model)
        assert skipped and skipped < set(a[net])
        for key in set(a[net]) - skipped:
            np.testing.assert_allclose(b[net][key], a[net][key], rtol=1e-4, atol=1e-6, err_msg=f"{net} {key}")


def test_dropout_and_init_draw_the_cpu_stream_on_cuda(standin):
    masks = []
    for device in ("cpu", "cuda"):
        minigan.manual_seed(7)
        layer = nn.Linear(5, 4).to(device)
        x = minigan.ones(3, 5, device=device)
        masks.append((layer.weight.numpy(), nn.functional.dropout(x, 0.5).numpy(), minigan.randn(4, device=device)
                      .numpy()))
    for cpu_values, gpu_values in zip(*masks):
        np.testing.assert_array_equal(cpu_values, gpu_values)


def test_checkpoints_move_between_cpu_and_cuda(standin, data_dir, tmp_path):
    GANTrainer(config(data_dir, tmp_path / "gpu", max_steps=2, device="cuda")).train()
    GANTrainer(config(data_dir, tmp_path / "cpu", max_steps=2)).train()
    on_cpu = GANTrainer.from_checkpoint(tmp_path / "gpu", device="cpu", max_steps=3)
    on_gpu = GANTrainer.from_checkpoint(tmp_path / "cpu", device="cuda", max_steps=3)
    assert on_cpu.device == "cpu" and on_gpu.device == "cuda:0"
    assert all(p.device == "cpu" for p in on_cpu.G.parameters())
    assert all(p.device == "cuda:0" for p in on_gpu.G.parameters())
    assert on_cpu.train().step == on_gpu.train().step == 3
    with np.load(tmp_path / "gpu" / "checkpoint.npz", allow_pickle=False) as archive:  # host arrays, no pickle
        assert archive.files


def _cli(*args, cwd, standin=True):
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("MINIGAN_DATA_DIR", None)
    env.pop("MINIGAN_CUPY_STANDIN", None)
    if standin:
        env["MINIGAN_CUPY_STANDIN"] = "1"
    proc = subprocess.run([sys.executable, "-m", "minigan", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"minigan {' '.join(map(str, args))}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_cli_trains_resumes_samples_and_evaluates_on_cuda(data_dir, tmp_path):
    tiny = ["--width", "4", "--latent-dim", "24", "--batch-size", "16", "--samples", "16", "--epochs", 10,
            "--data-dir", data_dir]
    proc = _cli("train", "--device", "cuda", "--max-steps", 20, "--out", "R", *tiny, cwd=tmp_path)
    assert "stand-in" in proc.stderr  # never silently active
    _cli("train", "--resume", "R", "--max-steps", 30, cwd=tmp_path)
    steps = [json.loads(line) for line in (tmp_path / "R" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in steps if "loss_D" in r] == list(range(1, 31))
    _cli("sample", "--checkpoint", "R", "--device", "cuda", "--n", 8, "--out", "s.npy", cwd=tmp_path)
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (8, 1, 28, 28) and np.all(np.abs(samples) <= 1)
    _cli("eval", "--checkpoint", "R", "--device", "cuda", "--n", 32, "--data-dir", data_dir, "--no-baseline",
         "--json", "scores.json", cwd=tmp_path)
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert np.isfinite(scores["fid"])


def test_info_names_the_stand_in_only_when_asked_for(tmp_path):
    with_it = _cli("info", cwd=tmp_path).stdout
    assert "stand-in" in with_it and "cuda:0" in with_it
    without = _cli("info", cwd=tmp_path, standin=False).stdout
    assert "stand-in" not in without
