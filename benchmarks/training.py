"""Full GAN training iterations, timed per backend: images per second.

One iteration = sample z, G(z) once, D on the real batch and on the detached fake batch,
BCE-with-logits, backward, Adam on D; then D(G(z)) again with the updated D, the
non-saturating G loss, backward, Adam on G. images/s = batch size / median iteration time.
"""
from __future__ import annotations

from .backends import Backend, Unavailable
from .timing import measure_interleaved

MODELS = ("dcgan", "mlp")


def run_training(backends: dict[str, Backend], models: list[str], batch_sizes: list[int], *, warmup: int,
                 repeat: int, max_seconds: float, seed: int = 0, log=print) -> list[dict]:
    """One row per (model, batch). The backends' iterations are timed in alternation
    (`measure_interleaved`), so machine-speed drift lands on both sides of the ratio."""
    rows: list[dict] = []
    for model in models:
        for batch in batch_sizes:
            results: dict[str, dict] = {}
            steps = {}
            for name, b in backends.items():
                try:
                    steps[name] = b.train_step(model, batch, seed)
                except Unavailable as exc:
                    results[name] = {"error": str(exc)}
                except Exception as exc:
                    results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            if steps:
                try:
                    timed = measure_interleaved({name: (step, step.sync) for name, step in steps.items()},
                                                warmup=warmup, repeat=repeat,
                                                max_seconds=max_seconds * len(steps), min_repeat=3)
                except Exception as exc:
                    timed = {name: {"error": f"{type(exc).__name__}: {exc}"} for name in steps}
                for name, res in timed.items():
                    if "median_s" in res:
                        res["images_per_s"] = batch / res["median_s"]
                        res["models_from"] = getattr(steps[name], "models_from", None)
                    results[name] = res
            steps.clear()
            results = {name: results[name] for name in backends if name in results}
            row = {"model": model, "batch": batch, "results": results}
            rows.append(row)
            log("  " + f"{model:<6} batch={batch:<4} " + ", ".join(
                f"{k} {v['images_per_s']:.0f} img/s ({v['median_s'] * 1e3:.1f} ms)" if "images_per_s" in v
                else f"{k} n/a ({v['error'][:80]})" for k, v in results.items()))
    return rows
