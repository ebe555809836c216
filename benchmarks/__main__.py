"""python -m benchmarks: run the op, training and memory benchmarks, print tables, write JSON."""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import time

SECTIONS = ("ops", "train", "memory")
RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")


def _csv(kind):
    def parse(text: str):
        items = [s.strip() for s in text.split(",") if s.strip()]
        return [kind(s) for s in items]
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                epilog="Tables and conventions: benchmarks/README.md.")
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="cpu",
                   help="cpu (default): minigan-numpy vs torch-cpu; cuda: minigan-cupy vs torch-cuda; all: both")
    p.add_argument("--quick", action="store_true",
                   help="fewer repeats, batch 64 only unless --batch-sizes says otherwise (under 2 minutes)")
    p.add_argument("--only", type=_csv(str), default=list(SECTIONS),
                   help="comma-separated subset of: ops, train, memory (default: all)")
    p.add_argument("--batch-sizes", type=_csv(int), default=None, help="default 64,256 (64 with --quick)")
    p.add_argument("--models", type=_csv(str), default=["dcgan", "mlp"], help="training/memory models (default: dcgan,mlp)")
    p.add_argument("--frameworks", type=_csv(str), default=["minigan", "torch"],
                   help="which sides to run (default: minigan,torch; torch columns are skipped if it is not installed)")
    p.add_argument("--repeat", type=int, default=None, help="timed samples per measurement (default 20 ops / 10 "
                   "train; 5 / 3 with --quick)")
    p.add_argument("--warmup", type=int, default=None, help="untimed calls first (default 3 ops / 2 train; 1 quick)")
    p.add_argument("--memory-iters", type=int, default=None, help="iterations per memory child (default 3; 2 quick)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for PyTorch (default: os.cpu_count()); if given, also NumPy's BLAS "
                        "(OPENBLAS/OMP/MKL_NUM_THREADS, set before NumPy loads)")
    p.add_argument("--out", default=None, help="JSON path (default benchmarks/results/<device>-<timestamp>.json "
                   "and <device>-latest.json; quick runs write <device>-quick-<timestamp>.json only)")
    p.add_argument("--no-save", action="store_true", help="print the tables, write no JSON")
    p.add_argument("--update-readme", action="store_true",
                   help="replace the results block for this device in benchmarks/README.md")
    p.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                   help="first wait up to this long for other processes to leave the CPU (under 10%% busy)")
    p.add_argument("--seed", type=int, default=0, help="seed for inputs and initialisation (default: 0)")
    return p


