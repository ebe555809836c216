"""minigan.gan.core.penalties and training.hooks: the WGAN loss, weight clipping (a function and an optimiser
hook), the WGAN-GP and R1 penalties (values in closed form, gradcheck and gradgradcheck through the critic's
parameters in float64 under hypothesis; as objects a step is given, with R1's lazy counter) and the errors for a
batch-norm critic or a negative weight."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigan as mg
from minigan import nn, optim
from minigan.nn import functional as F
from minigan.gan import GradientPenalty, R1Penalty, WassersteinLoss
from minigan.gan.core.penalties import check_per_sample_critic, gradient_penalty, input_gradient_norms, r1_penalty
from minigan.gan.training.hooks import WeightClipping, clip_weights_


def _t(a, requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _conv_critic(w1, b1, w2, b2):
    """A tiny smooth conv critic as a function of its parameters (tanh: no kinks for gradcheck)."""
    def critic(x):
        h = F.tanh(F.conv2d(x, w1, b1, stride=1, padding=1))
        return F.linear(h.reshape(x.shape[0], -1), w2, b2)
    return critic


def _params(rng, c=1, hidden=2, side=3):
    return [rng.standard_normal((hidden, c, 2, 2)) * 0.7, rng.standard_normal(hidden) * 0.3,
            rng.standard_normal((1, hidden * (side + 1) ** 2)) * 0.5, rng.standard_normal(1)]


# ---- values -------------------------------------------------------------------------------


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    """D(x) = <w, x> + b has input gradient w everywhere: the penalty is weight * (||w|| - 1)^2."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((1, 12))
    lin = nn.Linear(12, 1, dtype="float64")
    lin.weight.array[...] = w
    real, fake = _t(rng.standard_normal((5, 12)), False), _t(rng.standard_normal((5, 12)), False)
    gp = gradient_penalty(lin, real, fake, weight=3.0)
    np.testing.assert_allclose(gp.item(), 3.0 * (np.linalg.norm(w) - 1) ** 2, rtol=1e-12)
    gp.backward()  # d/dw 3 (||w|| - 1)^2 = 6 (||w|| - 1) w / ||w||
    np.testing.assert_allclose(lin.weight.grad.numpy(), 6 * (np.linalg.norm(w) - 1) * w / np.linalg.norm(w),
                               rtol=1e-10)
    r1 = r1_penalty(lin, real, gamma=4.0)
    np.testing.assert_allclose(r1.item(), 2.0 * np.sum(w * w), rtol=1e-12)


def test_gradient_penalty_interpolates_with_alpha():
    """A quadratic critic D(x) = sum(x^2) has gradient 2x: the penalty reads x_hat = a real + (1-a) fake."""
    rng = np.random.default_rng(1)
    real, fake, alpha = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.uniform(size=4)
    critic = lambda x: (x * x).sum(axis=1)  # noqa: E731
    gp = gradient_penalty(critic, _t(real, False), _t(fake, False), weight=1.0, alpha=alpha)
    x_hat = alpha[:, None] * real + (1 - alpha[:, None]) * fake
    np.testing.assert_allclose(gp.item(), np.mean((np.linalg.norm(2 * x_hat, axis=1) - 1) ** 2), rtol=1e-12)
    np.testing.assert_allclose(input_gradient_norms(critic, _t(x_hat)).numpy(),
                               np.linalg.norm(2 * x_hat, axis=1), rtol=1e-12)
    mg.manual_seed(3)
    a = gradient_penalty(critic, _t(real, False), _t(fake, False)).item()
    mg.manual_seed(3)
    assert gradient_penalty(critic, _t(real, False), _t(fake, False)).item() == a  # alpha from the seed


# ---- gradients through the critic's parameters ---------------------------------------------


