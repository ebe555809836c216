"""The example scripts run end to end (2 steps on a tiny fake MNIST) and fail in one line without data."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from minigan.data import write_fake_dataset
from minigan.gan import read_png

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script", ["mnist_dcgan.py", "mnist_mlp_gan.py"])
def test_example_runs(script, tmp_path):
    write_fake_dataset(tmp_path / "data", train_size=32, test_size=16)
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, str(REPO / "examples" / script), "--max-steps", "2", "--data-dir",
                           str(tmp_path / "data"), "--width", "8", "--batch-size", "8", "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1 step 2: loss_D" in proc.stdout
    assert read_png(tmp_path / "out" / "epoch_001.png").shape == (8 * 30 + 2, 8 * 30 + 2)


@pytest.mark.parametrize("script", ["mnist_dcgan.py", "mnist_mlp_gan.py"])
def test_example_refuses_max_steps_0_and_says_when_the_data_is_missing(script, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("MINIGAN_DATA_DIR", None)

    def run(*args):
        return subprocess.run([sys.executable, str(REPO / "examples" / script), *args], env=env, capture_output=True,
                              text=True, timeout=120)

    zero = run("--max-steps", "0")
    assert zero.returncode == 2 and "--max-steps: expected a positive integer, got '0'" in zero.stderr
    missing = run("--data-dir", str(tmp_path / "nowhere"))
    lines = missing.stderr.strip().splitlines()
    assert missing.returncode == 1 and len(lines) == 1 and "Traceback" not in missing.stderr
    assert lines[0].startswith(f"{script}: error: the data folder {tmp_path / 'nowhere'}")


def test_pytorch_style_example_refuses_max_steps_0_and_says_when_the_data_is_missing(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", MINIGAN_DATA_DIR=str(tmp_path / "nowhere"))
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")

    def run(*args):
        return subprocess.run([sys.executable, str(REPO / "examples" / "pytorch_dcgan_style.py"), *args], env=env,
                              capture_output=True, text=True, timeout=120)

    zero = run("--max-steps", "0")
    assert zero.returncode == 2 and "--max-steps must be at least 1" in zero.stderr
    missing = run("--max-steps", "1")
    lines = missing.stderr.strip().splitlines()
    assert missing.returncode == 1 and len(lines) == 1 and "Traceback" not in missing.stderr
    assert lines[0] == f"pytorch_dcgan_style.py: error: $MINIGAN_DATA_DIR ({tmp_path / 'nowhere'}) does not exist"


def test_every_example_starts_with_what_it_shows_and_how_long_it_takes():
    for script in sorted((REPO / "examples").glob("*.py")):
        head = script.read_text().splitlines()[:4]
        assert head[0].startswith("# Shows: ") and any(line.startswith("# Takes: ") for line in head), script.name
