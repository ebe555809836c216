"""The `minigan` command line, run as a user would: `python -m minigan ...` in a subprocess."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from minigan.cli import main
from minigan.data import write_fake_dataset
from minigan.gan import PRESETS, TrainConfig, load_checkpoint
from minigan.serialization import save as mg_save

REPO = Path(__file__).resolve().parents[2]
TINY = ["--width", "4", "--latent-dim", "24", "--batch-size", "16", "--samples", "16"]


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["MPLBACKEND"] = "Agg"
    e.pop("MINIGAN_DATA_DIR", None)
    return e


def run(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "minigan", *map(str, args)], cwd=cwd, env=env(),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=16, seed=1)
    return folder


@pytest.fixture(scope="module")
def trained_run(data_dir, tmp_path_factory):
    """A run of 3 steps with the defaults (the InfoGAN of --preset sngan-info), trained once through the CLI and
    shared by the sampling tests."""
    cwd = tmp_path_factory.mktemp("cli")
    proc = run("train", "--data-dir", data_dir, "--out", "run", "--max-steps", 3, *TINY, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd, cwd / "run", proc


def test_train_smoke_prints_where_everything_went(trained_run):
    cwd, run_dir, proc = trained_run
    out = proc.stdout
    assert "Traceback" not in proc.stderr
    for what in ("run folder:", "log:", "checkpoint:", "samples:", "loss curves:"):
        assert what in out
    assert "run/checkpoint.npz" in out and "run/log.jsonl" in out
    assert len((run_dir / "log.jsonl").read_text().splitlines()) == 3
    assert (run_dir / "samples_epoch_001.png").exists() and (run_dir / "losses.png").exists()
    state = load_checkpoint(run_dir)
    assert state["step"] == 3 and state["model"] == "infogan"
    # no --preset: the infogan family with its recipe, which is the sngan-info preset's, each setting
    recipe = {k: v for k, v in PRESETS["sngan-info"].items() if not k.startswith("info_")}
    assert recipe["loss"] == "hinge" and recipe["spectral_norm"] is True and recipe["ema"] == 0.995 and "ema" in state
    assert {key: state["config"][key] for key in recipe} == {**recipe, "batch_size": 16}   # given: it wins
    assert state["config"]["options"] == {"info_codes": 20, "info_weight": 1.0, "info_real_weight": 1.0}
    assert state["config"]["preset"] is None and TrainConfig().resolved().batch_size == 32


def test_sample_shape_dtype_range(trained_run, tmp_path):
    cwd, run_dir, _ = trained_run
    proc = run("sample", "--checkpoint", run_dir / "checkpoint.npz", "--n", 37, "--batch-size", 10,
               "--out", tmp_path / "s.npy", "--grid", tmp_path / "s.png", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    images = np.load(tmp_path / "s.npy")
    assert images.shape == (37, 1, 28, 28) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0 and images.std() > 0
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    assert "wrote 37 images" in proc.stdout
    # The same seed and batch size give identical images on one machine; a run folder works as --checkpoint too.
    again = run("sample", "--checkpoint", run_dir, "--n", 37, "--batch-size", 10, "--out", tmp_path / "t.npy",
                cwd=cwd)
    assert again.returncode == 0, again.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), images)
    # Another batch size (the default) may let BLAS pick other kernels: equal within float32 rounding only.
    other = run("sample", "--checkpoint", run_dir, "--n", 37, "--out", tmp_path / "u.npy", cwd=cwd)
    assert other.returncode == 0, other.stderr
    np.testing.assert_allclose(np.load(tmp_path / "u.npy"), images, rtol=1e-5, atol=1e-6)


def test_resume_through_the_cli(trained_run, data_dir, tmp_path):
    cwd, run_dir, _ = trained_run
    import shutil
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    proc = run("train", "--resume", copy, "--max-steps", 5, "--data-dir", data_dir, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "resuming" in proc.stdout and "at step 3" in proc.stdout
    assert load_checkpoint(copy)["step"] == 5
    # A setting that changes what the steps compute cannot change on resume: a usage error.
    bad = run("train", "--resume", copy, "--model", "mlp", cwd=tmp_path)
    assert bad.returncode == 2 and "cannot change --model when resuming" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_info(tmp_path):
    proc = run("info", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("minigan ")
    assert "numpy " in proc.stdout and "cupy" in proc.stdout and "devices: cpu" in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "gan9000"], "invalid choice: 'gan9000'"),
    (["train", "--epochs", "0"], "argument --epochs: expected a positive integer"),
    (["train", "--lr-g", "fast"], "argument --lr-g: expected a positive number"),
    (["train", "--label-smoothing", "1.5"], "expected a number in [0, 1)"),
    (["train", "--device", "tpu"], "unknown device 'tpu'"),
    (["train", "--loss", "hinge", "--g-loss", "minimax"], "applies to the bce loss only"),
    (["sample"], "the following arguments are required: --checkpoint"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_arguments_exit_2_with_a_message(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    # one line that matters and where to look, not the usage block above it
    assert message in err and "usage:" not in err and err.count("\n") == 1
    assert err.startswith("minigan") and "--help`)" in err


def test_bad_arguments_in_a_subprocess(tmp_path):
    proc = run("train", "--batch-size", "-3", cwd=tmp_path)
    assert proc.returncode == 2
    assert "minigan train: error: argument --batch-size" in proc.stderr and "Traceback" not in proc.stderr


def test_runtime_errors_exit_1_without_a_traceback(trained_run, tmp_path):
    cwd, run_dir, _ = trained_run
    missing = run("sample", "--checkpoint", tmp_path / "nope.npz", cwd=tmp_path)
    assert missing.returncode == 1
    assert "minigan: error: checkpoint" in missing.stderr and "does not exist" in missing.stderr
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes((run_dir / "checkpoint.npz").read_bytes()[:500])
    for args in (["sample", "--checkpoint", corrupt, "--out", tmp_path / "x.npy"], ["train", "--resume", corrupt]):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert "minigan: error: cannot read checkpoint" in proc.stderr and "corrupt" in proc.stderr
        assert "Traceback" not in proc.stderr
    # A checkpoint that claims another model than its weights: a clear mismatch message.
    state = load_checkpoint(run_dir)
    state["model"] = state["config"]["model"] = "mlp"
    mg_save(state, tmp_path / "other.npz")
    proc = run("sample", "--checkpoint", tmp_path / "other.npz", "--out", tmp_path / "y.npy", cwd=tmp_path)
    assert proc.returncode == 1 and "does not match this MLPGenerator" in proc.stderr
    assert "Traceback" not in proc.stderr
    # No dataset anywhere: the data package's message, exit 1.
    home = tmp_path / "home"
    nodata = subprocess.run([sys.executable, "-m", "minigan", "train",
                             "--max-steps", "1", "--out", str(tmp_path / "r"), "--no-download"],
                            env={**env(), "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")},
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert nodata.returncode == 1 and "minigan: error: mnist (train split) was not found" in nodata.stderr
    assert "Traceback" not in nodata.stderr


def test_nan_loss_exits_1_with_the_step(data_dir, tmp_path, monkeypatch, capsys):
    from minigan.gan.core import losses

    calls = {"n": 0}
    original = losses.BCELoss.g

    def bad_g(self, scores):
        calls["n"] += 1
        out = original(self, scores)
        return out * float("inf") if calls["n"] == 3 else out

    monkeypatch.setattr(losses.BCELoss, "g", bad_g)
    code = main(["train", "--data-dir", str(data_dir), "--out", str(tmp_path / "run"), "--checkpoint-every", "2",
                 "--model", "mlp", "--loss", "bce", *TINY])
    err = capsys.readouterr().err
    assert code == 1
    assert "minigan: error: loss_G is" in err and "at step 3" in err and "last good checkpoint (step 2)" in err
    assert load_checkpoint(tmp_path / "run")["step"] == 2


def test_ctrl_c_saves_a_checkpoint_and_resumes(data_dir, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "minigan", "train", "--data-dir", str(data_dir), "--out", "run",
                             "--epochs", "1000", "--model", "mlp", *TINY],
                            cwd=tmp_path, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "run" / "log.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in out and "resume with:  minigan train --resume run" in out
    assert "Traceback" not in err
    state = load_checkpoint(tmp_path / "run")
    steps = len(log.read_text().splitlines())
    assert state["step"] == steps >= 2
    again = run("train", "--resume", "run", "--max-steps", steps + 1, "--data-dir", data_dir, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert load_checkpoint(tmp_path / "run")["step"] == steps + 1


def test_main_is_the_console_script_entry_point():
    text = (REPO / "pyproject.toml").read_text()
    assert 'minigan = "minigan.cli:main"' in text


def _train_until(tmp_path, data_dir, steps, *extra):
    proc = subprocess.Popen([sys.executable, "-m", "minigan", "train", "--data-dir", str(data_dir), "--out", "run",
                             "--epochs", "1000", "--model", "mlp", *TINY, *map(str, extra)],
                            cwd=tmp_path, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "run" / "log.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= steps:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    return proc, log


def test_sigterm_finishes_the_step_saves_and_exits_143(data_dir, tmp_path):
    proc, log = _train_until(tmp_path, data_dir, 2, "--max-steps", 100000)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "SIGTERM: finishing step" in err and "Traceback" not in err
    assert "resume with:  minigan train --resume run --max-steps 100000" in out
    steps = len(log.read_text().splitlines())
    assert load_checkpoint(tmp_path / "run")["step"] == steps >= 2  # nothing lost


def test_three_quick_sigterms_stop_at_once_without_saving(data_dir, tmp_path):
    # DCGAN steps of 32 images at width 256 (about 0.5 s each), two per epoch: the first signal lands just after
    # step 4 began (the log line of step 3, which _train_until waits for, is not followed by an epoch's grid and
    # curves, so the next step starts at once), and the others land inside that step.
    proc, log = _train_until(tmp_path, data_dir, 3, "--checkpoint-every", 1000, "--model", "dcgan", "--width", 256,
                             "--batch-size", 32)
    # Two signals that arrive before the process runs its handler coalesce into one (POSIX does not
    # queue them), so each is sent once the one before has been seen, while the step is still running.
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    for seen in ("SIGTERM: finishing step", "SIGTERM again: saving the checkpoint is under way", None):
        proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 30
        while seen and time.time() < deadline and not any(seen in line for line in lines):
            time.sleep(0.005)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    err = "".join(lines)
    assert proc.returncode == 143, err
    assert "without saving; no checkpoint was written" in err and "Traceback" not in err
    assert not (tmp_path / "run" / "checkpoint.npz").exists()


def test_eval_of_a_run_uses_the_data_dir_it_was_trained_with(trained_run, tmp_path):
    cwd, run_dir, _ = trained_run
    home = tmp_path / "home"
    proc = subprocess.run([sys.executable, "-m", "minigan", "eval", "--checkpoint", str(run_dir), "--n", "20",
                           "--json", str(tmp_path / "out.json")],
                          env={**env(), "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")},
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    import json
    result = json.loads((tmp_path / "out.json").read_text())
    # The real-vs-real baseline comes from the run's own (fake, 64-image) training set, at equal N.
    assert result["baseline"]["n"] == 20 and result["baseline"]["source"] == "mnist train subset vs test set"
