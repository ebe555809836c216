"""benchmarks/gpu_check.py: the parts that need no GPU (its plan, its refusal without one)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(*args, pythonpath: str = ""):
    e = {k: v for k, v in os.environ.items() if k != "MINIGAN_CUPY_STANDIN"}
    e["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), pythonpath) if p)
    return subprocess.run([sys.executable, "-m", "benchmarks.gpu_check", *args], cwd=REPO, env=e,
                          capture_output=True, text=True, timeout=120)


def test_dry_run_prints_the_three_steps_within_ten_minutes():
    proc = _run("--dry-run", "--data-dir", "/data/mnist")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert [line.split(" (")[0] for line in lines] == ["cuda tests", "benchmarks --device all --quick",
                                                       "dcgan one epoch"]
    assert "-k 'cuda and not standin'" in lines[0] and "--device all --quick" in lines[1]
    assert "--device cuda --epochs 1" in lines[2] and "--data-dir /data/mnist" in lines[2]
    assert sum(int(line.split("at most ")[1].split(" s")[0]) for line in lines) <= 600


def test_without_a_gpu_it_fails_clearly(tmp_path):
    # The stand-in registered as `cupy` is refused too: the check is about real hardware.
    fake = tmp_path / "cupy.py"
    fake.write_text("import minigan._cupy_standin as _s, sys; sys.modules['cupy'] = _s\n")
    proc = _run("--no-install", "--out", str(tmp_path / "r.json"), pythonpath=str(tmp_path))
    assert proc.returncode == 2 and not (tmp_path / "r.json").exists()
    assert "gpu_check: no usable CUDA GPU ('cupy' is minigan's NumPy stand-in, not CuPy)" in proc.stderr


def test_help():
    proc = _run("--help")
    assert proc.returncode == 0 and "--dry-run" in proc.stdout
