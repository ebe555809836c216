"""The GEMM limit of a training iteration: how many images/s this machine's sgemm alone allows.

A DCGAN iteration's work is its convolutions' and Linear layers' matrix products; all the
rest (im2col, batch norm, activations, Adam, the engine) is overhead on top. So the limit is
``sgemm GFLOP/s / GEMM FLOP per image``, and ``images/s / limit`` says how close a framework
comes to it. The rate is NumPy's float32 matmul (the BLAS minigan uses) at the DCGAN's
representative shape, D2's forward product (128 x 1024) @ (1024 x 49*batch), timed in the
same run as the iterations; the FLOPs are counted from the layer shapes (2 per multiply-add)
for exactly the products the iteration needs (see `iteration_flop_per_image`)::

    python -m benchmarks --only train    # prints the limit and both frameworks' fractions
"""
from __future__ import annotations

import time

import numpy as np

# (name, multiply-adds per image of one product, how many times the iteration computes it)
# DCGAN: D runs 3 forwards (real, fake in the D step, fake again in the G step); D's weight
# gradients twice (D step), D2's data gradient 3 times (to reach D1's weights twice, then the
# fake image), D1's once (the fake image in the G step); G forward once and backward once.
_DCGAN = [
    ("G.fc", 100 * 6272, 2),                # forward, weight gradient (z needs none)
    ("G1 convT 128->64", 64 * 16 * 128 * 49, 3),   # forward, data gradient, weight gradient
    ("G2 convT 64->1", 1 * 16 * 64 * 196, 3),
    ("D1 conv 1->64", 64 * 16 * 196, 3 + 2 + 1),  # 3 forwards, 2 weight gradients, 1 data gradient
    ("D2 conv 64->128", 128 * 1024 * 49, 3 + 2 + 3),
    ("D.fc", 6272, 3 + 2 + 3),
]
_MLP_G = [(100, 256), (256, 512), (512, 1024), (1024, 784)]
_MLP_D = [(784, 512), (512, 256), (256, 1)]


def iteration_flop_per_image(model: str) -> float:
    """GEMM FLOP per image of one benchmark iteration (see `training.py` for the iteration)."""
    if model == "dcgan":
        return float(sum(2 * macs * times for _, macs, times in _DCGAN))
    if model == "mlp":
        g = sum(i * o for i, o in _MLP_G)
        d = sum(i * o for i, o in _MLP_D)
        d_first = _MLP_D[0][0] * _MLP_D[0][1]
        # G: forward + data and weight gradients (its first layer's data gradient skipped: z);
        # D: 3 forwards, 2 weight gradients, data gradients 3 times but its first layer's only once
        g_flops = 3 * g - _MLP_G[0][0] * _MLP_G[0][1]
        d_flops = 3 * d + 2 * d + (3 * d - 2 * d_first)
        return float(2 * (g_flops + d_flops))
    raise ValueError(f"gemm_limit: unknown model {model!r}")


def sgemm_gflops(batch: int, repeat: int = 15) -> float:
    """Median float32 matmul rate (GFLOP/s) at D2's forward shape for this batch size."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((128, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 49 * batch)).astype(np.float32)
    out = np.empty((128, 49 * batch), np.float32)
    for _ in range(3):
        np.matmul(a, b, out=out)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t0)
    return 2 * 128 * 1024 * 49 * batch / float(np.median(times)) / 1e9


def add_limits(result: dict) -> None:
    """Measure sgemm per batch size and give each training row its limit and fractions (in place)."""
    rows = result.get("train", [])
    rates = {b: sgemm_gflops(b) for b in sorted({r["batch"] for r in rows})}
    result["gemm_limit"] = {
        "shape": "(128x1024) @ (1024x(49*batch)) float32, NumPy matmul",
        "gflops": {str(b): round(g, 1) for b, g in rates.items()},
        "flop_per_image": {m: iteration_flop_per_image(m) for m in sorted({r["model"] for r in rows})},
    }
    for row in rows:
        limit = rates[row["batch"]] * 1e9 / iteration_flop_per_image(row["model"])
        row["gemm_limit_img_per_s"] = limit
        row["gemm_fraction"] = {name: r["images_per_s"] / limit for name, r in row["results"].items()
                                if "images_per_s" in r}


def limits_table(result: dict) -> str:
    """The limit and each backend's fraction of it, as Markdown lines."""
    lim = result.get("gemm_limit")
    if not lim:
        return ""
    lines = [f"sgemm at {lim['shape']}: " + ", ".join(f"batch {b}: {g} GFLOP/s" for b, g in lim["gflops"].items())
             + "; GEMM work per image: " + ", ".join(f"{m} {f / 1e6:.1f} MFLOP"
                                                     for m, f in lim["flop_per_image"].items()), ""]
    for row in result.get("train", []):
        if "gemm_fraction" in row:
            lines.append(f"- {row['model']} batch {row['batch']}: limit {row['gemm_limit_img_per_s']:.0f} img/s; "
                         + ", ".join(f"{k} {v:.0%}" for k, v in row["gemm_fraction"].items()))
    return "\n".join(lines)
