"""nn.utils.spectral_norm: PyTorch's state-dict layout, power iteration only in training, the
normalised weight's largest singular value, gradcheck and gradgradcheck through it."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigan as mg
from minigan import nn
from minigan.nn.utils import remove_spectral_norm, spectral_norm


def _matrix(weight, dim):
    w = np.moveaxis(weight, dim, 0)
    return w.reshape(w.shape[0], -1)


@pytest.mark.parametrize("make, dim", [(lambda: nn.Linear(5, 3, dtype="float64"), 0),
                                       (lambda: nn.Conv2d(2, 4, 3, dtype="float64"), 0),
                                       (lambda: nn.ConvTranspose2d(2, 3, 3, dtype="float64"), 1)])
def test_layout_and_power_iteration(make, dim):
    mg.manual_seed(0)
    m = spectral_norm(make())
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert isinstance(m.weight_orig, nn.Parameter) and not isinstance(m.weight, nn.Parameter)
    w = _matrix(m.weight_orig.numpy(), dim)
    assert m.weight_u.shape == (w.shape[0],) and m.weight_v.shape == (w.shape[1],)
    np.testing.assert_allclose(np.linalg.norm(m.weight_u.numpy()), 1.0, rtol=1e-12)
    x = mg.randn(2, *((5,) if isinstance(m, nn.Linear) else (2, 5, 5)), dtype="float64")
    for _ in range(60):
        m(x)
    # the power iteration converged: the normalised weight's largest singular value is 1
    np.testing.assert_allclose(np.linalg.svd(_matrix(m.weight.numpy(), dim), compute_uv=False)[0], 1.0,
                               rtol=1e-6)
    # eval mode: no power iteration, the buffers stay as they are
    m.eval()
    u = m.weight_u.numpy().copy()
    m(x)
    np.testing.assert_array_equal(m.weight_u.numpy(), u)
    m.train()
    m.weight_orig.array[...] += np.random.default_rng(0).standard_normal(m.weight_orig.shape)
    m(x)
    assert not np.array_equal(m.weight_u.numpy(), u)  # training mode does iterate


def test_one_iteration_per_forward_matches_numpy():
    mg.manual_seed(1)
    m = spectral_norm(nn.Linear(4, 3, dtype="float64"), n_power_iterations=2)
    w = m.weight_orig.numpy().copy()
    u = m.weight_u.numpy().copy()
    x = mg.randn(2, 4, dtype="float64")
    y = m(x)
    for _ in range(2):
        v = w.T @ u
        v /= np.linalg.norm(v)
        u = w @ v
        u /= np.linalg.norm(u)
    np.testing.assert_allclose(m.weight_u.numpy(), u, rtol=1e-12)
    np.testing.assert_allclose(m.weight_v.numpy(), v, rtol=1e-12)
    ref = x.numpy() @ (w / (u @ w @ v)).T + m.bias.numpy()
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)


@given(out_ch=st.integers(1, 3), in_ch=st.integers(1, 2), transposed=st.booleans(), seed=st.integers(0, 99))
def test_gradcheck_and_gradgradcheck(out_ch, in_ch, transposed, seed):
    """Through the normalised weight (eval mode: u, v fixed, so the map is deterministic)."""
    mg.manual_seed(seed)
    cls = nn.ConvTranspose2d if transposed else nn.Conv2d
    m = spectral_norm(cls(in_ch, out_ch, 2, dtype="float64"))
    m(mg.randn(1, in_ch, 3, 3, dtype="float64"))  # one training iteration first
    m.eval()
    x = mg.randn(2, in_ch, 3, 3, dtype="float64", requires_grad=True)
    fn = lambda x, w, b: m(x)  # noqa: E731  (gradcheck perturbs w = m.weight_orig in place)
    assert mg.gradcheck(fn, (x, m.weight_orig, m.bias))
    assert mg.gradgradcheck(fn, (x, m.weight_orig, m.bias))


def test_state_dict_round_trip_and_remove():
    mg.manual_seed(2)
    a = spectral_norm(nn.Linear(4, 3))
    a(mg.randn(2, 4))
    b = spectral_norm(nn.Linear(4, 3))
    b.load_state_dict(a.state_dict())
    a.eval(), b.eval()
    x = mg.randn(2, 4)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    expected = a.weight.numpy()
    remove_spectral_norm(a)
    assert list(a.state_dict()) == ["bias", "weight"] and isinstance(a.weight, nn.Parameter)
    np.testing.assert_array_equal(a.weight.numpy(), expected)
    assert not a._forward_pre_hooks
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        remove_spectral_norm(a)


def test_errors():
    m = spectral_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="two spectral_norm hooks"):
        spectral_norm(m)
    with pytest.raises(ValueError, match="no parameter 'kernel'"):
        spectral_norm(nn.Linear(2, 2), name="kernel")
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
