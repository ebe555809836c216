"""Fault tests: kill -9 at random points of a run, and damaged --samples files."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minigan.data import write_fake_dataset
from minigan.evaluation import load_samples
from minigan.gan import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
# A 200-step MLP run on 64 fake images (4 steps per epoch), a checkpoint every 5 steps.
RUN = ["--model", "mlp", "--width", "4", "--latent-dim", "8", "--batch-size", "16", "--samples", "4",
       "--epochs", "50", "--max-steps", "200", "--checkpoint-every", "5", "--progress", "none"]


def env():
    e = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    e.pop("MINIGAN_DATA_DIR", None)
    return e


def train(*args, cwd):
    return subprocess.Popen([sys.executable, "-m", "minigan", "train", *map(str, args)], cwd=cwd, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def logged_steps(run):
    path = run / "log.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line)["step"])
        except ValueError:
            pass  # the line the kill cut short; the resume drops it
    return out


def strip(run):
    return [{k: v for k, v in json.loads(line).items() if k not in ("time", "images_per_s")}
            for line in (run / "log.jsonl").read_text().splitlines()]


def kill_and_resume(tmp_path, kills: int, seed: int):
    data = tmp_path / "data"
    write_fake_dataset(data, train_size=64, test_size=16, seed=2)
    straight = train("--data-dir", data, "--out", tmp_path / "straight", *RUN, cwd=tmp_path)
    assert straight.wait(timeout=300) == 0, straight.stderr.read()

    rng = np.random.default_rng(seed)
    run = tmp_path / "killed"
    args = ["--data-dir", data, "--out", run, *RUN]
    for _ in range(kills):
        proc = train(*args, cwd=tmp_path)
        before = len(logged_steps(run))
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None and len(logged_steps(run)) <= before:
            time.sleep(0.005)
        time.sleep(float(rng.uniform(0.0, 0.3)))  # a random point: mid-step, mid-log line or mid-checkpoint
        if proc.poll() is not None:  # finished before the kill landed
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if (run / "checkpoint.npz").exists():
            lost = logged_steps(run)[-1] - load_checkpoint(run)["step"]
            assert 0 <= lost <= 5, f"lost {lost} steps"  # at most the steps since the last checkpoint
            args = ["--resume", run, "--data-dir", data]
        # else: killed before the first checkpoint; the run starts again from scratch (a new run in that folder)
    final = train(*args, cwd=tmp_path)
    assert final.wait(timeout=300) == 0, final.stderr.read()
    assert logged_steps(run) == list(range(1, 201))  # no duplicate or missing log lines
    a, b = load_checkpoint(tmp_path / "straight"), load_checkpoint(run)
    for part in ("generator", "discriminator"):
        for key in a[part]:
            assert np.array_equal(a[part][key], b[part][key]), f"{part}.{key}"
    assert a["rng_state"] == b["rng_state"] and a["step"] == b["step"] == 200
    assert strip(tmp_path / "straight") == strip(run)
    assert not [p.name for p in run.iterdir() if p.name.endswith((".tmp", ".part"))]


def test_kill_9_three_times_then_resume_ends_equal_to_an_uninterrupted_run(tmp_path):
    kill_and_resume(tmp_path, kills=3, seed=0)


@pytest.mark.fault
def test_kill_9_ten_times_then_resume_ends_equal_to_an_uninterrupted_run(tmp_path):
    kill_and_resume(tmp_path, kills=10, seed=1)


# ---- damaged --samples files ---------------------------------------------------------------

def _good_file(tmp_path: Path) -> tuple[Path, np.ndarray, bytes]:
    images = np.random.default_rng(0).uniform(-1, 1, (3, 1, 28, 28)).astype(np.float32)
    path = tmp_path / "good.npy"
    np.save(path, images)
    return path, images, path.read_bytes()


def _check(path: Path, original: np.ndarray, flipped_at: int | None, header: int):
    try:
        loaded = load_samples(path)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert "\n" not in message and path.name in message, message
        return
    # A valid load: the same shape, and at most the one element holding the flipped byte differs.
    assert loaded.shape == original.shape and loaded.dtype == np.float32
    differs = np.flatnonzero(loaded.ravel() != original.ravel())
    if flipped_at is None or flipped_at < header:
        assert differs.size == 0
    else:
        assert set(differs.tolist()) <= {(flipped_at - header) // 4}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_samples_files_give_a_one_line_error_or_a_valid_load(tmp_path, data):
    path, images, good = _good_file(tmp_path)
    header = len(good) - images.nbytes
    damaged = tmp_path / "damaged.npy"
    if data.draw(st.booleans(), label="truncate"):
        cut = data.draw(st.integers(0, len(good) - 1), label="length")
        damaged.write_bytes(good[:cut])
        _check(damaged, images, None, header)
    else:
        position = data.draw(st.one_of(st.integers(0, header - 1), st.integers(0, len(good) - 1)), label="byte")
        bit = data.draw(st.integers(0, 7), label="bit")
        flipped = bytearray(good)
        flipped[position] ^= 1 << bit
        damaged.write_bytes(bytes(flipped))
        _check(damaged, images, position, header)


def test_a_truncated_samples_file_through_the_cli_is_one_line_exit_1(tmp_path):
    path, _, good = _good_file(tmp_path)
    path.write_bytes(good[: len(good) // 2])
    done = subprocess.run([sys.executable, "-m", "minigan", "eval", "--samples", str(path)], cwd=tmp_path,
                          env=env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("minigan: error: cannot read samples file") and \
        "truncated" in lines[0]
