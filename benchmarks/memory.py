"""Peak memory of one training iteration, each configuration in a fresh process.

A fresh subprocess per (backend, model, batch) keeps peaks from mixing and keeps one
framework's import out of the other's numbers. In the child we build the models, the
optimisers and the batch, take the baseline, run a few training iterations (the first one
allocates Adam's state and the gradients) and read the high-water mark:

* CPU: the kernel's resident-set high-water mark (``VmHWM`` in /proc/self/status), reset
  just before the iterations by writing 5 to /proc/self/clear_refs; peak = VmHWM minus the
  resident set at the baseline. (tracemalloc misses allocations made in C, and
  ru_maxrss cannot be reset.) This counts everything the process touched: arrays, the
  allocator's slack, thread stacks.
* minigan-cupy: a CuPy memory hook adds up bytes handed out and returned by the memory
  pool; peak = the most in use at once minus the baseline (``pool_total_bytes``, what the
  pool kept from the driver, is recorded too).
* torch-cuda: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``, minus
  ``memory_allocated`` at the baseline.

Run one yourself: ``python -m benchmarks.memory --backend minigan-numpy --model dcgan --batch 64``.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys

from . import tune_allocator

MARKER = "BENCHMARK-MEMORY-JSON:"


def _proc_status() -> dict[str, int]:
    out: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) * 1024
    return out


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _cpu_rss_peak(step, iters: int) -> dict:
    if not os.path.exists("/proc/self/status"):  # not Linux: ru_maxrss is all there is
        import resource
        gc.collect()
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        for _ in range(iters):
            step()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return {"method": "ru_maxrss (not resettable: a lower bound)", "baseline_bytes": base,
                "peak_total_bytes": peak, "peak_bytes": max(0, peak - base)}
    gc.collect()
    reset = _reset_hwm()
    base = _proc_status()["VmRSS"]
    for _ in range(iters):
        step()
    step.sync()
    status = _proc_status()
    gc.collect()
    after = _proc_status()["VmRSS"]
    method = "VmHWM after clear_refs" if reset else "VmHWM (not reset: includes the set-up's peak)"
    return {"method": method, "baseline_bytes": base, "peak_total_bytes": status["VmHWM"],
            "peak_bytes": max(0, status["VmHWM"] - base), "retained_bytes": after - base}


def _cupy_peak(step, iters: int) -> dict:
    import cupy as cp
    from cupy.cuda import memory_hook

    class PeakHook(memory_hook.MemoryHook):
        name = "BenchmarkPeakHook"

        def __init__(self):
            self.in_use = 0
            self.peak = 0

        def malloc_postprocess(self, **kw):
            self.in_use += kw["mem_size"]
            self.peak = max(self.peak, self.in_use)

        def free_postprocess(self, **kw):
            self.in_use -= kw["mem_size"]

    pool = cp.get_default_memory_pool()
    gc.collect()
    cp.cuda.Device().synchronize()
    pool.free_all_blocks()
    base_used = pool.used_bytes()
    hook = PeakHook()
    with hook:
        for _ in range(iters):
            step()
        step.sync()
    gc.collect()
    return {"method": "CuPy memory-pool hook (bytes in use)", "baseline_bytes": base_used,
            "peak_total_bytes": base_used + hook.peak, "peak_bytes": hook.peak,
            "retained_bytes": pool.used_bytes() - base_used, "pool_total_bytes": pool.total_bytes()}


def _torch_cuda_peak(step, iters: int) -> dict:
    import torch
    gc.collect()
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(iters):
        step()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated()
    gc.collect()
    return {"method": "torch.cuda.max_memory_allocated", "baseline_bytes": base, "peak_total_bytes": peak,
            "peak_bytes": peak - base, "retained_bytes": torch.cuda.memory_allocated() - base,
            "max_reserved_bytes": torch.cuda.max_memory_reserved()}


def measure_here(backend: str, model: str, batch: int, iters: int, seed: int = 0) -> dict:
    """Run in the child process: the peak of `iters` training iterations above the baseline."""
    from .backends import make_backend
    b = make_backend(backend)
    if b.framework == "torch" and b.device == "cpu":
        b.torch.set_num_threads(int(os.environ.get("BENCH_TORCH_THREADS", os.cpu_count() or 1)))
    step = b.train_step(model, batch, seed)
    if b.device == "cpu":
        res = _cpu_rss_peak(step, iters)
    elif b.framework == "minigan":
        res = _cupy_peak(step, iters)
    else:
        res = _torch_cuda_peak(step, iters)
    res["iterations"] = iters
    res["models_from"] = getattr(step, "models_from", None)
    return res


def measure_in_subprocess(backend: str, model: str, batch: int, iters: int, *, torch_threads: int | None = None,
                          timeout: float = 600, seed: int = 0) -> dict:
    env = dict(os.environ)
    if torch_threads:
        env["BENCH_TORCH_THREADS"] = str(torch_threads)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "benchmarks.memory", "--backend", backend, "--model", model,
           "--batch", str(batch), "--iters", str(iters), "--seed", str(seed), "--json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=root)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": f"child exited {proc.returncode}: {tail[0][:300]}"}


def run_memory(backends: list[str], models: list[str], batch_sizes: list[int], *, iters: int,
               torch_threads: int | None = None, seed: int = 0, log=print) -> list[dict]:
    rows = []
    for model in models:
        for batch in batch_sizes:
            results = {name: measure_in_subprocess(name, model, batch, iters, torch_threads=torch_threads, seed=seed)
                       for name in backends}
            rows.append({"model": model, "batch": batch, "results": results})
            log("  " + f"{model:<6} batch={batch:<4} " + ", ".join(
                f"{k} {v['peak_bytes'] / 2**20:.1f} MiB" if "peak_bytes" in v else f"{k} n/a ({v['error'][:80]})"
                for k, v in results.items()))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", required=True)
    p.add_argument("--model", default="dcgan")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one machine-readable line (used by the harness)")
    args = p.parse_args(argv)
    tune_allocator()
    from .backends import Unavailable
    try:
        res = measure_here(args.backend, args.model, args.batch, args.iters, args.seed)
    except Unavailable as exc:
        res = {"error": str(exc)}
    except Exception as exc:
        res = {"error": f"{type(exc).__name__}: {exc}"}
    if args.json:
        print(MARKER + json.dumps(res), flush=True)
    else:
        print(json.dumps(res, indent=2))
    return 0 if "error" not in res else 1


if __name__ == "__main__":
    sys.exit(main())
