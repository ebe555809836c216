"""python -m benchmarks.op_overhead: ops per training step and the engine's cost per op.

Two numbers say how much of a step is Python bookkeeping rather than array work:

- **ops per step**: `Function` calls in one benchmark iteration (forward ops, and the ops the
  backward passes build), per model;
- **microseconds per op**: a chain of 101 ops on one-element float32 tensors (so the array
  work is nil), timed recorded-forward only and forward + backward; ops x us/op is the
  step's overhead floor.

    python -m benchmarks.op_overhead                 # both models at batch 64
    python -m benchmarks.op_overhead --batch 256 --repeat 500
"""
from __future__ import annotations

import argparse
import collections
import sys
import time

import numpy as np


def ops_per_step(model: str, batch: int) -> collections.Counter:
    """Function calls of one benchmark iteration, by op name; "(recorded)" counts the calls made
    with gradients on (the forward passes), "(backward)" those the backward passes make."""
    from minigan.autograd import function, is_grad_enabled
    from .backends import MiniganBackend
    step = MiniganBackend("cpu").train_step(model, batch, 0)
    step()
    counts: collections.Counter = collections.Counter()
    real = function.Function.__call__

    def counting(self, *inputs):
        counts[type(self).__name__] += 1
        counts["(recorded)" if is_grad_enabled() else "(backward)"] += 1
        return real(self, *inputs)

    function.Function.__call__ = counting
    try:
        step()
    finally:
        function.Function.__call__ = real
    return counts


def tiny_chain():
    """(forward, forward_backward): a chain of 101 ops on one-element float32 tensors, and the same
    chain with its backward pass: the engine's own cost, with no array work to speak of."""
    import minigan as mg
    x = mg.tensor(np.ones(1, np.float32), requires_grad=True)
    w = mg.tensor(np.full(1, 0.5, np.float32), requires_grad=True)

    def forward():
        h = x
        for _ in range(50):
            h = h * w + w
        return h.sum()

    def forward_backward():
        forward().backward()
        x.grad = w.grad = None
    return forward, forward_backward


def microseconds_per_op(repeat: int) -> dict:
    """Median CPU microseconds per op of the 101-op chain: forward, forward + backward."""
    out = {}
    for name, fn in zip(("forward", "forward+backward"), tiny_chain()):
        times = []
        for _ in range(repeat):
            t0 = time.process_time()
            fn()
            times.append(time.process_time() - t0)
        out[name] = float(np.median(times)) / 101 * 1e6
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.op_overhead", description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeat", type=int, default=300, help="timed chains per measurement")
    args = p.parse_args(argv)
    per_op = microseconds_per_op(args.repeat)
    print("us per op (101-op chain of 1-element tensors, CPU time): "
          + ", ".join(f"{k} {v:.2f}" for k, v in per_op.items()))
    for model in ("dcgan", "mlp"):
        counts = ops_per_step(model, args.batch)
        recorded, in_backward = counts.pop("(recorded)", 0), counts.pop("(backward)", 0)
        print(f"{model} batch {args.batch}: {recorded + in_backward} ops per step ({recorded} recorded forward ops, "
              f"{in_backward} in backward) -> engine floor ~{recorded * per_op['forward+backward'] / 1e3:.2f} ms "
              f"per step; most called: " + ", ".join(f"{k} {v}" for k, v in counts.most_common(6)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