def settings_from(args) -> dict:
    quick = args.quick
    s = {
        "device": args.device,
        "quick": quick,
        "sections": [x for x in SECTIONS if x in args.only],
        "batch_sizes": args.batch_sizes or ([64] if quick else [64, 256]),
        "models": args.models,
        "frameworks": args.frameworks,
        "warmup": args.warmup if args.warmup is not None else (1 if quick else 3),
        "train_warmup": args.warmup if args.warmup is not None else (1 if quick else 2),
        "repeat": args.repeat if args.repeat is not None else (5 if quick else 20),
        "train_repeat": args.repeat if args.repeat is not None else (3 if quick else 10),
        "op_max_seconds": 0.5 if quick else 3.0,
        "train_max_seconds": 5.0 if quick else 20.0,
        "memory_iters": args.memory_iters or (2 if quick else 3),
        "threads": args.threads,
        "seed": args.seed,
    }
    bad = set(args.only) - set(SECTIONS)
    if bad:
        raise SystemExit(f"--only: unknown section(s) {', '.join(sorted(bad))}; use {', '.join(SECTIONS)}")
    return s


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    if args.threads:
        # Must happen before NumPy is imported: OpenBLAS reads these once, when it loads.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    from . import machine, report, tune_allocator
    tune_allocator()
    from .backends import Unavailable, backends_for, make_backend

    torch_threads = args.threads or os.cpu_count() or 1
    names = [n for n in backends_for(args.device) if n.split("-")[0] in settings["frameworks"]]
    backends, skipped = {}, {}
    for name in names:
        try:
            b = make_backend(name)
        except Unavailable as exc:
            skipped[name] = str(exc)
            continue
        if b.framework == "torch":
            b.torch.set_num_threads(torch_threads)
        backends[name] = b

    if not backends:
        print("nothing to run: " + ("; ".join(f"{k}: {v}" for k, v in skipped.items()) or "no backend selected"),
              file=sys.stderr)
        return 2
    if args.wait_idle > 0:
        machine.wait_until_idle(args.wait_idle, window_s=5.0)
    started = time.time()
    result = {
        "schema": 1,
        "created": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
        "settings": settings,
        "conventions": {
            "times": "median and interquartile range (q3 - q1) of per-call perf_counter samples after warm-up; "
                     "GPU work synchronised before each clock read",
            "ops_ratio": "torch time / minigan time (>1: minigan faster)",
            "train_ratio": "minigan images/s / torch images/s (>1: minigan faster)",
            "memory_ratio": "minigan peak / torch peak (<1: minigan uses less)",
            "images_per_s": "batch size / median time of one iteration (D step on a real and a fake batch, "
                            "G step with D(G(z)) recomputed, Adam on both)",
        },
        **machine.describe(),
        "backends": {"used": list(backends), "skipped": skipped},
    }
    print(f"minigan benchmarks: {', '.join(backends) or 'no backends'}"
          + (f" (skipped: {'; '.join(f'{k}: {v}' for k, v in skipped.items())})" if skipped else ""), flush=True)
    log = lambda msg: print(msg, flush=True)  # noqa: E731

    foreign: dict[str, float | None] = {}
    result["machine"]["foreign_cpu_fraction"] = foreign
    if "ops" in settings["sections"]:
        from .ops import run_ops
        log("ops:")
        probe = machine.ForeignLoad()
        result["ops"] = run_ops(backends, settings["batch_sizes"], warmup=settings["warmup"],
                                repeat=settings["repeat"], max_seconds=settings["op_max_seconds"],
                                seed=args.seed, log=log)
        foreign["ops"] = probe.fraction()
    if "train" in settings["sections"]:
        from .training import run_training
        log("training iterations:")
        probe = machine.ForeignLoad()
        result["train"] = run_training(backends, settings["models"], settings["batch_sizes"],
                                       warmup=settings["train_warmup"], repeat=settings["train_repeat"],
                                       max_seconds=settings["train_max_seconds"], seed=args.seed, log=log)
        foreign["train"] = probe.fraction()
        if args.device in ("cpu", "all"):
            from .gemm_limit import add_limits
            add_limits(result)  # this machine's sgemm rate and each row's fraction of the limit it sets
    if "memory" in settings["sections"]:
        from .memory import run_memory
        log("peak memory (one fresh process per configuration):")
        probe = machine.ForeignLoad()
        result["memory"] = run_memory(list(backends), settings["models"], settings["batch_sizes"],
                                      iters=settings["memory_iters"], torch_threads=torch_threads,
                                      seed=args.seed, log=log)
        foreign["memory"] = probe.fraction()
    result["elapsed_s"] = round(time.time() - started, 1)
    result["machine"]["load_average_at_end"] = machine.load_average()
    report.add_ratios(result)

    busy = {k: v for k, v in foreign.items() if v is not None and v > 0.1}
    if busy:
        print("\nwarning: other processes used the CPU while timing ("
              + ", ".join(f"{k}: {v:.0%}" for k, v in busy.items())
              + " of all cores): multi-threaded timings are unreliable; re-run on an idle machine "
              "(--wait-idle 300 waits for one)", flush=True)
    print()
    print(report.render(result))
    print(f"(took {result['elapsed_s']:.0f} s)")

    if not args.no_save:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        if args.out:
            paths = [args.out]
        elif args.quick:
            paths = [os.path.join(RESULTS_DIR, f"{args.device}-quick-{stamp}.json")]
        else:
            paths = [os.path.join(RESULTS_DIR, f"{args.device}-{stamp}.json"),
                     os.path.join(RESULTS_DIR, f"{args.device}-latest.json")]
        for path in paths:
            report.write_json(result, path)
        print("wrote " + ", ".join(os.path.relpath(p) for p in paths))
    if args.update_readme:
        for dev in ("cpu", "cuda") if args.device == "all" else (args.device,):
            if report.update_readme(README, result, dev):
                print(f"updated the {dev} tables in {os.path.relpath(README)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
