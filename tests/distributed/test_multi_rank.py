"""Two ranks under mpiexec: collectives, gradients, broadcast, SyncBatchNorm, failures.

Each test starts `rank_checks.py` on two ranks (about a second each); the scenario's
assertions run on the ranks, which print "rank R ok NAME" when they pass.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

STANDIN = {"MINIGAN_CUPY_STANDIN": "1", "MINIGAN_CUPY_STANDIN_DEVICES": "2"}


def _passed(result, scenario: str) -> None:
    assert result.returncode == 0, result.output[-3000:]
    for rank in (0, 1):
        assert f"rank {rank} ok {scenario}" in result.stdout, result.output[-3000:]


@pytest.mark.parametrize("scenario", ["collectives", "grads", "broadcast", "syncbn", "uneven", "mismatch"])
def test_two_ranks_on_numpy(launch, scenario):
    _passed(launch(scenario), scenario)


@pytest.mark.parametrize("scenario", ["collectives", "grads", "syncbn"])
def test_two_ranks_on_the_nccl_standin(launch, scenario):
    # the CuPy path: arrays on cuda:<local_rank>, collectives through cupy.cuda.nccl (the stand-in's, over MPI)
    _passed(launch(scenario, "cuda", env=STANDIN), scenario)


def test_a_node_with_fewer_gpus_than_ranks_names_the_rank(launch):
    _passed(launch("gpus", "cuda", env={"MINIGAN_CUPY_STANDIN": "1", "MINIGAN_CUPY_STANDIN_DEVICES": "1"}), "gpus")


def test_a_raising_rank_stops_every_rank(launch):
    result = launch("raise", timeout=60)
    assert result.returncode != 0
    assert "rank 0 passed the barrier" not in result.stdout
    assert "minigan.distributed: rank 1 of 2" in result.stderr and "ValueError: a batch went wrong" in result.stderr
    assert result.seconds < 30


def test_a_rank_killed_with_sigkill_stops_the_others_within_a_minute(launch):
    result = launch("kill", timeout=90)
    assert result.returncode != 0
    assert "rank 0 passed the barrier" not in result.stdout
    assert result.seconds < 60


def test_the_allreduce_benchmark_runs_at_one_and_two_ranks(launch):  # launch: skips without MPI
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "benchmarks.distributed", "allreduce", "--repeat", "1", "--warmup",
                           "0"], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [line.split() for line in proc.stdout.splitlines()[1:]]
    assert [(r[0], r[1]) for r in rows] == [("1", "generator"), ("1", "discriminator"), ("2", "generator"),
                                           ("2", "discriminator")]
    assert all(float(r[3]) > 0 for r in rows)


def test_the_training_benchmark_compares_ranks_with_threads(launch, tmp_path):  # launch: skips without MPI
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "distributed.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.distributed", "--reps", "1", "--steps", "2", "--warmup",
                           "0", "--batch", "8", "--options", '{"model": "dcgan", "width": 8}', "--json", str(out)],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    row = result["rounds"][0]
    assert row["ranks"]["ranks"] == 2 and row["ranks"]["global_batch"] == row["threads"]["global_batch"] == 16
    assert row["one_rank"]["global_batch"] == 8 and 0 < row["ranks"]["allreduce_share"] < 1
    assert row["scaling_efficiency"] == pytest.approx(row["ranks"]["images_per_s"] /
                                                      (2 * row["one_rank"]["images_per_s"]))
