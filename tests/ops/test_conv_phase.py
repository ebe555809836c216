"""minigan/ops/conv_phase.py: the k4 s2 p1 data gradient (conv_transpose2d forward) by output phase,
against the general im2col/col2im path and the naive references, first and second derivatives through
it, its fallback rule, and threads."""
import numpy as np
import pytest
from conftest import make_tensor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.ops.test_conv import conv2d_naive, conv_transpose2d_naive

import minigan as mg
from minigan.ops import conv_phase
from minigan.ops.conv import ConvParams, conv2d, conv2d_data_grad_array, conv_transpose2d

K4S2P1 = ConvParams((2, 2), (1, 1), (1, 1), 1)


@pytest.fixture
def phase_calls(monkeypatch):
    """Counts the calls into the phase path (so a test can show it ran)."""
    calls = []
    real = conv_phase.data_grad

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(conv_phase, "data_grad", spy)
    return calls


def general_path(gy, w, in_hw, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(conv_phase, "applies", lambda *a: False)
        return conv2d_data_grad_array(gy, w, K4S2P1, in_hw)


shapes = st.fixed_dictionaries(dict(n=st.integers(1, 3), o=st.integers(1, 6), c=st.integers(2, 6),
                                    ih=st.integers(1, 5), iw=st.integers(1, 5), seed=st.integers(0, 2**16)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=shapes, batch_last_input=st.booleans())
def test_phase_path_equals_general_path(monkeypatch, s, batch_last_input):
    rng = np.random.default_rng(s["seed"])
    gy = rng.standard_normal((s["n"], s["o"], s["ih"], s["iw"]))
    if batch_last_input:  # the layout the convolutions hand each other
        gy = np.ascontiguousarray(gy.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    w = rng.standard_normal((s["o"], s["c"], 4, 4))
    in_hw = (2 * s["ih"], 2 * s["iw"])
    assert conv_phase.applies(w.shape, K4S2P1, in_hw, gy.shape[2:]) == (4 * s["c"] >= s["o"])
    fast = conv_phase.data_grad(gy, w)
    assert fast.shape == (s["c"],) + in_hw + (s["n"],) and fast.flags.c_contiguous
    np.testing.assert_allclose(fast, general_path(gy, w, in_hw, monkeypatch), rtol=1e-12, atol=1e-12)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 2), cin=st.integers(1, 3), cout=st.integers(1, 3), h=st.integers(1, 4),
       w=st.integers(1, 4), bias=st.booleans())
def test_conv_transpose2d_k4s2p1_gradcheck_gradgradcheck(device, phase_calls, n, cin, cout, h, w, bias):
    """conv_transpose2d(k4, s2, p1) forward runs the phase path when it applies; gradients and second
    derivatives (through conv2d and the weight gradient, whose adjoints call it again) checked in float64."""
    phase_calls.clear()
    rng = np.random.default_rng(n * 1000 + cin * 100 + cout * 10 + h + w)
    arrays = [rng.standard_normal((n, cin, h, w)), rng.standard_normal((cin, cout, 4, 4))]
    if bias:
        arrays.append(rng.standard_normal(cout))

    def f(x, wt, b=None):
        return conv_transpose2d(x, wt, b, stride=2, padding=1)

    def reference(x, wt, b=None):
        return conv_transpose2d_naive(x, wt, b, (2, 2), (1, 1))

    mg.testing.check_op(f, arrays, reference, device)
    assert len(phase_calls) > 0 or 4 * cout < cin


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 2), cin=st.integers(1, 3), cout=st.integers(1, 3), h=st.integers(1, 4),
       w=st.integers(1, 4))
def test_conv2d_k4s2p1_data_gradient_by_phase(device, phase_calls, n, cin, cout, h, w):
    """conv2d(k4, s2, p1) on even sizes: its data gradient (and the second derivative through it) by phase."""
    phase_calls.clear()
    rng = np.random.default_rng(n * 1000 + cin * 100 + cout * 10 + h + w)
    arrays = [rng.standard_normal((n, cin, 2 * h, 2 * w)), rng.standard_normal((cout, cin, 4, 4))]

    def f(x, wt):
        return conv2d(x, wt, None, stride=2, padding=1)

    mg.testing.check_op(f, arrays, lambda x, wt: conv2d_naive(x, wt, None, (2, 2), (1, 1)), device)
    assert len(phase_calls) > 0 or 4 * cin < cout


@pytest.mark.parametrize("geometry", [dict(stride=2, padding=1, output_padding=1),   # odd output size
                                      dict(stride=2, padding=0), dict(stride=1, padding=1),
                                      dict(stride=2, padding=1, dilation=2)])
def test_other_geometries_use_the_general_path(phase_calls, geometry):
    rng = np.random.default_rng(5)
    x = make_tensor(rng.standard_normal((2, 4, 3, 3)), requires_grad=True)
    wt = make_tensor(rng.standard_normal((4, 4, 4, 4)), requires_grad=True)
    conv_transpose2d(x, wt, **geometry).sum().backward()
    assert phase_calls == []


def test_few_output_channels_use_the_general_path(phase_calls):
    """The image layers (64 -> 1 channel): the shifted copies of the input would cost more than col2im."""
    rng = np.random.default_rng(6)
    conv_transpose2d(make_tensor(rng.standard_normal((2, 8, 3, 3))), make_tensor(rng.standard_normal((8, 1, 4, 4))),
                     stride=2, padding=1)
    assert phase_calls == []
    conv_transpose2d(make_tensor(rng.standard_normal((2, 8, 3, 3))), make_tensor(rng.standard_normal((8, 2, 4, 4))),
                     stride=2, padding=1)
    assert phase_calls == [1]


def test_phase_path_threads_give_the_same_bits(monkeypatch):
    from minigan import parallel
    rng = np.random.default_rng(7)
    gy = rng.standard_normal((4, 6, 5, 3)).astype(np.float32)
    w = rng.standard_normal((6, 5, 4, 4)).astype(np.float32)
    monkeypatch.setenv("MINIGAN_NUM_THREADS", "1")
    serial = conv_phase.data_grad(gy, w)
    monkeypatch.setenv("MINIGAN_NUM_THREADS", "3")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ELEMENTS", 0)
    threaded = conv_phase.data_grad(gy, w)
    assert np.array_equal(serial, threaded)


def test_dcgan_generator_layer_in_float32_matches_general_path(monkeypatch):
    """G1's shape (128 -> 64 channels, 7x7 -> 14x14) in float32: the phase sum agrees with col2im's."""
    rng = np.random.default_rng(8)
    gy = rng.standard_normal((8, 128, 7, 7)).astype(np.float32)
    w = (rng.standard_normal((128, 64, 4, 4)) * 0.05).astype(np.float32)
    fast = conv_phase.data_grad(gy, w)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, general_path(gy, w, (14, 14), monkeypatch), rtol=1e-5, atol=1e-5)
