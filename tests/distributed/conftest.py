"""The `launch` fixture: run tests/distributed/rank_checks.py on two ranks with mpiexec.

Skipped, with the reason, where mpi4py or mpiexec is missing (``pip install -e '.[mpi]'``
provides both; CI installs it).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RANK_CHECKS = Path(__file__).with_name("rank_checks.py")


def mpiexec() -> str | None:
    """The mpiexec beside this Python (the mpich wheel's), else the one on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _why_not() -> str | None:
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install -e '.[mpi]')"
    if mpiexec() is None:
        return "no mpiexec found (pip install -e '.[mpi]' brings MPICH's)"
    return None


class Launched:
    def __init__(self, proc: subprocess.CompletedProcess, seconds: float):
        self.returncode, self.stdout, self.stderr, self.seconds = proc.returncode, proc.stdout, proc.stderr, seconds

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def rank_env(extra: dict | None = None) -> dict:
    """The environment of a launched rank: this repository on the path, one thread, no CuPy stand-in unless
    `extra` asks for it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIGAN_CUPY_STANDIN")}
    env.update({"PYTHONPATH": str(ROOT), "MINIGAN_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"})
    env.update(extra or {})
    return env


@pytest.fixture
def launch():
    """launch(scenario, device="cpu", ranks=2, env=None, timeout=120) -> Launched (never raises on failure)."""
    why = _why_not()
    if why:
        pytest.skip(why)

    def run(scenario: str, device: str = "cpu", ranks: int = 2, env: dict | None = None,
            timeout: float = 120) -> Launched:
        full_env = rank_env(env)
        cmd = [mpiexec(), "-n", str(ranks), sys.executable, str(RANK_CHECKS), scenario, device]
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout)
        return Launched(proc, time.monotonic() - start)

    return run
