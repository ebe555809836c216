"""Parity with PyTorch (CPU, float64): every optimiser's trajectory step by step, every scheduler's lr
sequence exactly, and the state_dict layouts (keys). Skipped where torch is not installed."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minigan as mg  # noqa: E402
from minigan import optim  # noqa: E402
from minigan.optim import lr_scheduler as S  # noqa: E402

STEPS = 20
# torch's implementation switches, which minigan's groups do not carry (one implementation per optimiser)
TORCH_ONLY_GROUP_KEYS = {"foreach", "capturable", "differentiable", "fused"}


@pytest.fixture(autouse=True)
def _torch_float64():
    # torch keeps scalar state (NAdam's mu_product, Adagrad's step) in the default dtype: float64 here
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _grad(p, k):
    """A fixed gradient field: a quadratic bowl plus a step-dependent wobble."""
    return 1.3 * p - 0.5 + 0.1 * np.sin(p + k)


def _pair_params(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in ((3, 4), (5,))]
    return ([mg.tensor(a.copy(), requires_grad=True) for a in arrays],
            [torch.tensor(a.copy(), requires_grad=True) for a in arrays])


OPTIMISERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.02, initial_accumulator_value=0.1, eps=1e-8)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.05, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.05)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.05, decoupled_weight_decay=True, maximize=True)),
]


@pytest.mark.parametrize("name, kwargs", OPTIMISERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMISERS)])
def test_optimiser_trajectory_and_state_dict_match_torch(name, kwargs):
    mine_params, torch_params = _pair_params()
    mine, theirs = getattr(optim, name)(mine_params, **kwargs), getattr(torch.optim, name)(torch_params, **kwargs)
    for k in range(STEPS):
        for p, q in zip(mine_params, torch_params):
            p.grad = mg.tensor(_grad(p.numpy(), k))
            q.grad = torch.tensor(_grad(q.detach().numpy(), k))
        mine.step()
        theirs.step()
        for p, q in zip(mine_params, torch_params):
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-13,
                                       err_msg=f"{name} {kwargs} after step {k + 1}")
    mine_sd, torch_sd = mine.state_dict(), theirs.state_dict()
    assert mine_sd["state"].keys() == torch_sd["state"].keys()
    for index, state in torch_sd["state"].items():
        assert set(mine_sd["state"][index]) == set(state)
        for key, value in state.items():
            np.testing.assert_allclose(np.asarray(mine_sd["state"][index][key], dtype=np.float64),
                                       value.detach().numpy() if torch.is_tensor(value) else value,
                                       rtol=1e-10, atol=1e-13, err_msg=f"{name} state {index} {key}")
    for mine_group, torch_group in zip(mine_sd["param_groups"], torch_sd["param_groups"]):
        assert set(mine_group) == set(torch_group) - TORCH_ONLY_GROUP_KEYS


@pytest.mark.parametrize("name", ["Adagrad", "NAdam", "RAdam"])
def test_new_optimisers_have_torchs_defaults(name):
    mine_params, torch_params = _pair_params()
    mine, theirs = getattr(optim, name)(mine_params), getattr(torch.optim, name)(torch_params)
    expected = {k: v for k, v in theirs.defaults.items() if k not in TORCH_ONLY_GROUP_KEYS}
    assert mine.defaults == expected


def _torch_scheduler(make, opt_name="SGD", opt_kwargs=None):
    opt_kwargs = opt_kwargs or dict(lr=0.1, momentum=0.9)
    mine_params, torch_params = _pair_params()
    mine_opt = getattr(optim, opt_name)(mine_params, **opt_kwargs)
    torch_opt = getattr(torch.optim, opt_name)(torch_params, **opt_kwargs)
    return make(S, mine_opt), make(torch.optim.lr_scheduler, torch_opt)


def _multi(lib, opt):
    return lib.MultiStepLR(opt, milestones=[3, 7, 7, 12], gamma=0.5)


def _sequential(lib, opt):
    return lib.SequentialLR(opt, [lib.LinearLR(opt, 0.2, total_iters=4), lib.ExponentialLR(opt, 0.8),
                                  lib.CosineAnnealingLR(opt, T_max=5, eta_min=0.01)], milestones=[5, 11])


def _chained(lib, opt):
    return lib.ChainedScheduler([lib.LinearLR(opt, 0.5, total_iters=6), lib.StepLR(opt, 4, gamma=0.7)])


SCHEDULERS = {
    "MultiStepLR": (_multi, "SGD"),
    "LambdaLR": (lambda lib, o: lib.LambdaLR(o, lambda e: 1.0 / (1 + e) ** 0.5), "SGD"),
    "MultiplicativeLR": (lambda lib, o: lib.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 0.97), "SGD"),
    "OneCycleLR-cos": (lambda lib, o: lib.OneCycleLR(o, max_lr=0.5, total_steps=30), "SGD"),
    "OneCycleLR-linear-three-phase-adam": (lambda lib, o: lib.OneCycleLR(
        o, max_lr=[0.02], epochs=3, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, base_momentum=0.8, max_momentum=0.9), "Adam"),
    "OneCycleLR-no-momentum": (lambda lib, o: lib.OneCycleLR(o, max_lr=0.3, total_steps=29, cycle_momentum=False,
                                                             div_factor=10.0, final_div_factor=100.0), "RMSprop"),
    "CosineAnnealingWarmRestarts": (lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2,
                                                                                   eta_min=0.001), "SGD"),
    "CosineAnnealingWarmRestarts-T_mult-1": (lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=3), "SGD"),
    "SequentialLR": (_sequential, "SGD"),
    "ChainedScheduler": (_chained, "SGD"),
    "StepLR": (lambda lib, o: lib.StepLR(o, 3, gamma=0.5), "SGD"),
    "CosineAnnealingLR": (lambda lib, o: lib.CosineAnnealingLR(o, T_max=7, eta_min=0.01), "SGD"),
}
OPT_KWARGS = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.01, betas=(0.9, 0.99)),
              "RMSprop": dict(lr=0.01)}


def _momenta(opt):
    return [(g.get("momentum"), tuple(g["betas"]) if "betas" in g else None) for g in opt.param_groups]


@pytest.mark.parametrize("case", list(SCHEDULERS))
def test_scheduler_lr_sequence_and_state_dict_match_torch(case):
    make, opt_name = SCHEDULERS[case]
    mine, theirs = _torch_scheduler(make, opt_name, OPT_KWARGS[opt_name])
    steps = 29 if case.startswith("OneCycleLR") else 25
    for k in range(steps):
        assert mine.get_last_lr() == theirs.get_last_lr(), f"{case}: lr at step {k}"
        assert [g["lr"] for g in mine.optimizer.param_groups] == [g["lr"] for g in theirs.optimizer.param_groups]
        assert _momenta(mine.optimizer) == _momenta(theirs.optimizer), f"{case}: momentum at step {k}"
        mine.optimizer.step()
        theirs.optimizer.step()
        mine.step()
        theirs.step()
    assert mine.get_last_lr() == theirs.get_last_lr()
    _assert_same_layout(mine.state_dict(), theirs.state_dict(), case)


def _assert_same_layout(mine, theirs, what):
    # torch also saves a flag of its get_lr-outside-step warning, which minigan does not give
    assert set(mine) == set(theirs) - {"_get_lr_called_within_step"}, what
    for key in mine:
        if key == "_schedulers":
            for a, b in zip(mine[key], theirs[key]):
                _assert_same_layout(a, b, what)
        elif key not in ("lr_lambdas",):
            assert mine[key] == theirs[key], f"{what}: state_dict[{key!r}]"


def test_warm_restarts_fractional_epochs_match_torch():
    mine, theirs = _torch_scheduler(lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                                   eta_min=0.002))
    batches = 7
    for epoch in range(12):
        for i in range(batches):
            mine.step(epoch + i / batches)
            theirs.step(epoch + i / batches)
            assert mine.get_last_lr() == theirs.get_last_lr(), (epoch, i)
    mine.step(26)
    theirs.step(26)
    mine.step()
    theirs.step()
    assert mine.get_last_lr() == theirs.get_last_lr()
    assert mine.T_cur == theirs.T_cur and mine.T_i == theirs.T_i


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=2),
    dict(mode="min", factor=0.3, patience=1, threshold=0.05, cooldown=1, min_lr=[0.003]),
    dict(mode="max", patience=0, min_lr=0.02, eps=1e-3),
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    mine, theirs = _torch_scheduler(lambda lib, o: lib.ReduceLROnPlateau(o, **kwargs))
    rng = np.random.default_rng(1)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 8), 0.5 + 0.02 * rng.standard_normal(40)])
    for k, metric in enumerate(metrics):
        mine.step(float(metric))
        theirs.step(float(metric))
        assert mine.get_last_lr() == theirs.get_last_lr(), f"epoch {k}"
    _assert_same_layout(mine.state_dict(), theirs.state_dict(), "ReduceLROnPlateau")


@pytest.mark.parametrize("build", [
    lambda lib, p: lib.optim.Adagrad(p, lr=-1.0),
    lambda lib, p: lib.optim.Adagrad(p, lr_decay=-0.1),
    lambda lib, p: lib.optim.Adagrad(p, initial_accumulator_value=-1.0),
    lambda lib, p: lib.optim.NAdam(p, betas=(1.0, 0.999)),
    lambda lib, p: lib.optim.NAdam(p, betas=(0.9, -0.1)),
    lambda lib, p: lib.optim.NAdam(p, momentum_decay=-1.0),
    lambda lib, p: lib.optim.RAdam(p, eps=-1.0),
    lambda lib, p: lib.optim.RAdam(p, weight_decay=-1.0),
    lambda lib, p: lib.optim.SGD(p, lr=0.1, nesterov=True),
    lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
])
def test_bad_hyperparameters_raise_torchs_error(build):
    mine_params, torch_params = _pair_params()
    with pytest.raises(ValueError) as theirs:
        build(torch, torch_params)
    with pytest.raises(ValueError) as mine:
        build(mg, mine_params)
    assert str(mine.value) == str(theirs.value)