@given(n=st.integers(1, 3), seed=st.integers(0, 999))
def test_gradient_penalty_gradcheck_and_gradgradcheck(n, seed):
    rng = np.random.default_rng(seed)
    params = [_t(p) for p in _params(rng)]
    real, fake = _t(rng.standard_normal((n, 1, 3, 3)), False), _t(rng.standard_normal((n, 1, 3, 3)), False)
    alpha = rng.uniform(size=n)
    # the penalty trains the critic only (real and fake are detached): check its parameters
    fn = lambda w1, b1, w2, b2: gradient_penalty(_conv_critic(w1, b1, w2, b2), real, fake,  # noqa: E731
                                                 weight=2.0, alpha=alpha)
    assert mg.gradcheck(fn, params)
    assert mg.gradgradcheck(fn, params)


@given(n=st.integers(1, 3), seed=st.integers(0, 999))
def test_r1_penalty_gradcheck_and_gradgradcheck(n, seed):
    rng = np.random.default_rng(seed)
    params = [_t(p) for p in _params(rng)]
    real = _t(rng.standard_normal((n, 1, 3, 3)))
    fn = lambda w1, b1, w2, b2: r1_penalty(_conv_critic(w1, b1, w2, b2), real, gamma=3.0)  # noqa: E731
    assert mg.gradcheck(fn, params)
    assert mg.gradgradcheck(fn, params)


def test_penalty_reaches_critic_modules():
    mg.manual_seed(0)
    critic = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.LeakyReLU(0.2), nn.InstanceNorm2d(2, affine=True),
                           nn.Flatten(), nn.Linear(2 * 16, 1))
    real, fake = mg.randn(4, 1, 4, 4), mg.randn(4, 1, 4, 4)
    (gradient_penalty(critic, real, fake) + r1_penalty(critic, real)).backward()
    params = dict(critic.named_parameters())
    for name in ("0.weight", "0.bias", "2.weight", "4.weight"):
        assert params[name].grad is not None and np.abs(params[name].grad.numpy()).sum() > 0, name
    for name in ("2.bias", "4.bias"):  # shifts after the last nonlinearity never change the input gradient
        assert params[name].grad is None or not params[name].grad.numpy().any()


# ---- bad input ----------------------------------------------------------------------------


def test_batch_norm_critic_is_refused_with_the_reason():
    critic = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 1))
    x = mg.randn(2, 1, 4, 4)
    for call in (lambda: gradient_penalty(critic, x, x), lambda: r1_penalty(critic, x)):
        with pytest.raises(ValueError, match=r"BatchNorm2d at '1'.*mixes the samples.*per-sample"):
            call()
    critic.eval()  # eval-mode batch norm is a fixed per-channel map: allowed
    check_per_sample_critic(critic)
    gradient_penalty(critic, x, x)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_negative_or_non_finite_weights_are_refused(bad):
    lin = nn.Linear(3, 1)
    x = mg.randn(2, 3)
    with pytest.raises(ValueError, match="gradient_penalty: weight must be a finite number >= 0"):
        gradient_penalty(lin, x, x, weight=bad)
    with pytest.raises(ValueError, match="r1_penalty: gamma must be a finite number >= 0"):
        r1_penalty(lin, x, gamma=bad)
    with pytest.raises(ValueError, match="clip must be a positive finite number"):
        clip_weights_(lin, bad)


def test_shape_errors():
    lin = nn.Linear(3, 1)
    with pytest.raises(ValueError, match=r"real \(2, 3\) and fake \(3, 3\)"):
        gradient_penalty(lin, mg.randn(2, 3), mg.randn(3, 3))
    with pytest.raises(ValueError, match=r"alpha must have shape \(2,\)"):
        gradient_penalty(lin, mg.randn(2, 3), mg.randn(2, 3), alpha=np.ones((2, 1)))


# ---- the WGAN objective and weight clipping ------------------------------------------------


def test_wasserstein_losses():
    real, fake = _t([[1.0], [3.0]]), _t([[-2.0], [0.5]])
    loss = WassersteinLoss()
    assert loss.d_real(real).item() == pytest.approx(-2.0) and loss.d_fake(fake).item() == pytest.approx(-0.75)
    assert loss.d(real, fake).item() == pytest.approx(-0.75 - 2.0)
    assert loss.g(fake).item() == pytest.approx(0.75)
    assert loss.config() == {"loss": "wgan"}
    loss.d(real, fake).backward()
    np.testing.assert_allclose(real.grad.numpy(), [[-0.5], [-0.5]])
    np.testing.assert_allclose(fake.grad.numpy(), [[0.5], [0.5]])


