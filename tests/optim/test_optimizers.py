"""Optimisers against hand-written NumPy references; state_dict round trips; gradient clipping."""
import copy
import math

import numpy as np
import pytest

import minigan as mg
from minigan import optim
from minigan.nn import utils as nn_utils

STEPS = 10


def _grad_fn(seed):
    """A fixed gradient field that depends on the parameter and the step: 1.3 p - 0.5 + 0.1 sin(p + k + seed)."""
    return lambda p, k: p * 1.3 - 0.5 + 0.1 * np.sin(p + k + seed)


def _params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [mg.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in ((3, 4), (4,))]


def _run(opt_factory, dtype=np.float64, steps=STEPS, params=None):
    params = params or _params(dtype)
    opt = opt_factory(params)
    g = _grad_fn(0)
    for k in range(steps):
        for p in params:
            p.grad = mg.tensor(g(p.numpy(), k).astype(p.dtype))
        opt.step()
    return [p.numpy() for p in params], opt


# ---- NumPy references (straight from the PyTorch docs' pseudo-code) -------------------------------


def _ref_sgd(p0s, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    g_fn = _grad_fn(0)
    out = []
    for p in p0s:
        p = p.copy()
        buf = None
        for k in range(STEPS):
            g = g_fn(p, k)
            if maximize:
                g = -g
            if weight_decay:
                g = g + weight_decay * p
            if momentum:
                buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            p = p - lr * g
        out.append(p)
    return out


def _ref_adam(p0s, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False,
              maximize=False):
    b1, b2 = betas
    g_fn = _grad_fn(0)
    out = []
    for p in p0s:
        p = p.copy()
        m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
        for k in range(STEPS):
            t = k + 1
            g = g_fn(p, k)
            if maximize:
                g = -g
            if weight_decay:
                if decoupled:
                    p = p * (1 - lr * weight_decay)
                else:
                    g = g + weight_decay * p
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            mhat = m / (1 - b1 ** t)
            if amsgrad:
                vmax = np.maximum(vmax, v)
                vhat = vmax / (1 - b2 ** t)
            else:
                vhat = v / (1 - b2 ** t)
            p = p - lr * mhat / (np.sqrt(vhat) + eps)
        out.append(p)
    return out


def _initial():
    return [p.numpy().copy() for p in _params()]


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.5, weight_decay=0.1),
    dict(lr=0.05, momentum=0.5, weight_decay=0.1, nesterov=True),
    dict(lr=0.05, weight_decay=0.2),
    dict(lr=0.05, momentum=0.9, maximize=True),
]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_sgd_trajectory_matches_numpy(kwargs):
    got, _ = _run(lambda ps: optim.SGD(ps, **kwargs))
    for a, b in zip(got, _ref_sgd(_initial(), **kwargs)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


ADAM_CASES = [
    dict(lr=0.01),
    dict(lr=0.02, betas=(0.5, 0.999)),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, eps=1e-3, betas=(0.8, 0.9)),
    dict(lr=0.01, maximize=True, weight_decay=0.05),
]


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_adam_trajectory_matches_numpy(kwargs):
    got, _ = _run(lambda ps: optim.Adam(ps, **kwargs))
    for a, b in zip(got, _ref_adam(_initial(), **kwargs)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", ADAM_CASES + [dict(lr=0.01, weight_decay=0.3, amsgrad=True, decoupled=True)],
                         ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_adam_threaded_chunks_match_numpy(monkeypatch, kwargs):
    """The step split into flat chunks over 3 threads (forced on small arrays) follows the reference
    exactly, also when a gradient arrives as a transposed (non-C-contiguous) view."""
    from minigan import parallel
    monkeypatch.setenv("MINIGAN_NUM_THREADS", "3")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ELEMENTS", 0)
    monkeypatch.setattr(parallel, "_CHUNK_ELEMENTS", 5)  # (3, 4) -> chunks of 5, 5, 2; (4,) whole
    kwargs = dict(kwargs)
    decoupled = kwargs.pop("decoupled", False)
    params = _params()
    opt = (optim.AdamW if decoupled else optim.Adam)(params, **kwargs)
    g = _grad_fn(0)
    for k in range(STEPS):
        for p in params:
            grad = g(p.numpy(), k)
            if grad.ndim == 2:  # the same numbers, stored transposed
                grad = np.ascontiguousarray(grad.T).T
                assert not grad.flags.c_contiguous
            p.grad = mg.tensor(grad)
        opt.step()
    for a, b in zip([p.numpy() for p in params], _ref_adam(_initial(), decoupled=decoupled, **kwargs)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_for_flat_chunks_covers_every_element_once(monkeypatch):
    from minigan import parallel
    monkeypatch.setenv("MINIGAN_NUM_THREADS", "2")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ELEMENTS", 0)
    monkeypatch.setattr(parallel, "_CHUNK_ELEMENTS", 7)
    arrays = [np.zeros((5, 6)), np.zeros(3), np.zeros((4, 5)).T, np.zeros((2, 2, 2))]
    parallel.for_flat_chunks(lambda a: a.__iadd__(1.0), [(a,) for a in arrays])
    for a in arrays:
        np.testing.assert_array_equal(a, np.ones_like(a))


@pytest.mark.parametrize("kwargs", [dict(lr=0.01), dict(lr=0.01, weight_decay=0.3, amsgrad=True)])
def test_adamw_trajectory_matches_numpy(kwargs):
    got, _ = _run(lambda ps: optim.AdamW(ps, **kwargs))
    ref_kwargs = dict(kwargs, weight_decay=kwargs.get("weight_decay", 1e-2))
    for a, b in zip(got, _ref_adam(_initial(), decoupled=True, **ref_kwargs)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("factory", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: optim.Adam(ps, lr=1e-2, weight_decay=1e-3, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=1e-2),
])
def test_float32_params_stay_float32_and_close_to_float64(factory):
    got32, opt = _run(factory, dtype=np.float32)
    got64, _ = _run(factory, dtype=np.float64)
    for a, b in zip(got32, got64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for st in opt.state.values():
        for v in st.values():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32


@pytest.mark.parametrize("factory", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=1e-2, betas=(0.5, 0.99), amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=1e-2, weight_decay=0.1),
])
def test_state_dict_round_trip_continues_identically(factory):
    g_fn = _grad_fn(0)

    def train(params, opt, ks):
        for k in ks:
            for p in params:
                p.grad = mg.tensor(g_fn(p.numpy(), k))
            opt.step()

    straight = _params()
    opt = factory(straight)
    train(straight, opt, range(10))

    first = _params()
    opt1 = factory(first)
    train(first, opt1, range(5))
    saved = opt1.state_dict()
    saved = copy.deepcopy(saved)
    assert set(saved) == {"state", "param_groups"}
    assert saved["param_groups"][0]["params"] == [0, 1]
    assert all(isinstance(v, (np.ndarray, int, float)) for st in saved["state"].values() for v in st.values())
    # the checkpoint is a snapshot: stepping on does not change it
    before = copy.deepcopy(saved)
    train(first, opt1, [5])
    for i in saved["state"]:
        for key, v in saved["state"][i].items():
            np.testing.assert_array_equal(v, before["state"][i][key])

    resumed = [mg.tensor(p.numpy(), requires_grad=True) for p in _params()]
    train(resumed, factory(resumed), range(5))  # same first half, then restore the optimiser
    opt2 = factory(resumed)
    opt2.load_state_dict(saved)
    train(resumed, opt2, range(5, 10))
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_state_dict_restores_group_options_and_checks_sizes():
    ps = _params()
    opt = optim.Adam(ps, lr=0.5)
    sd = optim.Adam(_params(), lr=0.01, betas=[0.1, 0.2]).state_dict()
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["betas"] == (0.1, 0.2)
    assert opt.param_groups[0]["params"][0] is ps[0]
    with pytest.raises(ValueError, match="parameter group"):
        optim.Adam(ps[:1]).load_state_dict(sd)


def test_param_groups_have_their_own_options():
    a, b = _params()
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.0)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    a0, b0 = a.numpy().copy(), b.numpy().copy()
    a.grad, b.grad = mg.ones_like(a).double(), mg.ones_like(b).double()
    opt.step()
    np.testing.assert_allclose(a.numpy(), a0 - 0.1)
    np.testing.assert_allclose(b.numpy(), b0 - 0.5)
    c = mg.tensor(np.zeros(2), requires_grad=True)
    opt.add_param_group({"params": c, "lr": 0.01})
    assert opt.param_groups[2]["momentum"] == 0.0 and opt.param_groups[2]["params"] == [c]
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_step_never_writes_into_grad_and_skips_missing_grads():
    p, q = _params()
    shared = np.ones(p.shape)
    p.grad = mg.tensor(shared)  # a copy; alias the grad's array deliberately below
    p.grad.array = shared
    q0 = q.numpy().copy()
    for opt in (optim.SGD([p, q], lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
                optim.Adam([p, q], lr=0.1, weight_decay=0.1), optim.AdamW([p, q], lr=0.1, maximize=True)):
        opt.step()
        opt.step()
        np.testing.assert_array_equal(shared, 1.0)
    np.testing.assert_array_equal(q.numpy(), q0)  # q.grad is None: untouched


def test_step_builds_no_graph_and_keeps_arrays():
    p, _ = _params()
    data_before = p.array
    p.grad = mg.ones_like(p)
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    assert p.array is data_before and p.is_leaf and p.grad_fn is None


def test_zero_grad():
    p, q = _params()
    p.grad = mg.ones_like(p)
    opt = optim.SGD([p, q], lr=0.1)
    old = p.grad.array
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), 0)
    np.testing.assert_array_equal(old, 1)  # the old gradient array was not written to
    assert q.grad is None
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_called_with_grad_enabled():
    p = mg.tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.numpy(), [3.0 - 0.1 * 6.0])


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=-1),
    lambda ps: optim.Adam(ps, lr=-1e-3),
    lambda ps: optim.Adam(ps, betas=(1.0, 0.999)),
    lambda ps: optim.Adam(ps, betas=(0.9, -0.1)),
    lambda ps: optim.AdamW(ps, eps=-1e-8),
    lambda ps: optim.Adam(ps, weight_decay=-1),
    lambda ps: optim.SGD(ps, lr=0.1, nesterov=True),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5),
    lambda ps: optim.SGD([], lr=0.1),
])
def test_invalid_arguments(make):
    with pytest.raises(ValueError):
        make(_params())


