"""minigan.optim.RMSprop without torch: the update against a NumPy transcription, state, errors."""
import numpy as np
import pytest

import minigan as mg
from minigan import optim


def _reference(p, grads, lr, alpha, eps, wd, momentum, centered):
    sq, gavg, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = g + wd * p
        sq = alpha * sq + (1 - alpha) * g * g
        if centered:
            gavg = gavg + (1 - alpha) * (g - gavg)
            avg = np.sqrt(sq - gavg * gavg) + eps
        else:
            avg = np.sqrt(sq) + eps
        if momentum > 0:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
    return p, sq


@pytest.mark.parametrize("momentum, centered, wd", [(0, False, 0), (0.9, False, 0), (0, True, 0.1),
                                                    (0.5, True, 0.01)])
def test_update_matches_reference(momentum, centered, wd):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(6)]
    p = mg.tensor(p0.copy(), requires_grad=True)
    opt = optim.RMSprop([p], lr=1e-2, alpha=0.9, eps=1e-6, weight_decay=wd, momentum=momentum, centered=centered)
    for g in grads:
        p.grad = mg.tensor(g)
        opt.step()
    ref, sq = _reference(p0, grads, 1e-2, 0.9, 1e-6, wd, momentum, centered)
    np.testing.assert_allclose(p.numpy(), ref, rtol=1e-12, atol=1e-14)
    state = opt.state_dict()["state"][0]
    assert set(state) == {"step", "square_avg"} | ({"momentum_buffer"} if momentum else set()) | \
        ({"grad_avg"} if centered else set())
    np.testing.assert_allclose(state["square_avg"], sq, rtol=1e-12)
    assert state["step"] == 6


def test_float32_stays_float32_and_errors():
    p = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.RMSprop([p], lr=5e-5)
    p.grad = mg.tensor(np.ones(3, dtype=np.float32))
    opt.step()
    assert p.dtype == np.float32 and p.numpy()[0] < 1
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.RMSprop([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid alpha value"):
        optim.RMSprop([p], alpha=-0.5)
    with pytest.raises(ValueError, match="Invalid momentum value"):
        optim.RMSprop([p], momentum=-0.5)
