"""minigan.optim.lr_scheduler without torch: closed forms, state_dict round trip, errors."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan import optim
from minigan.optim import lr_scheduler as S


def _opt(lr=0.1):
    return optim.SGD([mg.tensor(np.zeros(2), requires_grad=True)], lr=lr)


def _run(sched, n):
    lrs = []
    for _ in range(n):
        lrs.append(sched.get_last_lr()[0])
        sched.optimizer.step()
        sched.step()
    return lrs


@pytest.mark.parametrize("make, closed", [
    (lambda o: S.StepLR(o, 3, gamma=0.5), lambda t: 0.1 * 0.5 ** (t // 3)),
    (lambda o: S.ExponentialLR(o, 0.9), lambda t: 0.1 * 0.9 ** t),
    (lambda o: S.CosineAnnealingLR(o, 10, eta_min=0.01), lambda t: 0.01 + 0.09 * (1 + math.cos(math.pi * t / 10)) / 2),
    (lambda o: S.LinearLR(o, 0.25, 1.0, 4), lambda t: 0.1 * (0.25 + 0.75 * min(t, 4) / 4)),
    (lambda o: S.LambdaLR(o, lambda t: 1 / (t + 1)), lambda t: 0.1 / (t + 1)),
])
def test_schedules_follow_their_closed_forms(make, closed):
    opt = _opt()
    sched = make(opt)
    assert opt.param_groups[0]["initial_lr"] == 0.1 and sched.base_lrs == [0.1]
    np.testing.assert_allclose(_run(sched, 30), [closed(t) for t in range(30)], rtol=1e-10, atol=1e-14)
    assert sched.last_epoch == 30 and opt.param_groups[0]["lr"] == sched.get_last_lr()[0]


def test_state_dict_round_trip():
    a = S.CosineAnnealingLR(_opt(), 20)
    _run(a, 7)
    b = S.CosineAnnealingLR(_opt(), 20)
    b.load_state_dict(a.state_dict())
    assert "optimizer" not in a.state_dict()
    b.optimizer.param_groups[0]["lr"] = a.optimizer.param_groups[0]["lr"]
    assert _run(a, 10) == _run(b, 10)


def test_errors():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        S.StepLR(object(), 3)
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_opt(), 3, last_epoch=5)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        S.StepLR(_opt(), 0)
    with pytest.raises(ValueError, match="T_max must be a positive integer"):
        S.CosineAnnealingLR(_opt(), 0)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        S.LinearLR(_opt(), start_factor=0)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        S.LambdaLR(_opt(), [lambda t: 1, lambda t: 1])
    with pytest.raises(TypeError, match="lr_lambda should be a function"):
        S.LambdaLR(_opt(), 3)
