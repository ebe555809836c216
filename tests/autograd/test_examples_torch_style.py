"""The PyTorch-style examples run unchanged but for their imports: micrograd's demo and PyTorch's DCGAN tutorial."""
import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]


def _run(name: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("MINIGAN_DATA_DIR", None)  # the synthetic data: no files needed
    return subprocess.run([sys.executable, str(ROOT / "examples" / name), *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=ROOT)


def test_micrograd_style_prints_micrograd_s_numbers_and_learns_the_moons():
    result = _run("micrograd_style.py", "--steps", "40")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["24.7041", "138.8338", "645.5773"]
    last = lines[-1]
    assert last.startswith("step 39 loss") and int(last.rsplit(" ", 1)[1].rstrip("%")) >= 80, last
    refused = _run("micrograd_style.py", "--steps", "0")
    assert refused.returncode == 2 and "--steps must be at least 1" in refused.stderr


def test_pytorch_dcgan_style_trains_a_few_steps_and_refuses_zero():
    result = _run("pytorch_dcgan_style.py", "--max-steps", "3", "--batch-size", "8", "--ngf", "8", "--ndf", "8")
    assert result.returncode == 0, result.stderr
    assert "[2/3]\tLoss_D:" in result.stdout and "trained 3 steps; samples (64, 1, 32, 32)" in result.stdout
    refused = _run("pytorch_dcgan_style.py", "--max-steps", "0")
    assert refused.returncode == 2 and "--max-steps must be at least 1" in refused.stderr
