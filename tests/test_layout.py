"""minigan/layout.py: the one place that says which arrays may be feature-major ("batch-last")."""
import numpy as np
import pytest

import minigan as mg
from minigan import layout, nn
from minigan.ops.conv import conv2d


def _batch_last(a):
    return np.ascontiguousarray(layout.to_batch_last(a)).transpose(layout._FROM_BATCH_LAST[a.ndim])


def test_feature_major_is_a_transposed_view_of_a_batch_last_block_and_not_c_order():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 4, 5))
    assert not layout.is_feature_major(x) and layout.is_c_order(x)
    fm = _batch_last(x)
    assert layout.is_feature_major(fm) and not layout.is_c_order(fm)
    np.testing.assert_array_equal(fm, x)
    assert layout.to_batch_last(fm).flags.c_contiguous
    assert layout.from_batch_last(layout.to_batch_last(fm)).shape == x.shape
    one = _batch_last(x[:1])  # N == 1: the same memory is C order too, and counts as C order
    assert one.flags.c_contiguous and not layout.is_feature_major(one)
    assert not layout.is_feature_major(np.ones(4)) and not layout.is_feature_major(x[:, :, ::2])
    assert layout.is_feature_major(np.asfortranarray(rng.standard_normal((6, 3))))


def test_the_ops_that_produce_it():
    # a convolution's output and a wide Linear's output (features > batch) are feature-major views
    y = conv2d(mg.randn(4, 2, 6, 6), mg.randn(3, 2, 3, 3))
    assert layout.is_feature_major(y.array)
    lin = nn.Linear(4, 16)
    assert layout.is_feature_major(lin(mg.randn(8, 4)).array)
    assert layout.is_c_order(lin.weight.array)  # parameters never are


def test_empty_like_layout_keeps_the_layout():
    x = _batch_last(np.zeros((3, 2, 4, 5), dtype=np.float32))
    out = layout.empty_like_layout(np, x, (3, 2, 2, 2), fill=1.0)
    assert out.shape == (3, 2, 2, 2) and out.dtype == np.float32 and layout.is_feature_major(out)
    assert np.all(out == 1.0)
    plain = layout.empty_like_layout(np, np.zeros((3, 2, 4, 5)), (3, 2, 2, 2))
    assert plain.flags.c_contiguous and plain.dtype == np.float64


def test_same_flat_order_and_the_product_rule():
    a, b = np.ones((3, 4)), np.ones((4, 3)).T
    assert layout.same_flat_order(a, a) and not layout.same_flat_order(a, b) and layout.same_flat_order()
    assert layout.product_prefers_feature_major(64, 256, np)
    assert not layout.product_prefers_feature_major(256, 64, np)
    assert not layout.product_prefers_feature_major(64, 256, object())  # another backend: only without BLAS
    assert layout.product_prefers_feature_major(64, 256, object(), blas=False)


@pytest.mark.parametrize("shape", [(3, 2, 4, 5), (64, 300), (7, 129), (5, 3, 1, 1), (2, 1, 130, 1)])
def test_c_order_copy_is_a_c_contiguous_copy_of_any_layout(shape):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    for src in (x, _batch_last(x), x[..., ::-1], np.broadcast_to(x[:1], x.shape)):
        out = layout.c_order_copy(src)
        np.testing.assert_array_equal(out, src)
        assert out.flags.c_contiguous and out.flags.writeable and out.dtype == src.dtype
        assert not np.shares_memory(out, src)


def test_a_conv_inputs_leaf_gradient_is_c_order_and_exact():
    # the data gradient comes back batch-last; the leaf's .grad is the tiled C-order copy of it
    x = mg.tensor(np.random.default_rng(0).standard_normal((6, 3, 9, 9)), requires_grad=True)
    w = mg.tensor(np.random.default_rng(1).standard_normal((4, 3, 4, 4)))
    gy = np.random.default_rng(2).standard_normal((6, 4, 4, 4))
    conv2d(x, w, stride=2, padding=1).backward(mg.tensor(gy))
    (expected,) = mg.grad(conv2d(x, w, stride=2, padding=1), x, mg.tensor(gy))
    assert x.grad.array.flags.c_contiguous
    np.testing.assert_array_equal(x.grad.numpy(), expected.numpy())


def test_every_parameter_gradient_is_c_order_after_a_discriminator_step():
    # D scores a real and a fake batch: D2's weight gradient is the sum of one gradient per branch, and that sum
    # came out feature-major (a fresh array, not a view). The rule (parameters' gradients are C order) holds for
    # it too, so Adam's flat chunks and grad_norm walk it in order without a strided copy.
    from minigan.gan import build_models
    G, D = build_models("dcgan")  # the default sizes and batch 64: the shapes where that sum is feature-major
    real = mg.randn(64, 1, 28, 28)
    fake = G(mg.randn(64, G.latent_dim)).detach()
    (D(real).sum() + D(fake).sum()).backward()
    grads = [(name, p.grad.array) for name, p in D.named_parameters()]
    assert grads and all(g.flags.c_contiguous for _, g in grads), [n for n, g in grads if not g.flags.c_contiguous]
