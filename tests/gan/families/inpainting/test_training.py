"""A few InpaintUpdater steps on synthetic images: the reconstruction loss falls, and the pieces resume.

The step is gan/families/inpainting/step.py's (masks from the MaskSampler, D on
originals vs detached completions, then G on D's fresh scores), driven here by
hand on in-memory batches; tests/gan/families/inpainting/test_trainer.py runs it in the trainer.
"""
from __future__ import annotations

import copy
import time

import numpy as np

import minigan
from minigan import backend
from minigan.gan.families.inpainting import InpaintingLoss, MaskSampler, build_inpainting_models
from minigan.gan.families.inpainting.step import InpaintUpdater


def synthetic_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Smooth stripes at one of 4 angles (the label): the hidden part is predictable from the rest."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    yy, xx = np.mgrid[0:28, 0:28] / 28.0
    angles = labels * np.pi / 4
    phase = rng.uniform(0, 2 * np.pi, n)
    waves = np.cos(2 * np.pi * 2 * (np.cos(angles)[:, None, None] * xx + np.sin(angles)[:, None, None] * yy)
                   + phase[:, None, None])
    return (0.9 * waves[:, None]).astype(np.float32), labels


def setup(seed: int = 0):
    minigan.manual_seed(seed)
    G, D = build_inpainting_models(8, 8, num_classes=4, unet=True, noise="dropout")
    opt_g = minigan.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = minigan.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return G, D, opt_g, opt_d, MaskSampler("random", seed=seed)


def step(G, D, opt_g, opt_d, sampler, loss, images, labels) -> dict[str, float]:
    updater = InpaintUpdater(G, D, opt_g, opt_d, loss, sampler, aux_classes=True)
    return updater.step([(images, labels)])


def batches(steps: int, size: int = 16):
    images, labels = synthetic_images(steps * size, seed=1)
    return [(images[i * size:(i + 1) * size], labels[i * size:(i + 1) * size]) for i in range(steps)]


def test_reconstruction_loss_falls_in_a_few_steps():
    started = time.perf_counter()
    G, D, opt_g, opt_d, sampler = setup()
    loss = InpaintingLoss("bce", rec_weight=100.0, adv_weight=1.0)
    records = [step(G, D, opt_g, opt_d, sampler, loss, x, y) for x, y in batches(40)]
    rec = np.array([r["rec"] for r in records])
    assert {"loss_D", "loss_G", "rec", "adv", "class_D", "class_G"} <= set(records[0])
    assert np.isfinite([v for r in records for v in r.values()]).all()
    assert rec[-8:].mean() < 0.6 * rec[:4].mean(), rec.round(3)
    assert time.perf_counter() - started < 120  # a smoke test, not a training run


def test_the_same_seed_gives_the_same_run_and_a_resumed_run_continues_it_exactly():
    data, loss = batches(6, size=8), InpaintingLoss("hinge")
    G, D, opt_g, opt_d, sampler = setup()
    straight = [step(G, D, opt_g, opt_d, sampler, loss, x, y) for x, y in data]

    G, D, opt_g, opt_d, sampler = setup()
    first = [step(G, D, opt_g, opt_d, sampler, loss, x, y) for x, y in data[:3]]
    saved = copy.deepcopy({"G": G.state_dict(), "D": D.state_dict(), "opt_g": opt_g.state_dict(),
                           "opt_d": opt_d.state_dict(), "masks": sampler.state_dict(),
                           "rng": backend.get_rng_state()})
    G, D, opt_g, opt_d, sampler = setup(seed=123)  # a fresh process, other weights, other streams
    G.load_state_dict(saved["G"])
    D.load_state_dict(saved["D"])
    opt_g.load_state_dict(saved["opt_g"])
    opt_d.load_state_dict(saved["opt_d"])
    sampler.load_state_dict(saved["masks"])
    backend.set_rng_state(saved["rng"])  # dropout noise continues too
    resumed = first + [step(G, D, opt_g, opt_d, sampler, loss, x, y) for x, y in data[3:]]
    assert resumed == straight  # bit-identical on one machine
