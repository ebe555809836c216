"""What each rank runs in the data-parallel training tests: ``mpiexec -n 2 python train_checks.py SCENARIO DATA OUT``.

Not collected by pytest (no test_ prefix): test_data_parallel.py launches it. A scenario that
passes prints "rank R ok SCENARIO" on every rank.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from minigan import distributed
from minigan.gan import GANTrainer, TrainConfig, family_names
from minigan.gan.training import Extension

WORLD = distributed.init()
RANK = WORLD.rank


def ok(name: str) -> None:
    print(f"rank {RANK} ok {name}", flush=True)


def tiny(data: str, out: Path, **kw) -> TrainConfig:
    base = dict(width=4, latent_dim=32, batch_size=8, data_dir=data, epochs=1, max_steps=2, progress="none",
                checkpoint_every=0, n_samples=16, out=str(out))
    return TrainConfig(**{**base, **kw})


def scenario_families(data: str, out: str) -> None:
    """Every registered family, with the stabilisers that draw per sample or keep state, trains on two ranks:
    the ranks end with the same weights, and rank 0 alone wrote the run folder."""
    extra = {"wgan-gp": dict(loss="wgan-gp", critic_norm="none", spectral_norm=False, n_critic=2),
             "r1-ema-schedule": dict(r1=1.0, ema=0.9, lr_schedule="cosine"),
             "eval": dict(eval_every=1, eval_n=16, max_steps=None)}
    cases = [(name, {}) for name in family_names()] + [("dcgan", kw) for kw in extra.values()]
    for i, (name, kw) in enumerate(cases):
        run = Path(out) / f"{i}-{name}"
        options = {"latent_dim": None} if name == "inpaint" else {}
        trainer = GANTrainer(tiny(data, run, model=name, **{**options, **kw}))
        trainer.train()
        mine = np.concatenate([p.array.ravel() for p in [*trainer.G.parameters(), *trainer.D.parameters()]])
        assert np.isfinite(mine).all(), name
        first = WORLD.bcast_obj(mine)
        assert np.array_equal(first, mine), f"{name}: the ranks' weights differ after training"
        WORLD.barrier()
        assert (run / "checkpoint.npz").exists(), name
        if kw.get("eval_every"):   # rank 0 scored the epoch
            assert len((run / "metrics.jsonl").read_text().splitlines()) == 1
    ok("families")


class RaiseAt(Extension):
    def __init__(self, step: int):
        self.step = step

    def after_step(self, trainer, record: dict) -> None:
        if RANK == 1 and trainer.step == self.step:
            raise ValueError(f"a bad batch at step {self.step}")


def scenario_raise(data: str, out: str) -> None:
    """Rank 1 raises in the middle of training; rank 0 would wait in its next all-reduce for ever."""
    trainer = GANTrainer(tiny(data, Path(out), model="dcgan", max_steps=50), extensions=[RaiseAt(2)])
    trainer.train()
    print(f"rank {RANK} finished training", flush=True)


if __name__ == "__main__":
    globals()[f"scenario_{sys.argv[1]}"](sys.argv[2], sys.argv[3])
