"""Per-op timings at the shapes the DCGAN actually runs: forward, and forward+backward.

Each case builds its inputs from one NumPy generator (the same numbers on every backend),
then times a closure. Forward+backward closures clear the input gradients, run the op and
call ``y.backward(gy)`` with a fixed upstream gradient, so no side does a reduction the other
skips.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .backends import Backend, Unavailable


@dataclass
class OpCase:
    name: str        # e.g. "conv2d D1"
    op: str          # the op family: matmul, conv2d, conv_transpose2d, batch_norm, elementwise, adam
    shape: str       # a short description of the shapes
    batch: int | None
    build: Callable  # (backend, rng) -> {"fwd": fn, "fwd+bwd": fn} (either may be missing)


def _inputs(b: Backend, rng: np.random.Generator, *shapes, scale=1.0, grad=True):
    return [b.from_numpy(rng.standard_normal(s).astype(np.float32) * scale, requires_grad=grad) for s in shapes]


def _fwd_bwd(b: Backend, forward: Callable, leaves: list, out_shape, rng) -> dict:
    gy = b.from_numpy(rng.standard_normal(out_shape).astype(np.float32))

    def fwd():
        with _no_grad(b):
            return forward()

    def fwd_bwd():
        b.clear_grads(*leaves)
        y = forward()
        b.backward(y, gy)
        return y

    return {"fwd": fwd, "fwd+bwd": fwd_bwd}


def _no_grad(b: Backend):
    return b.torch.no_grad() if b.framework == "torch" else b.mg.no_grad()


def matmul_case(name: str, m: int, k: int, n: int, batch: int) -> OpCase:
    def build(b, rng):
        a, w = _inputs(b, rng, (m, k), (k, n), scale=0.1)
        return _fwd_bwd(b, lambda: a @ w, [a, w], (m, n), rng)
    return OpCase(name, "matmul", f"({m}x{k})@({k}x{n})", batch, build)


def conv2d_case(name: str, batch: int, cin: int, cout: int, size: int) -> OpCase:
    def build(b, rng):
        x, w, bias = _inputs(b, rng, (batch, cin, size, size), (cout, cin, 4, 4), (cout,), scale=0.1)
        out = (batch, cout, size // 2, size // 2)
        return _fwd_bwd(b, lambda: b.F.conv2d(x, w, bias, stride=2, padding=1), [x, w, bias], out, rng)
    return OpCase(name, "conv2d", f"{batch}x{cin}x{size}x{size} -> {cout}x{size // 2}x{size // 2}, k4 s2 p1",
                  batch, build)


def conv_transpose2d_case(name: str, batch: int, cin: int, cout: int, size: int) -> OpCase:
    def build(b, rng):
        x, w, bias = _inputs(b, rng, (batch, cin, size, size), (cin, cout, 4, 4), (cout,), scale=0.1)
        out = (batch, cout, size * 2, size * 2)
        return _fwd_bwd(b, lambda: b.F.conv_transpose2d(x, w, bias, stride=2, padding=1), [x, w, bias], out, rng)
    return OpCase(name, "conv_transpose2d",
                  f"{batch}x{cin}x{size}x{size} -> {cout}x{size * 2}x{size * 2}, k4 s2 p1", batch, build)


def batch_norm_case(batch: int, channels: int = 64, size: int = 14) -> OpCase:
    def build(b, rng):
        bn = b.module(b.nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1))
        bn.train()
        (x,) = _inputs(b, rng, (batch, channels, size, size))
        params = list(bn.parameters())
        return _fwd_bwd(b, lambda: bn(x), [x, *params], (batch, channels, size, size), rng)
    return OpCase("batch_norm2d (train)", "batch_norm", f"{batch}x{channels}x{size}x{size}", batch, build)


def elementwise_case(batch: int, channels: int = 64, size: int = 14) -> OpCase:
    def build(b, rng):
        x, = _inputs(b, rng, (batch, channels, size, size))
        a, c = _inputs(b, rng, (channels, 1, 1), (channels, 1, 1))
        return _fwd_bwd(b, lambda: b.F.leaky_relu(x * a + c, 0.2).tanh(), [x, a, c],
                        (batch, channels, size, size), rng)
    return OpCase("leaky_relu(x*a+b).tanh()", "elementwise", f"{batch}x{channels}x{size}x{size}, a,b: {channels}x1x1",
                  batch, build)


def adam_case() -> OpCase:
    """One Adam step over every parameter of the DCGAN's G and D (about 1.1M floats)."""
    def build(b, rng):
        G, D, _ = b.build_models("dcgan")
        params = list(G.parameters()) + list(D.parameters())
        for p in params:
            p.grad = b.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 1e-3)
        opt = b.adam(params)
        count = sum(int(np.prod(p.shape)) for p in params)
        return {"step": opt.step, "_params": count}
    return OpCase("Adam step (DCGAN G+D)", "adam", "all DCGAN parameters", None, build)


def op_cases(batch_sizes: list[int]) -> list[OpCase]:
    cases: list[OpCase] = []
    for n in batch_sizes:
        cases += [
            matmul_case("matmul G.fc", n, 100, 128 * 7 * 7, n),
            matmul_case("matmul D.fc", n, 128 * 7 * 7, 1, n),
            conv2d_case("conv2d D1", n, 1, 64, 28),
            conv2d_case("conv2d D2", n, 64, 128, 14),
            conv_transpose2d_case("conv_transpose2d G1", n, 128, 64, 7),
            conv_transpose2d_case("conv_transpose2d G2", n, 64, 1, 14),
            batch_norm_case(n),
            elementwise_case(n),
        ]
    cases.append(adam_case())
    return cases


def run_ops(backends: dict[str, Backend], batch_sizes: list[int], *, warmup: int, repeat: int,
            max_seconds: float, seed: int = 0, log=print) -> list[dict]:
    """Time every case on every backend. One row per (case, mode); a backend that cannot run a
    case records why instead of a time."""
    from .timing import measure
    rows: list[dict] = []
    for case in op_cases(batch_sizes):
        per_mode: dict[str, dict] = {}
        extra: dict = {}
        for name, b in backends.items():
            try:
                fns = case.build(b, np.random.default_rng(seed))
            except Unavailable as exc:
                per_mode.setdefault("*", {})[name] = {"error": str(exc)}
                continue
            except Exception as exc:  # a piece of the engine not there yet, or a bug: say which
                per_mode.setdefault("*", {})[name] = {"error": f"{type(exc).__name__}: {exc}"}
                continue
            for mode, fn in fns.items():
                if mode.startswith("_"):
                    extra[mode[1:]] = fn
                    continue
                try:
                    res = measure(fn, b.sync, warmup=warmup, repeat=repeat, max_seconds=max_seconds)
                except Exception as exc:
                    res = {"error": f"{type(exc).__name__}: {exc}"}
                per_mode.setdefault(mode, {})[name] = res
        failures = per_mode.pop("*", {})
        modes = list(per_mode) or (["step"] if case.op == "adam" else ["fwd", "fwd+bwd"])
        for mode in modes:
            results = dict(per_mode.get(mode, {}))
            results.update(failures)
            row = {"name": case.name, "op": case.op, "mode": mode, "shape": case.shape, "batch": case.batch,
                   "results": results, **extra}
            rows.append(row)
            log(_progress(row))
    return rows


def _progress(row: dict) -> str:
    parts = []
    for name, r in row["results"].items():
        parts.append(f"{name} {r['median_s'] * 1e3:.3f} ms" if "median_s" in r else f"{name} n/a")
    return f"  {row['name']:<26} {row['mode']:<8} batch={row['batch']}: " + ", ".join(parts)