def test_non_tensor_params_rejected():
    with pytest.raises(TypeError):
        optim.SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD(mg.zeros(3, requires_grad=True), lr=0.1)


# ---- nn.utils -----------------------------------------------------------------------------


def test_clip_grad_norm_matches_pytorch_rule():
    p, q = _params()
    gp, gq = np.full(p.shape, 2.0), np.full(q.shape, -1.0)
    p.grad, q.grad = mg.tensor(gp), mg.tensor(gq)
    total = np.sqrt((gp ** 2).sum() + (gq ** 2).sum())
    norm = nn_utils.clip_grad_norm_([p, q], max_norm=1.0)
    assert isinstance(norm, mg.Tensor)
    np.testing.assert_allclose(norm.item(), total)
    coef = 1.0 / (total + 1e-6)
    np.testing.assert_allclose(p.grad.numpy(), gp * coef)
    np.testing.assert_allclose(q.grad.numpy(), gq * coef)
    np.testing.assert_array_equal(gp, 2.0)  # the original array was not written to
    # below the threshold nothing changes; inf-norm and 1-norm
    norm2 = nn_utils.clip_grad_norm_([p, q], max_norm=100.0)
    np.testing.assert_allclose(norm2.item(), 1.0, rtol=1e-6)
    p.grad = mg.tensor(np.array([[3.0, -4.0, 0, 0]] * 3))
    assert nn_utils.clip_grad_norm_(p, 10.0, norm_type=math.inf).item() == 4.0
    assert nn_utils.clip_grad_norm_(p, 100.0, norm_type=1).item() == 21.0


