"""The two example scripts run end to end (2 steps on a tiny fake MNIST)."""
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
