"""`minigan train` under ``mpiexec -n 2``: the same training as one process at the global batch, resume on
another number of ranks, every family, faults (a killed rank, a raising rank, SIGTERM), bad input, and the
GPU path on the CuPy and NCCL stand-ins.

Each test starts mpiexec on the tiny synthetic MNIST (64 images), a few seconds each.
"""
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

from minigan.data import write_fake_dataset
from minigan.gan import load_checkpoint

from tests.distributed.conftest import _why_not, mpiexec, rank_env

TINY = ["--width", "4", "--latent-dim", "32", "--progress", "none", "--checkpoint-every", "0", "--samples", "16"]
STANDIN = {"MINIGAN_CUPY_STANDIN": "1", "MINIGAN_CUPY_STANDIN_DEVICES": "2"}
LOGGED = ("loss_D", "loss_G", "grad_norm_D", "grad_norm_G", "D_x", "D_G_z", "D_G_z_after")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=16, seed=3)
    return folder


@pytest.fixture
def run(data_dir, tmp_path):
    """run(args, ranks=2, env=None, timeout=120, script=None) -> CompletedProcess of `minigan train ARGS` (or
    of `script` ARGS) on `ranks` ranks (ranks=1: plain python, no mpiexec), in tmp_path."""
    why = _why_not()
    if why:
        pytest.skip(why)

    def go(args, ranks: int = 2, env: dict | None = None, timeout: float = 120, script=None):
        command = [sys.executable] + ([str(script)] if script else ["-m", "minigan", "train"]) + [str(a) for a in args]
        if ranks > 1:
            command = [mpiexec(), "-n", str(ranks)] + command
        return subprocess.run(command, cwd=tmp_path, env=_env(data_dir, env), capture_output=True, text=True,
                              timeout=timeout)

    go.dir = tmp_path
    return go


def _env(data_dir, extra=None) -> dict:
    return rank_env({"MINIGAN_DATA_DIR": str(data_dir), **(extra or {})})


def _log(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()
            if json.loads(line).get("type") != "eval"]


def _assert_close_logs(a: list[dict], b: list[dict], rtol: float) -> None:
    assert [r["step"] for r in a] == [r["step"] for r in b]
    for ra, rb in zip(a, b):
        for key in LOGGED + tuple(k for k in ("info",) if k in rb):
            assert ra[key] == pytest.approx(rb[key], rel=rtol, abs=1e-7), (ra["step"], key, ra[key], rb[key])


def _ok(proc) -> None:
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


@pytest.mark.parametrize("recipe", [[], ["--preset", "pytorch-dcgan", "--model", "dcgan"]],
                         ids=["default-recipe", "batchnorm-critic"])
def test_two_ranks_with_sync_batchnorm_train_as_one_process_at_the_global_batch(run, recipe):
    args = TINY + recipe + ["--max-steps", "3"]
    _ok(run(args + ["--batch-size", "8", "--sync-batchnorm", "--out", "two"]))
    _ok(run(args + ["--batch-size", "16", "--out", "one"], ranks=1))
    two, one = _log(run.dir / "two"), _log(run.dir / "one")
    _assert_close_logs(two, one, rtol=1e-5)
    assert all(r["ranks"] == 2 and r["global_batch"] == 16 for r in two)
    config = json.loads((run.dir / "two" / "config.json").read_text())
    assert config["world"] == {"size": 2, "global_batch_size": 16} and config["batch_size"] == 8


def test_without_sync_batchnorm_each_rank_normalises_its_own_batch(run):
    args = TINY + ["--preset", "pytorch-dcgan", "--model", "dcgan", "--max-steps", "1"]
    _ok(run(args + ["--batch-size", "8", "--out", "two"]))
    _ok(run(args + ["--batch-size", "16", "--out", "one"], ranks=1))
    two, one = _log(run.dir / "two")[0], _log(run.dir / "one")[0]
    assert abs(two["loss_D"] - one["loss_D"]) > 1e-4 * abs(one["loss_D"])   # statistics of 8 images, not 16


def test_a_run_resumes_on_two_one_and_two_ranks_again(run):
    args = TINY + ["--batch-size", "8", "--sync-batchnorm"]   # batch statistics over 16 images on any ranks
    _ok(run(args + ["--max-steps", "6", "--out", "whole"]))
    _ok(run(args + ["--max-steps", "2", "--out", "split"]))
    _ok(run(["--resume", "split", "--max-steps", "4"], ranks=1))     # one rank takes the global batch, 16
    _ok(run(["--resume", "split", "--max-steps", "6"]))
    whole, split = _log(run.dir / "whole"), _log(run.dir / "split")
    _assert_close_logs(split, whole, rtol=1e-5)
    assert [r.get("ranks", 1) for r in split] == [2, 2, 1, 1, 2, 2]
    assert [r["batch"] for r in split] == [r["batch"] for r in whole]
    _ok(run(args + ["--max-steps", "2", "--out", "same"]))
    _ok(run(["--resume", "same", "--max-steps", "6"]))
    assert _log(run.dir / "same") == [dict(r, time=s["time"], images_per_s=s["images_per_s"])
                                      for r, s in zip(whole, _log(run.dir / "same"))]  # same ranks: bit-identical


def test_a_resume_the_ranks_cannot_share_is_refused_unless_the_batch_may_change(run):
    _ok(run(TINY + ["--batch-size", "8", "--max-steps", "2", "--out", "r"]))
    three = run(["--resume", "r", "--max-steps", "4"], ranks=3)
    assert three.returncode == 2
    lines = three.stderr.strip().splitlines()
    assert lines == ["minigan train: error: cannot resume this run on 3 ranks: it trained on 2 rank(s) x batch 8 = "
                     "global batch 16, which 3 ranks cannot share evenly; resume on 1, 2, 4, 8, 16 ranks, or give "
                     "--batch-size and --allow-batch-change for a new global batch (and data order) "
                     "(see `minigan train --help`)"], three.stderr
    changed = run(["--resume", "r", "--max-steps", "3", "--batch-size", "4", "--allow-batch-change"], ranks=3)
    _ok(changed)
    assert _log(run.dir / "r")[-1]["global_batch"] == 12


