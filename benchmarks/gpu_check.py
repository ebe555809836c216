"""The GPU check: everything minigan claims about CUDA, run on a real GPU in under 10 minutes.

Nobody has run minigan's CuPy path on a GPU yet; CI runs it on a NumPy stand-in
(MINIGAN_CUPY_STANDIN=1), which catches host/device mixing but says nothing about
kernels, memory or speed. Whoever has a GPU runs, from the repository root:

    python -m benchmarks.gpu_check                 # installs the CUDA extra if CuPy is missing
    python -m benchmarks.gpu_check --dry-run       # only print what it would run

It (1) installs ``.[cuda]`` if CuPy does not import, (2) runs the CUDA tests on real CuPy,
(3) runs ``python -m benchmarks --device all --quick``, (4) trains one epoch of the DCGAN
with ``minigan train --device cuda`` and times it, (5) where the machine has two GPUs and
mpi4py, trains 50 data-parallel steps on two ranks (one GPU each, gradients over NCCL), and
writes one JSON of the results,
naming the GPU, to benchmarks/results/gpu-check-<time>.json. Without a usable GPU it
stops at once with exit status 2 and says why.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from minigan.atomic import atomic_write

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
NO_GPU = 2


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MINIGAN_CUPY_STANDIN"}  # the real thing only
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["MPLBACKEND"] = "Agg"
    return env


def probe_gpu() -> dict:
    """CuPy's version and the first GPU's name, or {'error': why not} (in a subprocess: a fresh import)."""
    code = ("import json, cupy as cp; n = cp.cuda.runtime.getDeviceCount(); "
            "p = cp.cuda.runtime.getDeviceProperties(0) if n else {}; name = p.get('name', b''); "
            "print(json.dumps({'cupy': cp.__version__, 'gpus': n, 'runtime': cp.cuda.runtime.runtimeGetVersion(), "
            "'device': name.decode() if isinstance(name, bytes) else str(name), "
            "'memory_gib': round(p.get('totalGlobalMem', 0) / 2**30, 1), "
            "'standin': bool(getattr(cp, 'STANDIN', False))}))")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        return {"error": lines[-1]}
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if info["gpus"] == 0:
        return {**info, "error": "CuPy imports but sees no GPU"}
    if info["standin"]:
        return {**info, "error": "'cupy' is minigan's NumPy stand-in, not CuPy"}
    return info


def plan(args: argparse.Namespace, workdir: Path, gpus: int = 1) -> list[dict]:
    """The steps, each a name, a command and a time limit (seconds): about 10 minutes in all at most."""
    data = ["--data-dir", args.data_dir] if args.data_dir else []
    py = sys.executable
    two_ranks = []
    mpiexec = Path(py).parent / "mpiexec"
    if gpus >= 2 and importlib.util.find_spec("mpi4py") is not None:
        two_ranks = [{"name": "2 ranks x 2 GPUs, 50 steps", "timeout": 120,
                      "cmd": [str(mpiexec) if mpiexec.exists() else "mpiexec", "-n", "2", py, "-m", "minigan", "train",
                              "--model", "dcgan", "--device", "cuda", "--max-steps", "50", "--sync-batchnorm",
                              "--progress", "none", "--out", str(workdir / "dcgan-2-ranks"), *data]}]
    return [
        {"name": "cuda tests", "timeout": 180,
         "cmd": [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "cuda and not standin",
                 str(REPO / "tests")]},
        {"name": "benchmarks --device all --quick", "timeout": 210,
         "cmd": [py, "-m", "benchmarks", "--device", "all", "--quick"]},
        {"name": "dcgan one epoch", "timeout": 180,
         "cmd": [py, "-m", "minigan", "train", "--model", "dcgan", "--device", "cuda", "--epochs", "1",
                 "--progress", "epoch", "--out", str(workdir / "dcgan"), *data]},
    ] + two_ranks


def run_step(step: dict) -> dict:
    start = time.perf_counter()
    try:
        proc = subprocess.run(step["cmd"], cwd=REPO, env=_env(), capture_output=True, text=True,
                              timeout=step["timeout"])
        rc, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc = "timeout"
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    seconds = round(time.perf_counter() - start, 1)
    tail = out.strip().splitlines()[-15:]
    print(f"{step['name']}: {'ok' if rc == 0 else f'FAILED ({rc})'} in {seconds} s", flush=True)
    return {"name": step["name"], "command": shlex.join(step["cmd"]), "returncode": rc, "seconds": seconds,
            "ok": rc == 0, "output_tail": tail}


def ensure_cupy(install: bool) -> dict:
    info = probe_gpu()
    if "error" in info and "No module named 'cupy'" in info["error"] and install:
        print("CuPy is not installed: pip install -e '.[cuda]' ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-e", f"{REPO}[cuda]"], check=False, timeout=300)
        info = probe_gpu()
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the steps and exit; needs no GPU")
    parser.add_argument("--no-install", action="store_true", help="do not pip install the CUDA extra")
    parser.add_argument("--data-dir", help="MNIST IDX folder for the DCGAN epoch (default: $MINIGAN_DATA_DIR, "
                                           "else minigan downloads it)")
    parser.add_argument("--out", type=Path,
                        help="the JSON to write (default: benchmarks/results/gpu-check-<time>.json)")
    args = parser.parse_args(argv)
    if args.dry_run:
        for step in plan(args, Path(tempfile.gettempdir()) / "minigan-gpu-check-XXXX"):
            print(f"{step['name']} (at most {step['timeout']} s): {shlex.join(step['cmd'])}")
        return 0
    info = ensure_cupy(install=not args.no_install)
    if "error" in info:
        print(f"gpu_check: no usable CUDA GPU ({info['error']}); run this on a machine with an NVIDIA GPU "
              f"and CUDA 12 drivers", file=sys.stderr)
        return NO_GPU
    print(f"GPU: {info['device']} ({info['memory_gib']} GiB), CuPy {info['cupy']}", flush=True)
    started = datetime.now(timezone.utc)
    steps = plan(args, Path(tempfile.mkdtemp(prefix="minigan-gpu-check-")), gpus=int(info.get("gpus", 1)))
    results = [run_step(step) for step in steps]
    report = {"kind": "minigan-gpu-check", "date": started.isoformat(timespec="seconds"),
              "device": info["device"], "gpu": info, "host": platform.node(), "python": platform.python_version(),
              "steps": results, "dcgan_epoch_seconds": results[2]["seconds"] if results[2]["ok"] else None,
              "ok": all(r["ok"] for r in results)}
    out = args.out or RESULTS / f"gpu-check-{started.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out) as f:  # a half-written report is never left behind
        f.write((json.dumps(report, indent=2) + "\n").encode())
    print(f"wrote {out}; {'all steps passed' if report['ok'] else 'some steps FAILED'}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
