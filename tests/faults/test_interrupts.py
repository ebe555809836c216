"""Real processes, real signals: impatient Ctrl-C, and two runs started on one folder."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minigan.data import write_fake_dataset
from minigan.gan import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
TINY = ["--model", "mlp", "--width", "4", "--latent-dim", "8", "--batch-size", "16", "--samples", "4",
        "--progress", "none"]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")


def env():
    e = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    e.pop("MINIGAN_DATA_DIR", None)
    return e


def minigan(*args, cwd):
    return subprocess.run([sys.executable, "-m", "minigan", *map(str, args)], cwd=cwd, env=env(),
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=16, seed=1)
    return folder


def start_training(tmp_path, data_dir, steps: int, *extra) -> subprocess.Popen:
    """`minigan train --out run` in the background, returned once `steps` steps are logged."""
    proc = subprocess.Popen([sys.executable, "-m", "minigan", "train", "--data-dir", str(data_dir), "--out", "run",
                             "--epochs", "1000", *TINY, *map(str, extra)], cwd=tmp_path, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "run" / "log.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= steps:
            return proc
        time.sleep(0.01)
    raise AssertionError(f"training did not log {steps} steps: {proc.communicate()}")


def send(proc, count: int, apart: float = 0.05) -> tuple[str, str]:
    for i in range(count):
        if i:
            time.sleep(apart)
        proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=60)


def logged(tmp_path) -> int:
    return len((tmp_path / "run" / "log.jsonl").read_text().splitlines())


def test_two_ctrl_c_50ms_apart_finish_the_save_and_the_run_resumes(tmp_path, data_dir):
    proc = start_training(tmp_path, data_dir, 1, "--checkpoint-every", 0)  # no checkpoint before the signal
    out, err = send(proc, 2)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "saving the checkpoint is under way" in err and "resume with:  minigan train --resume run" in out
    steps = logged(tmp_path)
    assert load_checkpoint(tmp_path / "run")["step"] == steps >= 1
    again = minigan("train", "--resume", "run", "--max-steps", steps + 1, "--data-dir", data_dir, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert load_checkpoint(tmp_path / "run")["step"] == steps + 1


def test_three_quick_ctrl_c_stop_at_once_and_keep_the_previous_checkpoint(tmp_path, data_dir):
    proc = start_training(tmp_path, data_dir, 3, "--checkpoint-every", 1)
    out, err = send(proc, 3)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "minigan: interrupted" in err
    state = load_checkpoint(tmp_path / "run")  # complete and readable: the earlier one, or the one just saved
    assert 1 <= state["step"] <= logged(tmp_path)
    assert not [p.name for p in (tmp_path / "run").iterdir() if p.name.endswith(".part")]
    again = minigan("train", "--resume", "run", "--max-steps", state["step"] + 1, "--data-dir", data_dir,
                    cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def test_a_second_run_on_a_busy_folder_fails_at_once_naming_the_holder(tmp_path, data_dir):
    first = start_training(tmp_path, data_dir, 1, "--checkpoint-every", 1)
    try:
        for args in (["--out", "run", *TINY], ["--resume", "run"]):
            start = time.monotonic()
            second = minigan("train", "--data-dir", data_dir, *args, cwd=tmp_path)
            err = second.stderr
            assert second.returncode == 1, err
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("minigan: error: run is in use by process "
                                                           f"{first.pid} ("), err
            assert "--out run" in lines[0] and time.monotonic() - start < 30
        assert first.poll() is None  # the first run goes on, untouched
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    # killed: the kernel dropped the lock, so the run continues from its checkpoint
    steps = load_checkpoint(tmp_path / "run")["step"]
    again = minigan("train", "--resume", "run", "--max-steps", steps + 1, "--data-dir", data_dir, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