def test_clip_weights_clamps_in_place():
    lin = nn.Linear(4, 3)
    lin.weight.array[...] = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    before = lin.weight.array
    clip_weights_(lin, 0.1)
    assert lin.weight.array is before and lin.weight.dtype == np.float32
    assert np.abs(lin.weight.numpy()).max() == pytest.approx(0.1)
    assert np.abs(lin.bias.numpy()).max() <= 0.1
    clip_weights_([lin.weight], 0.05)
    assert np.abs(lin.weight.numpy()).max() == pytest.approx(0.05)


def test_weight_clipping_is_an_optimiser_hook():
    lin = nn.Linear(4, 3)
    opt = optim.SGD(lin.parameters(), lr=10.0)
    handle = opt.register_step_post_hook(WeightClipping(0.05))
    lin(mg.ones(2, 4)).sum().backward()
    opt.step()   # a large step, then the clip
    assert np.abs(lin.weight.numpy()).max() == pytest.approx(0.05) and np.abs(lin.bias.numpy()).max() <= 0.05
    handle.remove()
    opt.zero_grad()
    lin(mg.ones(2, 4)).sum().backward()
    opt.step()
    assert np.abs(lin.weight.numpy()).max() > 0.05   # removed: no clip
    assert repr(WeightClipping(0.01)) == "WeightClipping(clip=0.01)"
    with pytest.raises(ValueError, match="WeightClipping: clip must be a positive finite number"):
        WeightClipping(0.0)


# ---- penalties as objects -----------------------------------------------------------------


def test_penalty_objects_give_the_functions_terms():
    rng = np.random.default_rng(2)
    lin = nn.Linear(12, 1, dtype="float64")
    real, fake = _t(rng.standard_normal((5, 12)), False), _t(rng.standard_normal((5, 12)), False)
    gp = GradientPenalty(3.0)
    assert (gp.name, gp.state_key, gp.weight) == ("gp", None, 3.0)
    mg.manual_seed(4)
    a = gp(lin, real, fake).item()
    mg.manual_seed(4)
    assert a == gradient_penalty(lin, real, fake, weight=3.0).item()
    r1 = R1Penalty(4.0)
    assert (r1.name, r1.state_key) == ("r1", "critic_steps")
    assert r1(lin, real, fake).item() == r1_penalty(lin, real, gamma=4.0).item()


def test_lazy_r1_applies_every_k_critic_steps_scaled_by_k_and_keeps_its_count():
    lin = nn.Linear(3, 1, dtype="float64")
    x = _t(np.ones((2, 3)), False)
    r1 = R1Penalty(2.0, every=3)
    terms = [r1(lin, x, x) for _ in range(7)]
    assert [t is not None for t in terms] == [True, False, False, True, False, False, True]
    assert terms[0].item() == pytest.approx(r1_penalty(lin, x, gamma=6.0).item())
    assert r1.state_dict() == 7
    again = R1Penalty(2.0, every=3)
    again.load_state_dict(r1.state_dict())   # resumed: the next due step is the same
    assert again(lin, x, x) is None and again.critic_steps == 8


def test_penalty_objects_refuse_bad_settings_and_batch_norm_critics():
    with pytest.raises(ValueError, match="GradientPenalty: weight must be a finite number >= 0"):
        GradientPenalty(-1.0)
    with pytest.raises(ValueError, match="R1Penalty: gamma must be a finite number >= 0"):
        R1Penalty(float("nan"))
    with pytest.raises(ValueError, match="R1Penalty: every must be a positive integer"):
        R1Penalty(1.0, every=0)
    critic = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 1))
    for penalty in (GradientPenalty(), R1Penalty()):
        with pytest.raises(ValueError, match=f"{penalty.name} penalty: the critic has BatchNorm2d"):
            penalty.check(critic)
