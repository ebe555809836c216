"""`minigan sweep` under mpiexec: each trial whole on one rank, rank 0 alone writes results.jsonl and prints.

The mpiexec tests start two ranks on the tiny synthetic MNIST (a few seconds each) and skip, with the reason,
where mpi4py or mpiexec is missing; the split itself is also checked in one process, with two threads as ranks.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from minigan import distributed
from minigan.cli import sweep as sweep_module
from minigan.cli.sweep import RESULTS_NAME, run_sweep, use_rank_device
from tests.cli.test_sweep import TINY, data_dir, results  # noqa: F401  (data_dir is a fixture)
from tests.distributed.conftest import _why_not, mpiexec

ROOT = Path(__file__).resolve().parents[2]


def mpi_sweep(data_dir, out, *grid, extra=(), ranks=2, plugin=None, env=None):
    why = _why_not()
    if why:
        pytest.skip(why)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MINIGAN_CUPY_STANDIN")}
    full_env.update({"PYTHONPATH": str(ROOT), "MINIGAN_NUM_THREADS": "1", "MINIGAN_DATA_DIR": str(data_dir),
                     "PYTHONWARNINGS": "ignore", **(env or {})})
    first = ["--plugin", str(plugin)] if plugin else []
    cmd = [mpiexec(), "-n", str(ranks), sys.executable, "-m", "minigan", *first, "sweep", "--grid", *TINY, *grid,
           "--max-steps", "2", "--eval-n", "16", "--out", str(out), *extra]
    return subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)


def test_two_ranks_run_one_trial_each_and_rank_0_writes(data_dir, tmp_path):
    proc = mpi_sweep(data_dir, tmp_path / "s", "lr-d=1e-4,2e-4")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    recs = results(tmp_path / "s")
    assert sorted(r["settings"]["lr_d"] for r in recs) == [1e-4, 2e-4]   # each setting once
    assert all(r["status"] == "done" and r["steps"] == 2 for r in recs)
    assert sorted(r["rank"] for r in recs) == [0, 1]
    for r in recs:   # each trained alone on its rank, not data-parallel over the two
        assert (tmp_path / "s" / r["name"] / "checkpoint.npz").exists()
        assert json.loads((tmp_path / "s" / r["name"] / "config.json").read_text())["world"]["size"] == 1
    # stdout is rank 0's: the summary, its own trial, the table once; rank 1's progress is on stderr
    assert proc.stdout.count("sweep: 2 setting(s)") == 1 and proc.stdout.count("results: ") == 1
    assert "(rank 1)" not in proc.stdout and "[2/2]" in proc.stderr and "(rank 1)" in proc.stderr
    assert len([line for line in proc.stdout.splitlines() if line[:1].isdigit()]) == 2
    assert (tmp_path / "s" / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_a_failing_trial_on_one_rank_is_recorded_and_a_rerun_runs_only_it(data_dir, tmp_path):
    # n-critic=5 needs 5 batches per step, 64 images in batches of 16 give 4: rank 0's trial fails
    proc = mpi_sweep(data_dir, tmp_path / "s", "n-critic=5,1")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    status = {(r["settings"]["n_critic"], r["rank"]): r["status"] for r in results(tmp_path / "s")}
    assert status == {(5, 0): "failed", (1, 1): "done"}
    proc = mpi_sweep(data_dir, tmp_path / "s", "n-critic=5,1")
    assert proc.returncode == 0 and "1 already done, 1 to run on 2 ranks" in proc.stdout
    assert len(results(tmp_path / "s")) == 3


STOP_RANK_1 = """
import signal
from minigan import distributed
from minigan.cli import sweep

class StopsAfterOneStepOnRank1(sweep.GANTrainer):  # what SIGTERM to rank 1 alone does
    def train_step(self, reals):
        if distributed.get_world().rank == 1:
            self.request_stop(signal.SIGTERM)
        return super().train_step(reals)

