"""Parity with PyTorch for the Tensor API a PyTorch user guesses: reductions with (values, indices),
unbiased std/var, dtype promotion, // and %, index tensors, einsum with '...', casts and factories.
One line per case (tinygrad's helper_test_op style): forward, dtype, and the gradient where there is one.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minigan as mg  # noqa: E402


def helper_test_op(shapes, mine, theirs, *, grad=True, dtype=np.float64, low=-2.0, high=2.0, seed=0):
    """Same inputs (float64 unless `dtype`) through both; compare outputs (and dtypes) and input gradients."""
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(low, high, s).astype(dtype) for s in shapes]
    grad = grad and np.dtype(dtype).kind == "f"
    m = [mg.tensor(a, requires_grad=grad) for a in arrays]
    t = [torch.tensor(a, requires_grad=grad) for a in arrays]
    my, ty = mine(*m), theirs(*t)
    if isinstance(ty, tuple):
        my, ty = tuple(my), tuple(ty)
        assert len(my) == len(ty)
    else:
        my, ty = (my,), (ty,)
    for a, b in zip(my, ty):
        assert str(a.dtype) == str(b.dtype).replace("torch.", ""), f"dtype {a.dtype} vs torch {b.dtype}"
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-7, atol=1e-9)
    if grad and ty[0].requires_grad:
        gy = rng.standard_normal(tuple(ty[0].shape))
        my[0].backward(mg.tensor(gy))
        ty[0].backward(torch.tensor(gy))
        for a, b in zip(m, t):
            if b.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_max_min_with_and_without_dim():
    helper_test_op([(3, 4)], lambda x: x.max(1), lambda x: x.max(1))
    helper_test_op([(3, 4)], lambda x: x.min(dim=0, keepdim=True), lambda x: x.min(dim=0, keepdim=True))
    helper_test_op([(3, 4)], lambda x: mg.max(x, -1), lambda x: torch.max(x, -1))
    helper_test_op([(3, 4)], lambda x: x.max(), lambda x: x.max())
    helper_test_op([(3, 4), (3, 4)], lambda x, y: mg.max(x, y), lambda x, y: torch.max(x, y))
    helper_test_op([(3, 4), (4,)], lambda x, y: mg.min(x, y), lambda x, y: torch.min(x, y))
    helper_test_op([(3, 4)], lambda x: x.argmax(), lambda x: x.argmax())
    helper_test_op([(3, 4)], lambda x: x.argmin(1, keepdim=True), lambda x: x.argmin(1, keepdim=True))


def test_max_with_dim_sends_the_gradient_to_the_first_tie():
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]
    m, t = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    m.max(1).values.sum().backward()
    t.max(1).values.sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())
    m.grad, t.grad = None, None
    m.max().backward()
    t.max().backward()
    np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())


def test_std_var_defaults():
    helper_test_op([(3, 4)], lambda x: x.std(), lambda x: x.std())
    helper_test_op([(3, 4)], lambda x: x.var(1), lambda x: x.var(1))
    helper_test_op([(3, 4)], lambda x: x.std(1, False, True), lambda x: x.std(1, False, True))
    helper_test_op([(3, 4)], lambda x: mg.var(x, dim=0, correction=2), lambda x: torch.var(x, dim=0, correction=2))
    helper_test_op([(3, 4)], lambda x: mg.var_mean(x, 1), lambda x: torch.var_mean(x, 1))
    helper_test_op([(3, 4)], lambda x: mg.std_mean(x, dim=0, keepdim=True),
                   lambda x: torch.std_mean(x, dim=0, keepdim=True))


@pytest.mark.parametrize("a, b", [
    ((np.int64, 1.5)), ((np.int64, 3)), ((np.bool_, True)), ((np.bool_, 2)), ((np.int32, 2)), ((np.uint8, 1.0)),
])
def test_promotion_with_python_scalars(a, b):
    helper_test_op([(2, 3)], lambda x: x + b, lambda x: x + b, dtype=a, low=0, high=5)
    helper_test_op([(2, 3)], lambda x: b * x, lambda x: b * x, dtype=a, low=0, high=5)


@pytest.mark.parametrize("da, db, zero_d", [
    (np.int64, np.float32, False), (np.uint8, np.int8, False), (np.float32, np.float64, False),
    (np.float32, np.float64, True), (np.int64, np.float64, True), (np.int32, np.int64, True),
    (np.bool_, np.int16, False), (np.float16, np.int64, False),
])
def test_promotion_between_tensors(da, db, zero_d):
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 5, (2, 3)).astype(da)
    b = rng.uniform(1, 5, () if zero_d else (2, 3)).astype(db)
    for op in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x / y, lambda x, y: x > y):
        mine, theirs = op(mg.tensor(a), mg.tensor(b)), op(torch.tensor(a), torch.tensor(b))
        assert str(mine.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(mine.numpy().astype(np.float64), theirs.numpy().astype(np.float64), rtol=1e-3)


def test_floor_divide_and_remainder():
    helper_test_op([(3, 4)], lambda x: x // 3, lambda x: x // 3, dtype=np.int64, low=-20, high=20)
    helper_test_op([(3, 4)], lambda x: 7 % x, lambda x: 7 % x, dtype=np.int64, low=1, high=5)
    helper_test_op([(3, 4)], lambda x: x % -3, lambda x: x % -3, dtype=np.int64, low=-20, high=20)
    helper_test_op([(3, 4)], lambda x: x // 0.7, lambda x: x // 0.7, grad=False)
    helper_test_op([(3, 4), (3, 4)], lambda x, y: x % (y.abs() + 0.5), lambda x, y: x % (y.abs() + 0.5))
    helper_test_op([(3, 4)], lambda x: x / 2, lambda x: x / 2, dtype=np.int64, low=-20, high=20)


def test_index_tensors():
    idx = [2, 0, 2, 1]
    helper_test_op([(3, 4)], lambda x: x[mg.tensor(idx)], lambda x: x[torch.tensor(idx)])
    helper_test_op([(3, 4)], lambda x: x[:, mg.tensor(idx)], lambda x: x[:, torch.tensor(idx)])
    helper_test_op([(3, 4)], lambda x: x[mg.tensor(idx), mg.tensor([3, 3, 0, 1])],
                   lambda x: x[torch.tensor(idx), torch.tensor([3, 3, 0, 1])])
    helper_test_op([(3, 4)], lambda x: x[x.detach() > 0], lambda x: x[x.detach() > 0])
    helper_test_op([(3, 4)], lambda x: x[mg.tensor([True, False, True])], lambda x: x[torch.tensor([True, False, True])])
    helper_test_op([(3, 4)], lambda x: x[mg.where(x.detach() > 0)], lambda x: x[torch.where(x.detach() > 0)])


def test_einsum_ellipsis_and_list_form():
    helper_test_op([(2, 2, 3), (3, 4)], lambda a, b: mg.einsum("...ij,...jk", a, b),
                   lambda a, b: torch.einsum("...ij,...jk", a, b))
    helper_test_op([(2, 3, 2), (2, 3, 2)], lambda a, b: mg.einsum("b...,b...->b", [a, b]),
                   lambda a, b: torch.einsum("b...,b...->b", [a, b]))
    helper_test_op([(2, 3)], lambda a: mg.einsum("...i->i...", a), lambda a: torch.einsum("...i->i...", a))


def test_casts_and_type_names():
    for name in ("float", "double", "half", "long", "int", "short", "char", "byte", "bool"):
        helper_test_op([(2, 3)], lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), grad=False)
        assert getattr(mg.ones(2), name)().type().replace("minigan", "torch") == getattr(torch.ones(2), name)().type()
    assert mg.ones(2, 3).size() == torch.ones(2, 3).size() and repr(mg.ones(2, 3).size()) == "minigan.Size([2, 3])"
    assert mg.ones(2, 3).size(-1) == torch.ones(2, 3).size(-1)


def test_factories_dtypes_and_values():
    for mine, theirs in (
            (mg.full((2,), 1), torch.full((2,), 1)), (mg.full((2,), 1.5), torch.full((2,), 1.5)),
            (mg.full((2,), True), torch.full((2,), True)), (mg.arange(5), torch.arange(5)),
            (mg.arange(0, 1, 0.25), torch.arange(0, 1, 0.25)), (mg.linspace(-1, 1, 5), torch.linspace(-1, 1, 5)),
            (mg.linspace(0, 10, 5, dtype=mg.int64), torch.linspace(0, 10, 5, dtype=torch.int64)),
            (mg.logspace(0, 3, 4, base=2), torch.logspace(0, 3, 4, base=2)), (mg.eye(2, 3), torch.eye(2, 3)),
            (mg.zeros(2, dtype=mg.int32), torch.zeros(2, dtype=torch.int32)),
            (mg.empty(2, 3).shape, torch.empty(2, 3).shape),
            (mg.full_like(mg.ones(2, dtype=mg.int64), 2.7), torch.full_like(torch.ones(2, dtype=torch.int64), 2.7)),
            (mg.tensor([1, 2]), torch.tensor([1, 2])), (mg.tensor([1.5]), torch.tensor([1.5])),
            (mg.tensor(True), torch.tensor(True)), (mg.ones(2).new_tensor([1, 2]), torch.ones(2).new_tensor([1, 2])),
            (mg.ones(2, dtype=mg.int64).new_full((2,), 1.5), torch.ones(2, dtype=torch.int64).new_full((2,), 1.5))):
        if isinstance(mine, tuple):
            assert mine == tuple(theirs)
            continue
        assert str(mine.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6)
    for mine, theirs in ((mg.randint(0, 5, (3,)), torch.randint(0, 5, (3,))), (mg.randperm(4), torch.randperm(4)),
                         (mg.multinomial(mg.ones(3), 2), torch.multinomial(torch.ones(3), 2)),
                         (mg.bernoulli(mg.ones(3) * 0.5), torch.bernoulli(torch.ones(3) * 0.5)),
                         (mg.normal(0.0, 1.0, (2,)), torch.normal(0.0, 1.0, (2,))),
                         (mg.rand_like(mg.ones(2, dtype=mg.float64)), torch.rand_like(torch.ones(2, dtype=torch.float64)))):
        assert str(mine.dtype) == str(theirs.dtype).replace("torch.", "") and mine.shape == tuple(theirs.shape)


@pytest.mark.parametrize("data", ["abc", None, [[1, 2], [3]], object(), [1, None]])
def test_tensor_rejects_what_torch_rejects(data):
    with pytest.raises(Exception) as theirs:
        torch.tensor(data)
    with pytest.raises(type(theirs.value)):
        mg.tensor(data)
