"""World size 1 (no mpiexec): no MPI import, no communication, the same API; and the launch errors."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigan
from minigan import distributed, nn
from minigan.distributed import Communicator, check_same, failure, source_digest

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, env: dict | None = None, extra_path: str | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")}
    full_env["PYTHONPATH"] = os.pathsep.join([p for p in (extra_path, str(ROOT)) if p])
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=60)


def test_a_plain_process_is_world_size_one_without_importing_mpi4py():
    result = _python("import sys, minigan.nn, minigan.distributed as d; w = d.init(); "
                     "print(w.rank, w.size, w.local_rank, 'mpi4py' in sys.modules, d.get_world() is w)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "1", "0", "False", "True"]


def test_several_ranks_without_mpi4py_say_how_to_install_it(tmp_path):
    blocker = tmp_path / "mpi4py"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('No module named mpi4py')\n")
    result = _python("import minigan.distributed as d; d.init()", env={"PMI_SIZE": "2"}, extra_path=str(tmp_path))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith("DistributedError: minigan.distributed: a launch with 2 ranks needs mpi4py, which is not "
                         "installed: pip install -e '.[mpi]'"), last
    assert "pip install -e '.[mpi]'" in last


def test_minigan_train_on_several_ranks_without_mpi4py_is_one_line(tmp_path):
    blocker = tmp_path / "mpi4py"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('No module named mpi4py')\n")
    code = "import sys; from minigan.cli import main; sys.exit(main(['train', '--max-steps', '1', '--out', 'x']))"
    for rank in ("0", "1"):   # as mpiexec would start them: rank 0 says it, rank 1 only exits
        result = _python(code, env={"PMI_SIZE": "2", "PMI_RANK": rank}, extra_path=str(tmp_path))
        assert result.returncode == 1
        expected = ["minigan: error: minigan.distributed: a launch with 2 ranks needs mpi4py, which is not "
                    "installed: pip install -e '.[mpi]'"] if rank == "0" else []
        assert result.stderr.strip().splitlines() == expected, result.stderr


def test_asking_for_two_ranks_without_mpiexec_says_how_to_launch():
    with pytest.raises(RuntimeError, match=r"2 ranks requested but this process was started without mpiexec; "
                                           r"start it with `mpiexec -n 2 python \.\.\.`"):
        distributed.init(size=2)
    # without mpi4py installed (find_spec finds nothing) the message adds how to install it
    result = _python("import importlib.util, minigan.distributed as d\n"
                     "importlib.util.find_spec = lambda name, *a: None\n"
                     "d.init(size=2)")
    assert "pip install -e '.[mpi]'" in result.stderr.strip().splitlines()[-1]
    with pytest.raises(ValueError, match="size must be a positive int"):
        distributed.init(size=0)


def test_launched_size_reads_the_process_manager(monkeypatch):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.launched_size() == 1
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert distributed.launched_size() == 4


def test_one_process_collectives_move_nothing():
    world = Communicator(node="here")
    a = np.arange(4.0)
    assert world.allreduce(a, "mean") is a and np.array_equal(a, np.arange(4.0))
    assert world.bcast_obj({"k": 1}) == {"k": 1} and world.allgather_obj(3) == [3]
    world.barrier()
    model = nn.Linear(2, 3)
    model(minigan.tensor(np.ones((1, 2), np.float32))).sum().backward()
    before = model.weight.grad
    world.allreduce_grads(model.parameters())
    assert model.weight.grad is before  # untouched: not even a copy
    world.broadcast_parameters(model)
    assert copy.deepcopy(world) is world  # copies of a model (EMA) share the world
    with pytest.raises(ValueError, match="op must be one of sum, prod, max, min, mean, got 'avg'"):
        world.allreduce(a, "avg")
    with pytest.raises(TypeError, match="expected a NumPy or CuPy array, got list"):
        world.allreduce([1.0])
    with pytest.raises(ValueError, match=r"root must be a rank in 0\.\.0, got 1"):
        world.bcast_obj(1, root=1)


def test_all_reduce_of_one_rank_is_the_identity():
    x = minigan.tensor(np.ones(3), requires_grad=True)
    assert distributed.all_reduce(x, Communicator()) is x


def test_check_same_needs_no_peers_and_the_digest_follows_the_source(tmp_path):
    check_same({"lr": 1.0}, source_digest(), world=Communicator())
    (tmp_path / "a.py").write_text("x = 1\n")
    first = source_digest(tmp_path)
    assert first == source_digest(tmp_path)
    (tmp_path / "a.py").write_text("x = 2\n")
    assert source_digest(tmp_path) != first


def test_the_failure_line_names_the_rank_and_node():
    world = Communicator(node="gpu07")
    line = failure.failure_line(world, KeyError, KeyError("lr"))
    assert line == "minigan.distributed: rank 0 of 1 (node gpu07) raised KeyError: 'lr'; stopping all ranks"


def test_under_several_ranks_each_takes_its_share_of_the_cores_for_blas():
    code = ("import os, minigan; from minigan.parallel import cpu_threads; from minigan.launch import usable_cores; "
            "print(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'), cpu_threads(), "
            "usable_cores())")
    clean = {"OPENBLAS_NUM_THREADS": "", "OMP_NUM_THREADS": "", "MKL_NUM_THREADS": "", "MINIGAN_NUM_THREADS": ""}
    env = {k: v for k, v in os.environ.items() if k not in clean}
    base = [sys.executable, "-c", code]
    run = lambda extra: subprocess.run(base, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT), **extra},  # noqa: E731
                                       capture_output=True, text=True, timeout=60)
    result = run({"PMI_SIZE": "4", "MPI_LOCALNRANKS": "2"})
    assert result.returncode == 0, result.stderr
    blas, omp, pool, cores = map(int, result.stdout.split())
    assert blas == omp == pool == max(1, cores // 2)
    kept = run({"PMI_SIZE": "2", "OPENBLAS_NUM_THREADS": "3", "MINIGAN_NUM_THREADS": "3"})
    assert kept.stdout.split()[0] == "3" and kept.stdout.split()[2] == "3"   # the user's settings win
    alone = subprocess.run([sys.executable, "-c", "import os, minigan; print(os.environ.get('OPENBLAS_NUM_THREADS'))"],
                           cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert alone.stdout.strip() == "None"   # one process: NumPy's own default
    late = subprocess.run([sys.executable, "-c", "import numpy, minigan; from benchmarks.machine import "
                           "openblas_threads; print(openblas_threads())"], cwd=ROOT,
                          env={**env, "PYTHONPATH": str(ROOT), "PMI_SIZE": "2", "MPI_LOCALNRANKS": "2"},
                          capture_output=True, text=True, timeout=60)
    assert late.returncode == 0, late.stderr
    if late.stdout.strip() != "None":   # NumPy loaded first: OpenBLAS itself was told (where it can be read)
        assert int(late.stdout) == max(1, cores // 2)
