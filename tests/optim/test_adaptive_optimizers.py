"""Adagrad, NAdam and RAdam without torch: dtype kept, state_dict resume, per-group options, maximize, errors."""
import copy

import numpy as np
import pytest

import minigan as mg
from minigan import optim

KINDS = [
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.01)),
    (optim.NAdam, dict(lr=0.01, weight_decay=0.01)),
    (optim.NAdam, dict(lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)),
    (optim.RAdam, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.01)),
    (optim.RAdam, dict(lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(KINDS)]


def _params(dtype=np.float64):
    rng = np.random.default_rng(0)
    return [mg.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in ((3, 4), (4,))]


def _steps(opt, params, ks, sign=1.0):
    for k in ks:
        for p in params:
            a = p.numpy()
            p.grad = mg.tensor((sign * (1.3 * a - 0.5 + 0.1 * np.sin(a + k))).astype(a.dtype))
        opt.step()


@pytest.mark.parametrize("cls, kwargs", KINDS, ids=IDS)
def test_float32_parameters_stay_float32_and_move_downhill(cls, kwargs):
    params = _params(np.float32)
    start = [p.numpy().copy() for p in params]
    _steps(cls(params, **kwargs), params, range(30))
    assert all(p.dtype == np.float32 for p in params)
    # the bowl's minimum is near 0.5 / 1.3: every step has moved the parameters towards it
    for p, p0 in zip(params, start):
        assert np.abs(p.numpy() - 0.5 / 1.3).mean() < np.abs(p0 - 0.5 / 1.3).mean()


@pytest.mark.parametrize("cls, kwargs", KINDS, ids=IDS)
def test_state_dict_resume_continues_the_same_trajectory(cls, kwargs):
    params = _params()
    opt = cls(params, **kwargs)
    _steps(opt, params, range(5))
    saved, weights = copy.deepcopy(opt.state_dict()), [p.numpy().copy() for p in params]
    _steps(opt, params, range(5, 12))
    resumed_params = [mg.tensor(w, requires_grad=True) for w in weights]
    resumed = cls(resumed_params, **kwargs)
    resumed.load_state_dict(saved)
    _steps(resumed, resumed_params, range(5, 12))
    for p, q in zip(params, resumed_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("cls, kwargs", KINDS, ids=IDS)
def test_maximize_is_descent_on_the_negated_gradient(cls, kwargs):
    a, b = _params(), _params()
    _steps(cls(a, maximize=True, **kwargs), a, range(8), sign=-1.0)
    _steps(cls(b, **kwargs), b, range(8))
    for p, q in zip(a, b):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", [optim.Adagrad, optim.NAdam, optim.RAdam])
def test_parameter_groups_keep_their_own_lr_and_zero_lr_freezes(cls):
    frozen, moving = _params()
    opt = cls([{"params": [frozen], "lr": 0.0}, {"params": [moving]}])
    before = frozen.numpy().copy(), moving.numpy().copy()
    _steps(opt, [frozen, moving], range(3))
    np.testing.assert_array_equal(frozen.numpy(), before[0])
    assert not np.array_equal(moving.numpy(), before[1])


def test_parameters_without_gradients_are_skipped():
    a, b = _params()
    opt = optim.NAdam([a, b])
    a.grad = mg.tensor(np.ones((3, 4)))
    before = b.numpy().copy()
    opt.step()
    np.testing.assert_array_equal(b.numpy(), before)
    assert b not in opt.state and opt.state[a]["step"] == 1


def test_adagrad_state_exists_from_the_constructor():
    params = _params()
    opt = optim.Adagrad(params, initial_accumulator_value=0.5)
    state = opt.state_dict()["state"]
    assert sorted(state) == [0, 1] and state[0]["step"] == 0
    np.testing.assert_array_equal(state[0]["sum"], np.full((3, 4), 0.5))


@pytest.mark.parametrize("build, message", [
    (lambda p: optim.Adagrad(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: optim.Adagrad(p, eps=-1), "Invalid epsilon value: -1"),
    (lambda p: optim.NAdam(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (lambda p: optim.NAdam(p, momentum_decay=-0.5), "Invalid momentum_decay value: -0.5"),
    (lambda p: optim.RAdam(p, betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
    (lambda p: optim.RAdam(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
])
def test_bad_hyperparameters_name_the_argument(build, message):
    with pytest.raises(ValueError) as info:
        build(_params())
    assert str(info.value) == message