def test_every_family_trains_on_two_ranks_and_rank_0_writes(run, data_dir):
    proc = run(["families", data_dir, run.dir], script=Path(__file__).with_name("train_checks.py"), timeout=300)
    _ok(proc)
    assert "rank 0 ok families" in proc.stdout and "rank 1 ok families" in proc.stdout


def test_a_raising_rank_stops_both_and_names_itself(run, data_dir):
    start = time.monotonic()
    proc = run(["raise", data_dir, run.dir / "x"], script=Path(__file__).with_name("train_checks.py"), timeout=90)
    assert proc.returncode != 0 and "finished training" not in proc.stdout
    assert "minigan.distributed: rank 1 of 2" in proc.stderr and "a bad batch at step 2" in proc.stderr
    assert time.monotonic() - start < 60


def _start(data_dir, tmp_path, args):
    command = [mpiexec(), "-n", "2", sys.executable, "-m", "minigan", "train"] + TINY + args
    return subprocess.Popen(command, cwd=tmp_path, env=_env(data_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.05)


def test_a_killed_rank_stops_the_job_and_the_checkpoint_survives(run, data_dir):
    proc = _start(data_dir, run.dir, ["--batch-size", "8", "--epochs", "500", "--checkpoint-every", "2", "--out", "k"])
    checkpoint = run.dir / "k" / "checkpoint.npz"
    _wait_for(checkpoint, proc)
    line = proc.stdout.readline()
    pids = [int(p) for p in line.split("pids by rank: ")[1].rstrip(")\n").split(", ")]
    os.kill(pids[1], signal.SIGKILL)
    start = time.monotonic()
    out, err = proc.communicate(timeout=90)
    assert proc.returncode != 0 and time.monotonic() - start < 60
    assert str(pids[1]) in out + err   # mpiexec names the killed process: the start line maps it to rank 1
    state = load_checkpoint(checkpoint)
    assert state["step"] >= 2 and state["world"]["size"] == 2
    _ok(run(["--resume", "k", "--max-steps", str(state["step"] + 1)], ranks=1))


def test_sigterm_to_mpiexec_saves_once_on_rank_0_and_stops_both(run, data_dir):
    proc = _start(data_dir, run.dir, ["--batch-size", "8", "--epochs", "500", "--checkpoint-every", "3", "--out", "t"])
    _wait_for(run.dir / "t" / "checkpoint.npz", proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert out.count("interrupted: ") == 1 and err.count("SIGTERM: finishing step") == 1, (out, err)
    state = load_checkpoint(run.dir / "t" / "checkpoint.npz")
    assert state["step"] == _log(run.dir / "t")[-1]["step"]   # saved after the last step both ranks took


def test_ranks_started_with_different_options_are_refused_before_the_first_step(run):
    base = [sys.executable, "-m", "minigan", "train"] + TINY + ["--max-steps", "1", "--out", "m"]
    command = [mpiexec(), "-n", "1"] + base + ["--lr-d", "1e-3", ":", "-n", "1"] + base + ["--lr-d", "2e-3"]
    proc = subprocess.run(command, cwd=run.dir, env=_env(run.dir.parent / "none"), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "minigan: error: check_same: rank 1 (node " + proc.stderr.split("(node ")[1].split(")")[0] + ") has another "
        "config than rank 0: lr_d=0.001 on rank 0, 0.002 on rank 1"], proc.stderr
    assert not (run.dir / "m" / "log.jsonl").exists()


def test_the_gpu_path_trains_on_two_ranks_with_the_nccl_standin(run):
    args = TINY + ["--max-steps", "2", "--batch-size", "8", "--sync-batchnorm"]
    _ok(run(args + ["--device", "cuda", "--out", "gpu"], env=STANDIN))
    _ok(run(args + ["--out", "cpu"]))
    _assert_close_logs(_log(run.dir / "gpu"), _log(run.dir / "cpu"), rtol=1e-5)


def test_a_node_with_fewer_gpus_than_ranks_is_one_line_naming_the_rank(run):
    proc = run(TINY + ["--max-steps", "1", "--device", "cuda", "--out", "g"],
               env={"MINIGAN_CUPY_STANDIN": "1", "MINIGAN_CUPY_STANDIN_DEVICES": "1"})
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("minigan: error: rank 1 of 2 (node ") and "needs GPU cuda:1" in lines[0]


def test_a_nan_loss_stops_every_rank_with_one_line_naming_the_rank(run):
    proc = run(TINY + ["--batch-size", "8", "--lr-d", "1e20", "--lr-g", "1e20", "--max-steps", "30", "--out", "n"])
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and " (rank " in lines[0] and "is nan at step" in lines[0], proc.stderr
    assert not (run.dir / "n" / "checkpoint.npz").exists()


def test_an_occupied_run_folder_is_one_line_from_rank_0(run):
    (run.dir / "x").mkdir()
    (run.dir / "x" / "checkpoint.npz").write_bytes(b"")
    proc = run(TINY + ["--max-steps", "1", "--out", "x"])
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"minigan: error: rank 0 of 2 (node {proc.stderr.split('(node ')[1].split(')')[0]}): x already holds a run "
        "(checkpoint.npz); continue it with --resume x (resume() in Python) or choose another --out"], proc.stderr
