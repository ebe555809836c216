"""minigan/autograd.py, the engine: iterative backward on a 100,000-op chain, the graph and its saved
arrays released after backward (weakrefs), a clear error on a second backward through a freed graph."""
import gc
import time
import weakref

import numpy as np
import pytest

import minigan as mg


@pytest.fixture
def no_gc():
    """Prove memory goes back by reference counting alone: no cycle collector may help."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_100k_op_chain_backpropagates_without_recursion():
    x = mg.tensor(1.0, requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(100_000):
        y = -y
    (y * 0.5).backward()
    assert x.grad.item() == 0.5  # an even number of negations
    del y  # tearing the chain down must not recurse either
    assert time.perf_counter() - start < 30


def test_a_deep_chain_can_be_dropped_without_backward():
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    ref = weakref.ref(y.creator)
    del y
    assert ref() is None


def test_diamond_graph_runs_each_function_once_after_all_its_consumers(make):
    x = make(2.0, requires_grad=True)
    a = x * 3
    b = a.exp()
    c = a * a
    d = b + c  # a feeds two branches of different depth
    e = d * a
    e.backward()
    av = 6.0
    expected = 3 * ((np.exp(av) + 2 * av) * av + (np.exp(av) + av ** 2))
    np.testing.assert_allclose(x.grad.item(), expected, rtol=1e-12)


def test_saved_arrays_and_functions_are_released_after_backward(no_gc):
    x = mg.randn(50, requires_grad=True)
    hidden = x.exp()  # Exp saves its output for backward
    hidden_data = weakref.ref(hidden.array)
    exp_fn = weakref.ref(hidden.creator)
    y = (hidden * 2).tanh().sum()
    mul_fn = weakref.ref(y.creator.inputs[0].creator.inputs[0].creator)
    del hidden
    y.backward()
    assert hidden_data() is None and exp_fn() is None and mul_fn() is None
    assert y.creator.inputs == ()  # even the function still named by y holds nothing now
    del y
    assert x.grad is not None


def test_retain_graph_keeps_the_graph_until_the_output_goes(no_gc):
    x = mg.randn(50, requires_grad=True)
    hidden = x.exp()
    hidden_data = weakref.ref(hidden.array)
    exp_fn = weakref.ref(hidden.creator)
    y = (hidden * 2).tanh().sum()
    del hidden
    y.backward(retain_graph=True)
    assert hidden_data() is not None and exp_fn() is not None
    first = x.grad.numpy().copy()
    y.backward()  # allowed: the graph was retained
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    assert hidden_data() is None and exp_fn() is None  # the second backward freed it


def test_an_unused_graph_is_freed_by_reference_counting_alone(no_gc):
    x = mg.randn(50, requires_grad=True)
    hidden = x.sigmoid()  # saves its output: no reference cycle may come of it
    hidden_data = weakref.ref(hidden.array)
    sig_fn = weakref.ref(hidden.creator)
    y = (hidden * hidden).sum()
    del hidden
    assert hidden_data() is not None
    del y
    assert hidden_data() is None and sig_fn() is None


def test_grad_frees_the_graph_unless_asked(no_gc):
    x = mg.randn(5, requires_grad=True)
    h = x.tanh()
    fn = weakref.ref(h.creator)
    y = (h * h).sum()
    del h
    mg.grad(y, x, retain_graph=True)
    assert fn() is not None
    mg.grad(y, x)
    assert fn() is None


def test_second_backward_through_a_freed_graph_says_to_retain_it(make):
    x = make([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"backward through \w+ a second time.*Pass retain_graph=True"):
        y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        mg.grad(y, x)


def test_double_backward_after_outputs_were_dropped(make):
    # tanh saves its output; the caller never holds it, so backward rebuilds it from the saved array
    x = make([0.1, 0.8], requires_grad=True)
    (g,) = mg.grad(x.tanh().sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    t = np.tanh(x.numpy())
    np.testing.assert_allclose(h.numpy(), -2 * t * (1 - t ** 2))


def test_create_graph_keeps_the_graph_for_a_second_pass_by_default(make):
    x = make([1.5], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = mg.grad(y, x, create_graph=True)
    (again,) = mg.grad(y, x)  # retain_graph defaulted to create_graph
    np.testing.assert_allclose(g.numpy(), again.numpy())


def test_grad_runs_only_the_functions_it_needs(make):
    calls = []

    class Spy(mg.Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, gy):
            calls.append(1)
            return gy

    x = make([1.0], requires_grad=True)
    other = make([2.0], requires_grad=True)
    y = (x * 2 + Spy()(other)).sum()
    mg.grad(y, x)
    assert calls == []  # the branch to `other` is not traversed
