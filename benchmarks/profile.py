"""python -m benchmarks.profile: cProfile over minigan training iterations, for speed work.

    python -m benchmarks.profile --model dcgan --batch 64            # 20 iterations, top 25 by tottime and cumtime
    python -m benchmarks.profile --model mlp --batch 256 --iters 50 --sort tottime --top 40
    python -m benchmarks.profile --step trainer                     # GANTrainer.train_step, logging included
    python -m benchmarks.profile --save dcgan.prof                  # for snakeviz / pstats later

The iterations profiled are the ones `python -m benchmarks` times (see backends.MiniganGANStep);
a few warm-up iterations run first, outside the profile. The last table groups time by op
(Function subclass forward/backward), which is usually the quickest read of where it goes.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

from . import tune_allocator


def make_step(model: str, batch: int, device: str, step_kind: str, seed: int = 0):
    from .backends import MiniganBackend, real_batch
    b = MiniganBackend(device)
    if step_kind == "explicit":
        return b.train_step(model, batch, seed)
    # GANTrainer.train_step itself: the explicit step plus the trainer's bookkeeping.
    import numpy as np
    from minigan.gan import GANTrainer, TrainConfig
    images = np.round((np.concatenate([real_batch(batch, seed)] * 2) + 1) * 127.5).astype(np.uint8)
    cfg = TrainConfig(preset="pytorch-dcgan", model=model, batch_size=batch, device=device, seed=seed,
                      progress="none")
    trainer = GANTrainer(cfg, data=(images, np.zeros(len(images), np.int64)))
    real = b.from_numpy(real_batch(batch, seed))

    class TrainerStep:
        models_from = "minigan.gan.GANTrainer.train_step"

        def __call__(self):
            return trainer.train_step([real])

        def sync(self):
            b.sync()
    return TrainerStep()


def op_summary(stats: pstats.Stats, top: int) -> str:
    """tottime summed per (file, function) of Function.forward/backward: time per op kind."""
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
        if func in ("forward", "backward") and "minigan" in filename and not filename.endswith("autograd.py"):
            rows.append((ct, tt, nc, f"{os.path.relpath(filename)}:{line}({func})"))
    rows.sort(reverse=True)
    out = [f"{'cumtime s':>10} {'tottime s':>10} {'calls':>7}  op method (minigan Function forward/backward)"]
    for ct, tt, nc, name in rows[:top]:
        out.append(f"{ct:10.3f} {tt:10.3f} {nc:7d}  {name}")
    return "\n".join(out)


def compare_steps(model: str, batch: int, device: str, iters: int, warmup: int) -> int:
    """The trainer's step (bookkeeping included) against the bare step, timed alternately in one process."""
    import statistics
    steps = {kind: make_step(model, batch, device, kind) for kind in ("explicit", "trainer")}
    for step in steps.values():
        for _ in range(warmup):
            step()
        step.sync()
    times: dict[str, list[float]] = {kind: [] for kind in steps}
    for i in range(iters):
        for kind in (("explicit", "trainer") if i % 2 == 0 else ("trainer", "explicit")):
            t0 = time.perf_counter()
            steps[kind]()
            steps[kind].sync()
            times[kind].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    q = {k: statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3 for k, v in times.items()}
    for k in steps:
        print(f"{k:>8} step: median {med[k] * 1e3:.2f} ms (IQR {(q[k][2] - q[k][0]) * 1e3:.2f} ms, {iters} samples)")
    print(f"trainer overhead: {(med['trainer'] / med['explicit'] - 1) * 100:+.1f}% "
          f"({model} batch {batch}, alternating samples)")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", choices=("dcgan", "mlp"), default="dcgan")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--iters", type=int, default=20, help="profiled iterations")
    p.add_argument("--warmup", type=int, default=2, help="unprofiled iterations first")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--step", choices=("explicit", "trainer"), default="explicit",
                   help="explicit: the benchmark's step; trainer: GANTrainer.train_step")
    p.add_argument("--sort", default="tottime,cumtime", help="comma-separated pstats sort keys, one table each")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--save", default=None, help="also write the raw profile here (pstats format)")
    p.add_argument("--compare", action="store_true",
                   help="no profile: time the trainer's step against the bare step, alternating, and print "
                        "the trainer's overhead (median of --iters samples each)")
    args = p.parse_args(argv)
    tune_allocator()
    if args.compare:
        return compare_steps(args.model, args.batch, args.device, args.iters, args.warmup)

    step = make_step(args.model, args.batch, args.device, args.step)
    for _ in range(args.warmup):
        step()
    step.sync()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(args.iters):
        step()
    step.sync()
    prof.disable()
    elapsed = time.perf_counter() - t0
    per_iter = elapsed / args.iters
    print(f"minigan-{'numpy' if args.device == 'cpu' else 'cupy'} {args.model} batch {args.batch}, "
          f"{args.step} step: {args.iters} iterations in {elapsed:.2f} s under cProfile "
          f"({per_iter * 1e3:.1f} ms/iter, {args.batch / per_iter:.0f} img/s; the profiler adds overhead)")
    if args.save:
        prof.dump_stats(args.save)
        print(f"raw profile written to {args.save}")
    for key in [k.strip() for k in args.sort.split(",") if k.strip()]:
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key)
        stats.print_stats(args.top)
        text = buf.getvalue()
        start = text.find("   ncalls")  # drop pstats' preamble
        print(f"\n=== top {args.top} by {key} ===")
        print(text[start:] if start >= 0 else text)
    print(f"=== time per op (minigan Function.forward / backward), top {args.top} by cumtime ===")
    print(op_summary(pstats.Stats(prof), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
