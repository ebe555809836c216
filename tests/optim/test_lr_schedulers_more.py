"""MultiStepLR, MultiplicativeLR, SequentialLR, ChainedScheduler, ReduceLROnPlateau, OneCycleLR and
CosineAnnealingWarmRestarts without torch: closed forms, resume through state_dict, errors."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan import optim
from minigan.optim import lr_scheduler as S


def _opt(lr=0.1, cls=optim.SGD, **kwargs):
    return cls([mg.tensor(np.zeros(2), requires_grad=True)], lr=lr, **kwargs)


def _run(sched, n):
    lrs = []
    for _ in range(n):
        lrs.append(sched.get_last_lr()[0])
        sched.optimizer.step()
        sched.step()
    return lrs


def test_multistep_multiplies_at_each_milestone_and_twice_at_a_repeated_one():
    lrs = _run(S.MultiStepLR(_opt(), milestones=[2, 5, 5], gamma=0.5), 8)
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.05, 0.05, 0.05, 0.0125, 0.0125, 0.0125], rtol=1e-12)


def test_multiplicative_compounds_its_factor():
    lrs = _run(S.MultiplicativeLR(_opt(), lambda epoch: 0.5), 4)
    np.testing.assert_allclose(lrs, [0.1, 0.05, 0.025, 0.0125], rtol=1e-12)


def test_sequential_hands_over_at_the_milestone():
    opt = _opt()
    sched = S.SequentialLR(opt, [S.LinearLR(opt, 0.5, total_iters=2), S.ExponentialLR(opt, 0.5)], milestones=[3])
    np.testing.assert_allclose(_run(sched, 6), [0.05, 0.075, 0.1, 0.1, 0.05, 0.025], rtol=1e-12)


def test_chained_multiplies_the_schedules():
    opt = _opt()
    sched = S.ChainedScheduler([S.ExponentialLR(opt, 0.5), S.StepLR(opt, 2, gamma=0.1)])
    np.testing.assert_allclose(_run(sched, 4), [0.1, 0.05, 0.0025, 0.00125], rtol=1e-12)


def test_one_cycle_rises_to_max_lr_then_falls_to_the_final_lr_and_cycles_momentum():
    opt = _opt(momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3)
    lrs, momenta = [], []
    for _ in range(10):
        lrs.append(sched.get_last_lr()[0])
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()
        if len(lrs) < 10:
            sched.step()
    assert lrs[0] == pytest.approx(1.0 / 25) and max(lrs) == pytest.approx(1.0) and lrs.index(max(lrs)) == 2
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert momenta[0] == pytest.approx(0.95) and momenta[2] == pytest.approx(0.85) and momenta[-1] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        sched.step(), sched.step()


def test_one_cycle_moves_adams_beta1():
    opt = _opt(cls=optim.Adam, betas=(0.9, 0.99))
    S.OneCycleLR(opt, max_lr=0.01, total_steps=20, max_momentum=0.93)
    assert opt.param_groups[0]["betas"] == (0.93, 0.99)


def test_warm_restarts_restart_after_each_period():
    sched = S.CosineAnnealingWarmRestarts(_opt(), T_0=2, T_mult=2, eta_min=0.0)
    lrs = _run(sched, 7)
    expected = [0.1, 0.05, 0.1, 0.1 * (1 + math.cos(math.pi / 4)) / 2, 0.05, 0.1 * (1 + math.cos(3 * math.pi / 4)) / 2,
                0.1]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    sched.step(2.5)  # a fractional epoch: half way into the second period's first quarter
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * (1 + math.cos(math.pi * 0.5 / 4)) / 2)


def test_plateau_reduces_after_patience_and_waits_out_the_cooldown():
    opt = _opt()
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.02)
    lrs = []
    for metric in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        sched.step(metric)
        lrs.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025][:len(lrs)], rtol=1e-12)
    sched.step(mg.tensor(0.1))  # a one-element Tensor is a metric too
    assert sched.best == pytest.approx(0.1) and sched.num_bad_epochs == 0


@pytest.mark.parametrize("make", [
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.5, total_iters=3), S.CosineAnnealingLR(o, 6)], milestones=[4]),
    lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=30, anneal_strategy="linear", three_phase=True),
    lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    lambda o: S.MultiStepLR(o, [3, 6]),
    lambda o: S.ChainedScheduler([S.ExponentialLR(o, 0.9), S.StepLR(o, 2)]),
])
def test_state_dict_resume_gives_the_same_lrs(make):
    a = make(_opt(momentum=0.9))
    _run(a, 7)
    b = make(_opt(momentum=0.9))
    b.load_state_dict(a.state_dict())
    b.optimizer.load_state_dict(a.optimizer.state_dict())
    assert _run(a, 10) == _run(b, 10)


def test_plateau_state_dict_resume():
    a = S.ReduceLROnPlateau(_opt(), patience=0)
    for metric in (1.0, 0.9, 0.95):
        a.step(metric)
    b = S.ReduceLROnPlateau(_opt(), patience=0)
    b.load_state_dict(a.state_dict())
    b.optimizer.load_state_dict(a.optimizer.state_dict())
    for metric in (0.97, 0.5, 0.6):
        a.step(metric), b.step(metric)
        assert a.get_last_lr() == b.get_last_lr()


@pytest.mark.parametrize("build, error, message", [
    (lambda o: S.MultiStepLR(o, [5, 3]), ValueError, r"MultiStepLR: milestones should be a list of increasing integers, got \[5, 3\]"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2)] * 3, milestones=[4, 2]), ValueError, "SequentialLR: milestones should"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2)] * 2, milestones=[]), ValueError, "one more than the number of milestone"),
    (lambda o: S.SequentialLR(o, [S.ReduceLROnPlateau(o)], milestones=[]), ValueError, "does not support `ReduceLROnPlateau`"),
    (lambda o: S.ChainedScheduler([S.StepLR(o, 2), S.StepLR(_opt(), 2)]), ValueError, "belong to the same optimizer"),
    (lambda o: S.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda should be a function, but got float"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, r"Factor should be < 1.0."),
    (lambda o: S.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode lowest is unknown!"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "expected 1 min_lrs, got 2"),
    (lambda o: S.ReduceLROnPlateau(o).step(), TypeError, "metrics"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1), ValueError, r"total_steps OR \(epochs AND steps_per_epoch\)"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), ValueError, "pct_start"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda o: S.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=10), ValueError, "max_lr must have the same length"),
    (lambda o: S.OneCycleLR(optim.Adagrad(o.param_groups[0]["params"]), max_lr=0.1, total_steps=10), ValueError,
     "optimizer must support momentum or beta1"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "Expected positive integer T_0, but got 0"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "Expected integer T_mult >= 1"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2).step(-1), ValueError, "Expected non-negative epoch"),
])
def test_bad_arguments_give_torchs_one_line_errors(build, error, message):
    with pytest.raises(error, match=message) as info:
        build(_opt())
    assert "\n" not in str(info.value)
