"""Time per epoch of training variants relative to a reference, interleaved in one process.

A time budget ("within 1.15x of the DCGAN's epoch") is a ratio
on one machine under one load. On a shared machine two runs minutes apart see different loads,
so this script builds one trainer per variant and runs STEPS steps of each in turn, REPS rounds,
on real batches of the dataset: every round sees the same load for every variant. s/epoch =
s/step x steps per epoch (a variant with --n-critic k takes k batches per step). Prints per variant the
median epoch ratio to the first variant and its spread over rounds, and writes everything as JSON::

    python -m benchmarks.variants --steps 20 --reps 6 --out timing.json \\
        dcgan='{"model": "dcgan"}' cgan='{"model": "cgan"}' acgan='{"model": "acgan"}'

Each NAME=JSON is TrainConfig fields; `--data-dir` (or $MINIGAN_DATA_DIR) must hold MNIST.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

from minigan import backend
from minigan.gan import GANTrainer, TrainConfig


def _variant(text: str) -> tuple[str, dict]:
    name, sep, fields = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=JSON, got {text!r}")
    try:
        config = json.loads(fields)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"{name}: not JSON ({error})") from None
    if not isinstance(config, dict):
        raise argparse.ArgumentTypeError(f"{name}: expected a JSON object of TrainConfig fields")
    return name, config


def time_variants(variants: dict, steps: int, reps: int, data_dir: str | None) -> dict:
    """{name: {s_per_step, steps_per_epoch, epoch ratios to the first variant per round, median, min, max}}."""
    backend.tune_allocator()  # as the CLI does
    scratch = tempfile.mkdtemp(prefix="minigan-variants-")
    trainers = {name: GANTrainer(TrainConfig(data_dir=data_dir, progress="none",
                                             out=os.path.join(scratch, name), **fields))
                for name, fields in variants.items()}
    groups, per_epoch = {}, {}
    for name, trainer in trainers.items():
        k = trainer.config.n_critic
        batches = list(trainer.loader.iter_epoch(0))
        per_epoch[name] = len(batches) // k
        groups[name] = [batches[i:i + k] for i in range(0, len(batches) - k + 1, k)]
        if len(groups[name]) < 3 + steps * reps:
            raise ValueError(f"{name}: one epoch has {len(groups[name])} steps, fewer than 3 + steps x reps")
        for group in groups[name][:3]:  # warm-up
            trainer.train_step(group)
    order, times, position = list(trainers), {name: [] for name in trainers}, 3
    for rep in range(reps):
        for name in order[rep % len(order):] + order[:rep % len(order)]:   # rotate who goes first
            start = time.perf_counter()
            for group in groups[name][position:position + steps]:
                trainers[name].train_step(group)
            times[name].append((time.perf_counter() - start) / steps)
        position += steps
    reference = order[0]
    result = {}
    for name, seconds in times.items():
        ratios = [s * per_epoch[name] / (r * per_epoch[reference]) for s, r in zip(seconds, times[reference])]
        result[name] = {"config": variants[name], "steps_per_epoch": per_epoch[name], "s_per_step": seconds,
                        "epoch_ratio_per_round": ratios, "epoch_ratio_median": statistics.median(ratios),
                        "epoch_ratio_min": min(ratios), "epoch_ratio_max": max(ratios)}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.variants", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", type=_variant, metavar="NAME=JSON")
    parser.add_argument("--steps", type=int, default=20, help="steps per variant per round (default 20)")
    parser.add_argument("--reps", type=int, default=6, help="rounds (default 6)")
    parser.add_argument("--data-dir", default=os.environ.get("MINIGAN_DATA_DIR"))
    parser.add_argument("--out", default=None, help="write the result as JSON here")
    args = parser.parse_args(argv)
    variants = dict(args.variants)
    result = time_variants(variants, args.steps, args.reps, args.data_dir)
    reference = next(iter(variants))
    for name, row in result.items():
        print(f"{name:24s} s/step {statistics.median(row['s_per_step']):.4f}  steps/epoch {row['steps_per_epoch']}  "
              f"epoch time / {reference}'s: median {row['epoch_ratio_median']:.3f} "
              f"(rounds {row['epoch_ratio_min']:.3f}-{row['epoch_ratio_max']:.3f})")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump({"reference": reference, "steps": args.steps, "reps": args.reps, "variants": result},
                      handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
