"""Full GAN training iterations, timed per backend: images per second.

One iteration = sample z, G(z) once, D on the real batch and on the detached fake batch,
BCE-with-logits, backward, Adam on D; then D(G(z)) again with the updated D, the
non-saturating G loss, backward, Adam on G. images/s = batch size / median iteration time.
"""
from __future__ import annotations

from .backends import Backend, Unavailable
from .timing import measure

MODELS = ("dcgan", "mlp")


def run_training(backends: dict[str, Backend], models: list[str], batch_sizes: list[int], *, warmup: int,
                 repeat: int, max_seconds: float, seed: int = 0, log=print) -> list[dict]:
    rows: list[dict] = []
    for model in models:
        for batch in batch_sizes:
            results: dict[str, dict] = {}
            for name, b in backends.items():
                try:
                    step = b.train_step(model, batch, seed)
                    res = measure(step, step.sync, warmup=warmup, repeat=repeat, max_seconds=max_seconds,
                                  min_repeat=3)
                    res["images_per_s"] = batch / res["median_s"]
                    res["models_from"] = getattr(step, "models_from", None)
                    del step
                except Unavailable as exc:
                    res = {"error": str(exc)}
                except Exception as exc:
                    res = {"error": f"{type(exc).__name__}: {exc}"}
                results[name] = res
            row = {"model": model, "batch": batch, "results": results}
            rows.append(row)
            log("  " + f"{model:<6} batch={batch:<4} " + ", ".join(
                f"{k} {v['images_per_s']:.0f} img/s ({v['median_s'] * 1e3:.1f} ms)" if "images_per_s" in v
                else f"{k} n/a ({v['error'][:80]})" for k, v in results.items()))
    return rows
