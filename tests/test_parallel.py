"""minigan/parallel.py's elementwise blocks, and the threaded memory-bound passes of a training step:
the same bits with one thread as with several (so a resumed run stays exact), in every layout."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import nn, parallel


def serial_and_threaded(run, monkeypatch, block=7, block_setting=(parallel, "_BLOCK_ELEMENTS")):
    """run() on one thread in one block, then on three threads in blocks of `block` elements."""
    module, name = block_setting
    with monkeypatch.context() as m:
        m.setenv("MINIGAN_NUM_THREADS", "1")
        m.setattr(module, name, 1 << 40)
        serial = run()
    with monkeypatch.context() as m:
        m.setenv("MINIGAN_NUM_THREADS", "3")
        m.setattr(parallel, "PARALLEL_MIN_ELEMENTS", 0)
        m.setattr(module, name, block)
        threaded = run()
    return serial, threaded


def _feature_major(a):
    return np.ascontiguousarray(np.moveaxis(a, 0, -1)).transpose((a.ndim - 1,) + tuple(range(a.ndim - 1)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), feature_major=st.booleans(),
       block=st.integers(1, 50))
def test_for_elementwise_covers_every_element_once(monkeypatch, shape, feature_major, block):
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    if feature_major and x.ndim > 1:
        x = _feature_major(x)

    def run():
        y, count = np.empty_like(x), np.zeros_like(x)

        def work(a, b, c):
            np.tanh(a, out=b)
            c += 1
        parallel.for_elementwise(work, [x, y, count])
        return y, count

    (ys, cs), (yt, ct) = serial_and_threaded(run, monkeypatch, block)
    assert np.array_equal(ys, np.tanh(x)) and np.array_equal(yt, ys)
    assert (cs == 1).all() and (ct == 1).all()


def test_mixed_layouts_run_in_one_call():
    x = np.random.default_rng(0).standard_normal((3, 4))
    calls = []
    parallel.for_elementwise(lambda a, b: calls.append((a.shape, b.shape)), [x, _feature_major(x)])
    assert calls == [((3, 4), (3, 4))]


def test_dcgan_blocks_give_the_same_bits_threaded(monkeypatch):
    """conv -> batch norm -> leaky relu / relu -> conv-transpose, forward and backward, in float32
    (the layouts a DCGAN step hands between ops): one thread or three, the same bits everywhere."""
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((6, 3, 8, 8)).astype(np.float32)
    conv, bn = nn.Conv2d(3, 8, 4, 2, 1), nn.BatchNorm2d(8)
    up, bn1 = nn.ConvTranspose2d(8, 4, 4, 2, 1), nn.BatchNorm1d(32)
    lin = nn.Linear(4 * 8 * 8, 32)
    params = [p for m in (conv, bn, up, bn1, lin) for p in m.parameters()]
    init = [p.array.copy() for p in params]

    def run():
        for p, v in zip(params, init):
            p.array[...] = v
            p.grad = None
        for m in (bn, bn1):
            m.running_mean.array[...] = 0
            m.running_var.array[...] = 1
        x = mg.tensor(x0, requires_grad=True)
        h = nn.functional.leaky_relu(bn(conv(x)), 0.2)
        z = nn.functional.relu(up(h))
        out = nn.functional.leaky_relu(bn1(lin(z.reshape(6, -1))), 0.2)
        (out * out).sum().backward()
        return [t.numpy() for t in (h, z, out, x.grad)] + [p.grad.numpy() for p in params] + [
            bn.running_mean.numpy(), bn.running_var.numpy()]

    from minigan.ops import batch_norm_rows
    threads = []
    real_run = parallel._run
    monkeypatch.setattr(parallel, "_run", lambda tasks: (threads.append(len(tasks)), real_run(tasks)))
    serial, threaded = serial_and_threaded(run, monkeypatch)
    for a, b in zip(serial, threaded):
        assert a.dtype == np.float32 and np.array_equal(a, b)
    # the threaded run really split the batch norm rows and the activations' blocks over threads
    spans = []
    with monkeypatch.context() as m:
        m.setenv("MINIGAN_NUM_THREADS", "3")
        m.setattr(parallel, "PARALLEL_MIN_ELEMENTS", 0)
        real_rows, real_elementwise = batch_norm_rows._in_blocks, parallel.for_elementwise
        m.setattr(batch_norm_rows, "_in_blocks", lambda *a: (spans.append("bn"), real_rows(*a)))
        m.setattr(parallel, "for_elementwise", lambda *a: (spans.append("elementwise"), real_elementwise(*a)))
        run()
    assert spans.count("bn") >= 4 and spans.count("elementwise") >= 6 and max(threads) == 3


def test_adam_on_one_thread_walks_cache_blocks_with_the_same_bits(monkeypatch):
    """On one thread Adam's passes run block by block: the same bits as whole-array passes."""
    rng = np.random.default_rng(2)
    init = [rng.standard_normal(s).astype(np.float32) for s in ((37, 11), (5,), (300,))]
    grads = [rng.standard_normal(a.shape).astype(np.float32) for a in init]
    monkeypatch.setenv("MINIGAN_NUM_THREADS", "1")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ELEMENTS", 0)
    monkeypatch.setattr(parallel, "_CHUNK_ELEMENTS", 64)

    def run(cache_elements):
        monkeypatch.setattr(parallel, "_CACHE_ELEMENTS", cache_elements)
        ps = [mg.tensor(a.copy(), requires_grad=True) for a in init]
        opt = mg.optim.Adam(ps, lr=1e-2, betas=(0.5, 0.999))
        calls = []
        real = parallel._in_cache_blocks
        monkeypatch.setattr(parallel, "_in_cache_blocks", lambda w, a, xp: (calls.append(a[0].size), real(w, a, xp)))
        for _ in range(3):
            for p, g in zip(ps, grads):
                p.grad = mg.tensor(g)
            opt.step()
        return [p.numpy() for p in ps], calls

    whole, _ = run(1 << 40)
    blocked, calls = run(16)
    assert all(np.array_equal(a, b) for a, b in zip(whole, blocked))
    assert max(calls) > 16  # pieces larger than a block were walked in blocks