sweep.GANTrainer = StopsAfterOneStepOnRank1
"""


def test_a_rank_stopped_by_a_signal_stops_the_others_and_a_rerun_goes_on(data_dir, tmp_path):
    plugin = tmp_path / "stop_rank_1.py"
    plugin.write_text(STOP_RANK_1)
    # rank 0 finishes its trial and waits for rank 1 in the round's gather: it must not wait for ever
    proc = mpi_sweep(data_dir, tmp_path / "s", "lr-d=1e-4,2e-4", plugin=plugin)
    assert proc.returncode == 128 + 15, proc.stdout[-2000:] + proc.stderr[-2000:]
    # the trainer's line always arrives; the sweep's own line just before MPI_Abort may be cut off with the job
    assert "minigan: interrupted at step" in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "s" / RESULTS_NAME).exists()
    proc = mpi_sweep(data_dir, tmp_path / "s", "lr-d=1e-4,2e-4")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert sorted((r["settings"]["lr_d"], r["steps"], r["rank"]) for r in results(tmp_path / "s")) == [
        (1e-4, 2, 0), (2e-4, 2, 1)]


def test_device_cuda_gives_each_rank_its_own_gpu(data_dir, tmp_path):
    # on the CuPy stand-in with two devices: rank r trains and scores on cuda:r
    proc = mpi_sweep(data_dir, tmp_path / "s", "lr-d=1e-4,2e-4", extra=("--device", "cuda"),
                     env={"MINIGAN_CUPY_STANDIN": "1", "MINIGAN_CUPY_STANDIN_DEVICES": "2"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    devices = {r["rank"]: json.loads((Path(r["run_dir"]) / "config.json").read_text())["device"]
               for r in results(tmp_path / "s")}
    assert devices == {0: "cuda:0", 1: "cuda:1"}


def test_an_out_folder_rank_0_cannot_make_is_one_error_and_no_rank_waits(data_dir, tmp_path):
    (tmp_path / "file").write_text("")
    proc = mpi_sweep(data_dir, tmp_path / "file" / "s", "lr-d=1e-4")
    assert proc.returncode == 1 and proc.stderr.count("minigan: error:") == 1, proc.stderr[-2000:]
    assert "Not a directory" in proc.stderr


def test_jobs_under_mpiexec_is_a_usage_error(data_dir, tmp_path):
    proc = mpi_sweep(data_dir, tmp_path / "s", "lr-d=1e-4", extra=("--jobs", "2"))
    assert proc.returncode == 2 and "--jobs 2 is for one process" in proc.stderr
    assert not (tmp_path / "s").exists()


class ThreadWorld:
    """Rank `rank` of `size` threads, with the collectives run_sweep uses (objects only)."""

    def __init__(self, rank: int, size: int, shared: dict):
        self.rank, self.size, self.local_rank, self.node, self.shared = rank, size, rank, "localhost", shared

    def allgather_obj(self, obj) -> list:
        self.shared["slots"][self.rank] = obj
        self.shared["barrier"].wait()
        gathered = list(self.shared["slots"])
        self.shared["barrier"].wait()
        return gathered

    def bcast_obj(self, obj, root: int = 0):
        return self.allgather_obj(obj)[root]


def run_on_threads(size: int, work) -> list:
    """work(world) on `size` threads; what each returned (or raised), by rank."""
    shared = {"slots": [None] * size, "barrier": threading.Barrier(size, timeout=20)}
    outcome = [None] * size

    def rank_main(rank):
        try:
            outcome[rank] = work(ThreadWorld(rank, size, shared))
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            outcome[rank] = exc

    threads = [threading.Thread(target=rank_main, args=(rank,)) for rank in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcome


def test_ranks_take_every_size_th_setting_and_rank_0_alone_writes(tmp_path, monkeypatch):
    ran = []

    def fake_run_one(setting, base, run_dir, eval_n):
        ran.append((threading.current_thread().name, setting["seed"]))
        if setting["seed"] == 3:
            return {"name": run_dir.name, "settings": setting, "status": "failed", "error": "ValueError: no"}
        return {"name": run_dir.name, "settings": setting, "status": "done", "fid": 10.0 - setting["seed"]}

    monkeypatch.setattr(sweep_module, "run_one", fake_run_one)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / RESULTS_NAME).write_text(json.dumps({"name": "seed=0", "status": "done", "fid": 1.0}) + "\n")
    settings = [{"seed": s} for s in range(6)]
    said = {0: [], 1: []}
    returned = run_on_threads(2, lambda world: run_sweep(settings, {}, tmp_path / "s", 16, world=world,
                                                         say=said[world.rank].append))
    assert returned[0] == returned[1]                                # every rank returns the same records
    assert [r["name"] for r in returned[0]] == ["seed=0", "seed=5", "seed=4", "seed=2", "seed=1", "seed=3"]
    by_rank = {r["settings"]["seed"]: r["rank"] for r in returned[0] if "settings" in r}
    assert by_rank == {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}                # to do: seeds 1-5; rank r takes r, r+2, ...
    assert len(ran) == 5 and [r["name"] for r in results(tmp_path / "s")][1:] == [f"seed={s}" for s in range(1, 6)]
    assert said[0][0] == "sweep: 6 setting(s), 1 already done, 5 to run on 2 ranks"
    assert not any(line.startswith("sweep:") for line in said[1])


def test_a_failure_on_rank_0_before_the_trials_is_raised_on_every_rank(tmp_path):
    (tmp_path / "file").write_text("")
    returned = run_on_threads(2, lambda world: run_sweep([{"seed": 0}], {}, tmp_path / "file" / "s", 16,
                                                         world=world, say=lambda text: None))
    assert all(isinstance(r, NotADirectoryError) for r in returned), returned
    assert all(distributed.raised_on_every_rank(r) for r in returned)   # the command line says it once


class Node:
    def __init__(self, size: int, local_rank: int):
        self.size, self.local_rank = size, local_rank


class FakeCupy:
    """Records which GPU `cupy.cuda.Device(i).use()` made current."""

    def __init__(self):
        self.current = None
        self.cuda = SimpleNamespace(Device=lambda i: SimpleNamespace(use=lambda: setattr(self, "current", i)))


@pytest.mark.parametrize("given, size, local_rank, gpus, expected, current", [
    ("cuda", 4, 3, 2, "cuda:1", 1), ("cuda", 1, 0, 2, "cuda", 0), ("cuda:1", 4, 3, 2, "cuda:1", 1),
    ("cpu", 4, 3, 2, "cpu", None),
])
def test_cuda_means_each_ranks_own_gpu_made_current(monkeypatch, given, size, local_rank, gpus, expected, current):
    cupy = FakeCupy()
    monkeypatch.setattr(sweep_module.backend, "device_count", lambda: gpus)
    monkeypatch.setattr(sweep_module.backend, "require_cupy", lambda index=None: cupy)
    assert use_rank_device(given, Node(size, local_rank)) == expected
    assert cupy.current == current
