"""python -m benchmarks.ab: an interleaved A/B of two code paths in one process, for speed work.

On a shared machine a lone absolute time says little; the same iteration timed with the old
and the new code alternately, in one process, says what a change bought. "old" is set up by
swapping attributes of minigan modules for those of the same module at another git revision
(``--swap``), or by setting attributes to Python expressions (``--set``); "new" is the code as it
is. Blocks of iterations alternate old/new, new/old, ...; the report gives medians, IQR and
minimum of wall and CPU time per iteration, and new/old ratios (below 1: the new code is faster)::

    python -m benchmarks.ab --swap minigan.ops.normalization:BatchNormTrain,BatchNormGrad --rev 20b37ee
    python -m benchmarks.ab --set "minigan.ops.conv_phase:applies=lambda *a: False" --batch 256
    python -m benchmarks.ab --set minigan.parallel:_CACHE_ELEMENTS=2**40 --model mlp --blocks 16 --iters 8
    python -m benchmarks.ab --swap minigan.autograd.engine:_run_backward --rev 20b37ee --step chain

With one thread (``OPENBLAS_NUM_THREADS=1 MINIGAN_NUM_THREADS=1``) CPU time is a fair judge even
while other processes run; with several, only a quiet machine's wall time is.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import subprocess
import sys
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def module_at(name: str, rev: str) -> types.ModuleType:
    """Module `name` (e.g. minigan.ops.normalization) as it is at git revision `rev`, loaded beside the
    current one (its relative imports resolve to today's package)."""
    path = name.replace(".", "/") + ".py"
    src = subprocess.run(["git", "-C", ROOT, "show", f"{rev}:{path}"], capture_output=True, text=True)
    if src.returncode != 0:
        raise SystemExit(f"ab: cannot read {path} at {rev}: {src.stderr.strip()}")
    package, _, leaf = name.rpartition(".")
    mod = types.ModuleType(f"{package}._ab_{leaf}")
    mod.__package__, mod.__file__ = package, f"<{rev}:{path}>"
    sys.modules[mod.__name__] = mod
    exec(compile(src.stdout, mod.__file__, "exec"), mod.__dict__)
    return mod


def _target(spec: str) -> tuple:
    module, _, rest = spec.partition(":")
    if not rest:
        raise SystemExit(f"ab: expected MODULE:ATTR..., got {spec!r}")
    return importlib.import_module(module), rest


def toggles(swaps: list[str], sets: list[str], rev: str):
    """(set_old, set_new): functions that put the old or the new attributes in place."""
    old_values, new_values = [], []
    for spec in swaps:
        mod, attrs = _target(spec)
        old_mod = module_at(mod.__name__, rev)
        for attr in attrs.split(","):
            cls_attr = attr.split(".")
            if len(cls_attr) == 2:  # Class.method: swap the function on today's class
                owner = getattr(mod, cls_attr[0])
                old_values.append((owner, cls_attr[1], getattr(getattr(old_mod, cls_attr[0]), cls_attr[1])))
                new_values.append((owner, cls_attr[1], getattr(owner, cls_attr[1])))
            else:
                old_values.append((mod, attr, getattr(old_mod, attr)))
                new_values.append((mod, attr, getattr(mod, attr)))
    for spec in sets:
        mod, assignment = _target(spec)
        attr, _, expr = assignment.partition("=")
        old_values.append((mod, attr, eval(expr, {"__builtins__": __builtins__})))  # a dev tool's own argument
        new_values.append((mod, attr, getattr(mod, attr)))

    def apply(values):
        def run():
            for owner, attr, value in values:
                setattr(owner, attr, value)
        return run
    return apply(old_values), apply(new_values)


def make_step(kind: str, model: str, batch: int):
    if kind == "chain":  # a 101-op chain of tiny tensors, forward and backward: the engine's own cost
        from .op_overhead import tiny_chain
        return tiny_chain()[1]
    from .backends import MiniganBackend
    return MiniganBackend("cpu").train_step(model, batch, 0)


def _summary(xs: list[float]) -> str:
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return f"median {statistics.median(xs):.3f} IQR {q[2] - q[0]:.3f} min {min(xs):.3f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ab", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--swap", action="append", default=[], metavar="MODULE:ATTR[,ATTR]",
                   help="old = these attributes (functions, classes, Class.method) as they are at --rev")
    p.add_argument("--set", action="append", default=[], metavar="MODULE:ATTR=EXPR",
                   help="old = the attribute set to this Python expression")
    p.add_argument("--rev", default="HEAD", help="git revision of the old code for --swap")
    p.add_argument("--step", choices=("train", "chain"), default="train",
                   help="train: the benchmark's GAN iteration; chain: 101 tiny ops forward and backward")
    p.add_argument("--model", choices=("dcgan", "mlp"), default="dcgan")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--blocks", type=int, default=10, help="alternating blocks per side")
    p.add_argument("--iters", type=int, default=4, help="iterations per block")
    args = p.parse_args(argv)
    if not args.swap and not args.set:
        raise SystemExit("ab: nothing to compare: give --swap or --set")
    from . import tune_allocator
    tune_allocator()
    set_old, set_new = toggles(args.swap, args.set, args.rev)
    step = make_step(args.step, args.model, args.batch)
    for setter in (set_old, set_new):  # warm both paths up
        setter()
        step()
        step()
    wall: dict[str, list[float]] = {"old": [], "new": []}
    cpu: dict[str, list[float]] = {"old": [], "new": []}
    for k in range(args.blocks):
        for side in (("old", "new") if k % 2 == 0 else ("new", "old")):
            (set_old if side == "old" else set_new)()
            gc.collect()
            for _ in range(args.iters):
                t0, c0 = time.perf_counter(), time.process_time()
                step()
                wall[side].append((time.perf_counter() - t0) * 1e3)
                cpu[side].append((time.process_time() - c0) * 1e3)
    set_new()
    what = "101-op chain" if args.step == "chain" else f"{args.model} batch {args.batch}"
    print(f"{what}, {args.blocks} blocks of {args.iters} per side, ms per call:")
    for side in ("old", "new"):
        print(f"  {side}: wall {_summary(wall[side])} | cpu {_summary(cpu[side])}")
    med = statistics.median
    print(f"  new/old: wall median {med(wall['new']) / med(wall['old']):.3f}, wall min "
          f"{min(wall['new']) / min(wall['old']):.3f}, cpu median {med(cpu['new']) / med(cpu['old']):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
