"""python -m benchmarks.distributed: the cost of one gradient all-reduce per network, at 1 and 2 ranks.

The gradients are DCGAN-sized (64x64 images, nz=100, 64 feature maps: the generator's and
the discriminator's parameter shapes), packed the way a data-parallel step packs them
(`allreduce_grads`: one flat buffer per network). At one rank the call moves nothing;
at two, the script starts itself under mpiexec and rank 0 prints the median time::

    python -m benchmarks.distributed                  # 1 rank, then 2 ranks, cpu
    python -m benchmarks.distributed --device cuda    # CuPy arrays: NCCL between GPUs
    python -m benchmarks.distributed --ranks 2 --repeat 50

Whole training iterations at several ranks come once the trainer uses minigan.distributed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# DCGAN at 64x64 (nz=100, ngf=ndf=64), PyTorch's layouts: ConvTranspose2d/Conv2d weights, BatchNorm weight and bias
GENERATOR_SHAPES = [(100, 512, 4, 4), (512,), (512,), (512, 256, 4, 4), (256,), (256,), (256, 128, 4, 4), (128,),
                    (128,), (128, 64, 4, 4), (64,), (64,), (64, 3, 4, 4)]
DISCRIMINATOR_SHAPES = [(64, 3, 4, 4), (128, 64, 4, 4), (128,), (128,), (256, 128, 4, 4), (256,), (256,),
                        (512, 256, 4, 4), (512,), (512,), (1, 512, 4, 4)]


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


def _mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else "mpiexec"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2], help="world sizes to measure")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rank-worker", action="store_true", help=argparse.SUPPRESS)  # run inside mpiexec
    args = parser.parse_args(argv)
    if args.rank_worker:
        out = measure(args.device, args.repeat, args.warmup)
        if int(os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0"))) == 0:
            print(json.dumps(out))
        return
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    print(f"{'ranks':>5} {'network':>14} {'MB':>7} {'median ms':>10} {'min ms':>8}")
    for ranks in args.ranks:
        if ranks == 1:
            out = measure(args.device, args.repeat, args.warmup)
        else:
            cmd = [_mpiexec(), "-n", str(ranks), sys.executable, "-m", "benchmarks.distributed", "--rank-worker",
                   "--device", args.device, "--repeat", str(args.repeat), "--warmup", str(args.warmup)]
            proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"benchmarks.distributed: {ranks} ranks failed:\n{proc.stderr[-2000:]}")
            out = json.loads(proc.stdout.strip().splitlines()[-1])
        for name, row in out["results"].items():
            print(f"{out['ranks']:>5} {name:>14} {row['megabytes']:>7.1f} {row['median_s'] * 1e3:>10.3f} "
                  f"{row['min_s'] * 1e3:>8.3f}")


if __name__ == "__main__":
    main()