def test_clip_grad_norm_nonfinite():
    p = mg.tensor(np.zeros(3), requires_grad=True)
    p.grad = mg.tensor(np.array([np.inf, 1.0, 0.0]))
    with pytest.raises(RuntimeError, match="non-finite"):
        nn_utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(nn_utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_value_and_vector_conversion():
    p, q = _params()
    p.grad = mg.tensor(np.linspace(-3, 3, 12).reshape(3, 4))
    nn_utils.clip_grad_value_([p, q], 1.0)
    assert p.grad.numpy().max() == 1.0 and p.grad.numpy().min() == -1.0 and q.grad is None
    vec = nn_utils.parameters_to_vector([p, q])
    assert vec.shape == (16,)
    np.testing.assert_array_equal(vec.numpy()[:12], p.numpy().ravel())
    nn_utils.vector_to_parameters(mg.tensor(np.arange(16.0)), [p, q])
    np.testing.assert_array_equal(q.numpy(), [12.0, 13.0, 14.0, 15.0])


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.01),
                                  lambda ps: optim.AdamW(ps, lr=0.01),
                                  lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True)])
def test_optimizers_on_device(device, make):
    finals = {}
    for dev in ("cpu", device):
        params = [mg.tensor(p.numpy().astype(np.float32), device=dev, requires_grad=True) for p in _params()]
        opt = make(params)
        g_fn = _grad_fn(0)
        for k in range(5):
            for p in params:
                p.grad = mg.tensor(g_fn(p.numpy(), k).astype(np.float32), device=dev)
            opt.step()
        assert all(p.device == mg.Device(dev) and p.dtype == np.float32 for p in params)
        opt.load_state_dict(opt.state_dict())  # round trip keeps the device
        finals[dev] = [p.numpy() for p in params]
    for a, b in zip(finals["cpu"], finals[device]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
