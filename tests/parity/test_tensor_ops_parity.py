"""Parity with PyTorch (CPU, float64), tinygrad's helper_test_op style: one line per op, the same
lambda applied to torch and to minigan tensors (`lib` is torch or minigan, for index tensors),
outputs and input gradients compared. Covers ops/indexing, sorting, cumulative, elementwise,
movement and matrix. Skipped where torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minigan as mg  # noqa: E402


def _outputs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def helper_test_op(shapes, fn, *, low=-2.0, high=2.0, grad=True, seed=0):
    """fn(*inputs, lib) on torch and minigan float64 inputs of `shapes`: outputs (values, dtypes' kinds,
    shapes) and, with `grad`, the gradients of sum(out * g) for random g, compared."""
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(low, high, s) for s in shapes]
    tx = [torch.tensor(a, requires_grad=grad) for a in arrays]
    mx = [mg.tensor(a, requires_grad=grad) for a in arrays]
    ty, my = _outputs(fn(*tx, torch)), _outputs(fn(*mx, mg))
    assert len(ty) == len(my)
    loss_t, loss_m = 0, 0
    for t, m in zip(ty, my):
        tv = t.detach().numpy()
        assert m.shape == tuple(tv.shape), f"shape {m.shape} vs torch {tuple(tv.shape)}"
        assert m.dtype.kind == tv.dtype.kind, f"dtype {m.dtype} vs torch {tv.dtype}"
        np.testing.assert_allclose(m.numpy(), tv, rtol=1e-9, atol=1e-12)
        if grad and tv.dtype.kind == "f" and t.requires_grad:
            g = rng.standard_normal(tv.shape)
            loss_t = loss_t + (t * torch.tensor(g)).sum()
            loss_m = loss_m + (m * mg.tensor(g)).sum()
    if grad and not isinstance(loss_t, int):
        loss_t.backward()
        loss_m.backward()
        for i, (t, m) in enumerate(zip(tx, mx)):
            tg = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
            mgrad = np.zeros(m.shape) if m.grad is None else m.grad.numpy()
            np.testing.assert_allclose(mgrad, tg, rtol=1e-9, atol=1e-12, err_msg=f"gradient of input {i}")


CASES = {
    # indexing
    "gather": ([(3, 4)], lambda x, lib: x.gather(1, lib.tensor([[0, 0, 3], [1, 1, 1], [2, 0, 2]]))),
    "gather_fn": ([(3, 4)], lambda x, lib: lib.gather(x, 0, lib.tensor([[2, 0], [2, 2]]))),
    "scatter": ([(3, 4), (2, 4)], lambda x, s, lib: x.scatter(0, lib.tensor([[2, 0, 1, 2], [0, 1, 2, 1]]), s)),
    "scatter_value": ([(3, 4)], lambda x, lib: x.scatter(1, lib.tensor([[1], [3], [0]]), 2.5)),
    "scatter_add": ([(3, 4), (3, 3)], lambda x, s, lib: x.scatter_add(1, lib.tensor([[1, 1, 0], [3, 3, 3],
                                                                                    [0, 2, 0]]), s)),
    "index_select": ([(4, 3)], lambda x, lib: x.index_select(0, lib.tensor([3, 0, 3, 1]))),
    "take": ([(3, 4)], lambda x, lib: x.take(lib.tensor([[0, 11], [5, 5]]))),
    "masked_fill": ([(3, 4)], lambda x, lib: x.masked_fill(lib.tensor([True, False, True, False]), -1.0)),
    "masked_select": ([(3, 4)], lambda x, lib: x.masked_select(lib.tensor([[True], [False], [True]]))),
    "nonzero": ([(3, 4)], lambda x, lib: (x > 0).nonzero()),
    # order statistics
    "sort": ([(3, 5)], lambda x, lib: x.sort(dim=0)),
    "sort_descending": ([(3, 5)], lambda x, lib: lib.sort(x, descending=True)),
    "argsort": ([(3, 5)], lambda x, lib: x.argsort(dim=1, descending=True)),
    "topk": ([(3, 5)], lambda x, lib: x.topk(2)),
    "topk_smallest": ([(3, 5)], lambda x, lib: lib.topk(x, 3, dim=0, largest=False)),
    "median": ([(3, 4)], lambda x, lib: x.median()),
    "median_dim": ([(3, 4)], lambda x, lib: x.median(dim=1, keepdim=True)),
    "amax": ([(3, 4, 2)], lambda x, lib: x.amax(dim=(0, 2))),
    "amin": ([(3, 4)], lambda x, lib: lib.amin(x, 1, keepdim=True)),
    # cumulative
    "cumsum": ([(3, 4)], lambda x, lib: x.cumsum(1)),
    "cumprod": ([(3, 4)], lambda x, lib: lib.cumprod(x, dim=0)),
    "cumprod_zeros": ([(2, 4)], lambda x, lib: (x * lib.tensor([1.0, 0.0, 1.0, 0.0])).cumprod(1)),
    "prod": ([(3, 4)], lambda x, lib: x.prod()),
    "prod_dim": ([(3, 4)], lambda x, lib: x.prod(1, keepdim=True)),
    "prod_zero": ([(2, 3)], lambda x, lib: (x * lib.tensor([1.0, 0.0, 1.0])).prod(1)),
    # element-wise
    "floor": ([(3, 4)], lambda x, lib: x.floor()),
    "ceil": ([(3, 4)], lambda x, lib: lib.ceil(x)),
    "round": ([(3, 4)], lambda x, lib: x.round()),
    "round_decimals": ([(3, 4)], lambda x, lib: lib.round(x, decimals=1)),
    "trunc": ([(3, 4)], lambda x, lib: x.trunc()),
    "frac": ([(3, 4)], lambda x, lib: x.frac()),
    "square": ([(3, 4)], lambda x, lib: x.square()),
    "expm1": ([(3, 4)], lambda x, lib: x.expm1()),
    "exp2": ([(3, 4)], lambda x, lib: lib.exp2(x)),
    "lerp": ([(3, 4), (3, 4), (4,)], lambda a, b, w, lib: a.lerp(b, w)),
    "isnan": ([(3, 4)], lambda x, lib: (x / (x > 0)).isnan()),
    "isfinite": ([(3, 4)], lambda x, lib: lib.isfinite(x / (x > 0))),
    "all_any": ([(3, 4)], lambda x, lib: ((x > -1).all(), (x > 1).any(dim=1))),
    # movement
    "repeat": ([(2, 3)], lambda x, lib: x.repeat(2, 1, 3)),
    "tile": ([(2, 3)], lambda x, lib: lib.tile(x, (2,))),
    "repeat_interleave": ([(2, 3)], lambda x, lib: x.repeat_interleave(2, dim=1)),
    "repeat_interleave_counts": ([(3, 2)], lambda x, lib: x.repeat_interleave(lib.tensor([2, 0, 1]), dim=0)),
    "repeat_interleave_flat": ([(2, 2)], lambda x, lib: lib.repeat_interleave(x, 3)),
    "chunk": ([(5, 2)], lambda x, lib: x.chunk(3)),
    "unbind": ([(3, 2)], lambda x, lib: x.unbind(1)),
    "flip": ([(2, 3, 2)], lambda x, lib: x.flip(0, 2)),
    "roll": ([(3, 4)], lambda x, lib: x.roll((1, -5), (0, 1))),
    "roll_flat": ([(3, 4)], lambda x, lib: lib.roll(x, 5)),
    "movedim": ([(2, 3, 4)], lambda x, lib: x.movedim((0, 1), (2, 0))),
    "swapaxes": ([(2, 3, 4)], lambda x, lib: x.swapaxes(0, 2)),
    "swapdims": ([(2, 3, 4)], lambda x, lib: lib.swapdims(x, -1, 1)),
    "narrow": ([(4, 3)], lambda x, lib: x.narrow(0, -3, 2)),
    "unflatten": ([(2, 6)], lambda x, lib: x.unflatten(1, (3, -1))),
    "view_as": ([(2, 6), (3, 4)], lambda x, y, lib: x.view_as(y) * y),
    "expand_as": ([(3, 1), (3, 4)], lambda x, y, lib: x.expand_as(y) * y),
    "contiguous": ([(3, 4)], lambda x, lib: x.t().contiguous()),
    "vstack": ([(3,), (2, 3)], lambda a, b, lib: lib.vstack([a, b])),
    "hstack": ([(2, 1), (2, 3)], lambda a, b, lib: lib.hstack([a, b])),
    "dstack": ([(2, 3), (2, 3)], lambda a, b, lib: lib.dstack([a, b])),
    # matrix
    "mm": ([(2, 3), (3, 4)], lambda a, b, lib: a.mm(b)),
    "bmm": ([(2, 2, 3), (2, 3, 4)], lambda a, b, lib: lib.bmm(a, b)),
    "addmm": ([(4,), (2, 3), (3, 4)], lambda c, a, b, lib: lib.addmm(c, a, b, beta=0.5, alpha=-2.0)),
    "dot": ([(5,), (5,)], lambda a, b, lib: a.dot(b)),
    "outer": ([(3,), (4,)], lambda a, b, lib: lib.outer(a, b)),
    "diag_embed": ([(3,)], lambda x, lib: x.diag(-1)),
    "diag": ([(3, 4)], lambda x, lib: lib.diag(x, 1)),
    "trace": ([(3, 4)], lambda x, lib: x.trace()),
    "tril": ([(2, 3, 4)], lambda x, lib: x.tril(1)),
    "triu": ([(3, 4)], lambda x, lib: lib.triu(x, -1)),
}

POSITIVE = {
    "log1p": ([(3, 4)], lambda x, lib: x.log1p()),
    "log2": ([(3, 4)], lambda x, lib: lib.log2(x)),
    "log10": ([(3, 4)], lambda x, lib: x.log10()),
    "rsqrt": ([(3, 4)], lambda x, lib: x.rsqrt()),
    "reciprocal": ([(3, 4)], lambda x, lib: lib.reciprocal(x)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_torch(name):
    shapes, fn = CASES[name]
    helper_test_op(shapes, fn)


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_op_of_positive_numbers_matches_torch(name):
    shapes, fn = POSITIVE[name]
    helper_test_op(shapes, fn, low=0.2, high=3.0)
