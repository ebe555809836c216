"""Memory fault tests: backward frees the graph, and a training step leaks nothing.

Memory is what NumPy and Python allocate, traced by `tracemalloc` (NumPy reports its array
buffers to it). Short versions run by default; MINIGAN_LONG_TESTS=1 runs the long ones.
"""
from __future__ import annotations

import gc
import os
import tracemalloc

import numpy as np
import pytest

import minigan as mg
import minigan.nn.functional as F
from minigan import optim
from minigan.gan import build_models

LONG = pytest.mark.skipif(not os.environ.get("MINIGAN_LONG_TESTS"),
                          reason="long fault test: set MINIGAN_LONG_TESTS=1")


@pytest.fixture
def traced():
    gc.collect()
    tracemalloc.start()
    try:
        yield lambda: (gc.collect(), tracemalloc.get_traced_memory()[0])[1]
    finally:
        tracemalloc.stop()


def _graph_is_freed(traced, build, size_bytes: int):
    """Memory after backward is within 10% of before plus the gradient; the peak shows the graph was big."""
    x = mg.randn(size_bytes // 4, requires_grad=True)
    build(x).backward()  # warm-up: caches and pools settle
    x.grad = None
    before = traced()
    tracemalloc.reset_peak()
    y = build(x)
    y.backward()
    peak = tracemalloc.get_traced_memory()[1]
    after = traced()
    allowed = 1.1 * (before + size_bytes)  # x.grad is new memory; everything else must be gone
    assert peak - before > 20 * size_bytes, "the graph was too small for this test to mean anything"
    assert after <= allowed, f"{after - before} bytes still held after backward (graph not freed)"
    del y
    assert traced() <= allowed


def test_a_long_chain_frees_its_graph_after_backward(traced):
    def chain(x, steps=2000):
        h = x
        for _ in range(steps):
            h = (h * 1.0001).tanh()
        return h.sum()

    _graph_is_freed(traced, chain, 16 * 1024)


def test_a_wide_graph_frees_its_graph_after_backward(traced):
    def wide(x, branches=500):
        return mg.stack([(x * float(k)).sigmoid() for k in range(branches)]).sum()

    _graph_is_freed(traced, wide, 16 * 1024)


def _dcgan_steps(iterations: int, batch: int = 4):
    """The DCGAN step (D on real and fake, then G), as the trainer runs it, on tiny models."""
    mg.manual_seed(0)
    G, D = build_models("dcgan", latent_dim=8, width=4)
    opt_g = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = mg.tensor(np.random.default_rng(0).uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32))
    ones, zeros = mg.ones(batch, 1), mg.zeros(batch, 1)
    for _ in range(iterations):
        fake = G(mg.randn(batch, 8))
        opt_d.zero_grad()
        loss_d = F.binary_cross_entropy_with_logits(D(real).reshape(batch, 1), ones) + \
            F.binary_cross_entropy_with_logits(D(fake.detach()).reshape(batch, 1), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = F.binary_cross_entropy_with_logits(D(fake).reshape(batch, 1), ones)
        loss_g.backward()
        opt_g.step()
        yield float(loss_d.item()), float(loss_g.item())


def _no_leak(traced, iterations: int):
    steps = _dcgan_steps(iterations)
    for _ in range(10):  # warm-up: optimiser state, scratch buffers, caches
        next(steps)
    settled = traced()
    finite = True
    for _ in range(iterations - 10):  # no list of the losses: it would be the growth measured
        finite &= bool(np.isfinite(next(steps)).all())
    grown = traced() - settled
    assert finite
    assert grown <= 0.1 * settled, f"memory grew by {grown} bytes over {iterations - 10} DCGAN steps ({settled} held)"


def test_dcgan_steps_do_not_leak(traced):
    _no_leak(traced, 100)


@LONG
def test_dcgan_steps_do_not_leak_long(traced):
    _no_leak(traced, 1000)
