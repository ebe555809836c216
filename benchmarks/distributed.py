"""python -m benchmarks.distributed: data-parallel training speed, N ranks against one process with N threads.

Whole training iterations of a recipe (default: the default recipe, the InfoGAN family at batch 32 per rank)
on synthetic MNIST-shaped data, each configuration in its own processes, interleaved over --reps rounds so
that the machine's drift hits all alike:

    1 process, 1 thread,  batch b        the one-rank baseline (scaling efficiency is against it)
    1 process, N threads, batch N*b      what one process does with the same cores and global batch
    N ranks,   1 thread each, batch b    mpiexec -n N: the same global batch, data-parallel

For each: images/s of the global batch (median, min, max over the rounds), the share of the step spent in
the gradient and record all-reduces (the slower rank's wait included), and the peak resident memory per
process. Ratios are formed per round, in one run. ``--json`` writes everything, with the machine::

    python -m benchmarks.distributed                           # 2 ranks, 5 rounds
    python -m benchmarks.distributed --ranks 2 --reps 7 --steps 30 --json benchmarks/results/distributed.json
    python -m benchmarks.distributed allreduce                 # the all-reduce alone, DCGAN-sized gradients
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# DCGAN at 64x64 (nz=100, ngf=ndf=64), PyTorch's layouts: ConvTranspose2d/Conv2d weights, BatchNorm weight and bias
GENERATOR_SHAPES = [(100, 512, 4, 4), (512,), (512,), (512, 256, 4, 4), (256,), (256,), (256, 128, 4, 4), (128,),
                    (128,), (128, 64, 4, 4), (64,), (64,), (64, 3, 4, 4)]
DISCRIMINATOR_SHAPES = [(64, 3, 4, 4), (128, 64, 4, 4), (128,), (128,), (256, 128, 4, 4), (256,), (256,),
                        (512, 256, 4, 4), (512,), (512,), (1, 512, 4, 4)]


# ---- whole iterations -----------------------------------------------------------------------------------
def iterations(batch: int, steps: int, warmup: int, options: dict) -> dict | None:
    """Time `steps` training steps (after `warmup`) on this process's world; rank 0 returns the numbers."""
    from minigan import distributed
    from minigan.gan import GANTrainer, TrainConfig
    world = distributed.init()
    rng = np.random.default_rng(0)
    # MNIST's size: every process holds the training set, as `minigan train` does (memory per rank)
    images = rng.integers(0, 256, size=(60000, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=60000)
    config = TrainConfig(batch_size=batch, progress="none", out=os.devnull + "-unused", **options)
    trainer = GANTrainer(config, data=(images, labels), world=world)
    reduce_time = [0.0]
    if world.size > 1:   # time every all-reduce (gradients and the step's record) where it is called
        inner = world._reduce

        def timed(array, op):
            start = time.perf_counter()
            inner(array, op)
            reduce_time[0] += time.perf_counter() - start

        world._reduce = timed
    batches = trainer.loader.iter_epoch(0)
    per = trainer.updater.batches_per_step
    times, reduces = [], []
    for i in range(warmup + steps):
        reals = [next(batches) for _ in range(per)]
        world.barrier()
        reduce_time[0] = 0.0
        start = time.perf_counter()
        trainer.agree(trainer.train_step(reals))
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
            reduces.append(reduce_time[0])
    step = world.allreduce(np.array(times), "max")   # a step ends when its slowest rank is done
    peak = world.allgather_obj(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    if world.rank != 0:
        return None
    return {"ranks": world.size, "batch_per_rank": batch, "global_batch": batch * world.size * per,
            "step_s_median": float(np.median(step)), "images_per_s": batch * world.size * per / float(np.median(step)),
            "allreduce_share": float(np.median(np.array(reduces) / np.array(times))),
            "peak_rss_bytes": max(peak)}


def _worker_env(threads: int) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    for name in ("MINIGAN_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    return env


def _run(ranks: int, threads: int, batch: int, args) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.distributed", "iterations-worker", "--batch", str(batch),
           "--steps", str(args.steps), "--warmup", str(args.warmup), "--options", json.dumps(args.options)]
    if ranks > 1:
        cmd = [_mpiexec(), "-n", str(ranks), *args.mpiexec_args.split()] + cmd
    proc = subprocess.run(cmd, cwd=ROOT, env=_worker_env(threads), capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"benchmarks.distributed: {ranks} rank(s) x {threads} thread(s) failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _spread(values) -> dict:
    return {"median": float(np.median(values)), "min": float(np.min(values)), "max": float(np.max(values))}


def compare(args) -> dict:
    n, b = args.ranks, args.batch
    configs = {"one_rank": (1, 1, b), "threads": (1, n, n * b), "ranks": (n, 1, b)}
    rounds = []
    for rep in range(args.reps):
        row = {name: _run(*spec, args) for name, spec in configs.items()}
        row["speedup_vs_threads"] = row["ranks"]["images_per_s"] / row["threads"]["images_per_s"]
        row["scaling_efficiency"] = row["ranks"]["images_per_s"] / (n * row["one_rank"]["images_per_s"])
        row["memory_vs_one_rank"] = row["ranks"]["peak_rss_bytes"] / row["one_rank"]["peak_rss_bytes"]
        rounds.append(row)
        print(f"round {rep + 1}: " + ", ".join(f"{name} {row[name]['images_per_s']:.0f} img/s" for name in configs)
              + f"; ranks/threads {row['speedup_vs_threads']:.2f}x, efficiency {row['scaling_efficiency']:.0%}, "
              f"all-reduce {row['ranks']['allreduce_share']:.1%} of the step", flush=True)
    summary = {name: _spread([r[name]["images_per_s"] for r in rounds]) for name in configs}
    for key in ("speedup_vs_threads", "scaling_efficiency", "memory_vs_one_rank"):
        summary[key] = _spread([r[key] for r in rounds])
    summary["allreduce_share"] = _spread([r["ranks"]["allreduce_share"] for r in rounds])
    return {"ranks": n, "batch_per_rank": b, "steps": args.steps, "options": args.options,
            "mpiexec_args": args.mpiexec_args, "rounds": rounds,
            "summary": summary}


# ---- the all-reduce alone ---------------------------------------------------------------------------------
def _parameters(shapes, device: str, seed: int):
    from minigan import backend
    from minigan.autograd import Tensor
    rng = np.random.default_rng(seed)
    params = []
    for shape in shapes:
        p = Tensor(backend.to_device(rng.standard_normal(shape).astype(np.float32), device), requires_grad=True)
        p.grad = Tensor(backend.to_device(rng.standard_normal(shape).astype(np.float32), device))
        params.append(p)
    return params


def measure(device: str, repeat: int, warmup: int) -> dict:
    """Median seconds of `allreduce_grads` for each network on this rank's world."""
    from minigan import backend, distributed
    world = distributed.init()
    if device == "cuda":
        device = str(world.use_device())
    results = {}
    for name, shapes in (("generator", GENERATOR_SHAPES), ("discriminator", DISCRIMINATOR_SHAPES)):
        params = _parameters(shapes, device, world.rank)
        times = []
        for i in range(warmup + repeat):
            world.barrier()
            backend.synchronize(device)
            start = time.perf_counter()
            world.allreduce_grads(params)
            backend.synchronize(device)
            if i >= warmup:
                times.append(time.perf_counter() - start)
        elements = sum(int(np.prod(s)) for s in shapes)
        results[name] = {"parameters": elements, "megabytes": elements * 4 / 1e6,
                         "median_s": float(np.median(times)), "min_s": float(np.min(times))}
    return {"ranks": world.size, "device": device, "results": results}


def allreduce_table(args) -> None:
    print(f"{'ranks':>5} {'network':>14} {'MB':>7} {'median ms':>10} {'min ms':>8}")
    for ranks in args.ranks_list:
        if ranks == 1:
            out = measure(args.device, args.repeat, args.warmup)
        else:
            cmd = [_mpiexec(), "-n", str(ranks), sys.executable, "-m", "benchmarks.distributed", "allreduce-worker",
                   "--device", args.device, "--repeat", str(args.repeat), "--warmup", str(args.warmup)]
            proc = subprocess.run(cmd, cwd=ROOT, env=_worker_env(1), capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"benchmarks.distributed: {ranks} ranks failed:\n{proc.stderr[-2000:]}")
            out = json.loads(proc.stdout.strip().splitlines()[-1])
        for name, row in out["results"].items():
            print(f"{out['ranks']:>5} {name:>14} {row['megabytes']:>7.1f} {row['median_s'] * 1e3:>10.3f} "
                  f"{row['min_s'] * 1e3:>8.3f}")


def _mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else "mpiexec"


def _is_rank_0() -> bool:
    from minigan.distributed import launched_rank
    return launched_rank() == 0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="iterations",
                        choices=["iterations", "allreduce", "iterations-worker", "allreduce-worker"])
    parser.add_argument("--ranks", type=int, default=2, help="ranks (and threads of the one process) to compare")
    parser.add_argument("--batch", type=int, default=32, help="images per rank (default 32, the default recipe's)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per configuration and round")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5, help="rounds, each running every configuration once")
    parser.add_argument("--options", type=json.loads, default={},
                        help='TrainConfig fields as JSON, e.g. \'{"model": "dcgan"}\' (default: the default recipe)')
    parser.add_argument("--mpiexec-args", default="", help="more mpiexec options, e.g. '-bind-to core'")
    parser.add_argument("--json", type=Path, default=None, help="write the results and the machine here")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="allreduce: where the arrays live")
    parser.add_argument("--ranks-list", type=int, nargs="+", default=[1, 2], help="allreduce: world sizes")
    parser.add_argument("--repeat", type=int, default=20, help="allreduce: timed calls")
    args = parser.parse_args(argv)
    if args.what == "iterations-worker":
        out = iterations(args.batch, args.steps, args.warmup, args.options)
        if out is not None:
            print(json.dumps(out))
    elif args.what == "allreduce-worker":
        out = measure(args.device, args.repeat, args.warmup)
        if _is_rank_0():
            print(json.dumps(out))
    elif args.what == "allreduce":
        allreduce_table(args)
    else:
        from benchmarks.machine import cpu_model, load_average
        result = {"benchmark": "distributed", "date": time.strftime("%Y-%m-%d %H:%M"), "cpu": cpu_model(),
                  "cores": os.cpu_count(), "load_average_before": load_average(), **compare(args)}
        s = result["summary"]
        print(f"{args.ranks} ranks vs 1 process x {args.ranks} threads: {s['speedup_vs_threads']['median']:.2f}x "
              f"(min {s['speedup_vs_threads']['min']:.2f}, max {s['speedup_vs_threads']['max']:.2f}); scaling "
              f"efficiency {s['scaling_efficiency']['median']:.0%}; all-reduce {s['allreduce_share']['median']:.1%} "
              f"of the step; peak memory per rank {s['memory_vs_one_rank']['median']:.2f}x one rank's")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=1) + "\n")
            print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
