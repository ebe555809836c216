"""What conditional GANs differentiate twice: cross-entropy with integer targets, log_softmax, Embedding.

An AC-GAN's class loss and a projection discriminator's label embedding sit
inside D, so a gradient penalty (R1, WGAN-GP) on D differentiates them twice.
Float64 gradcheck + gradgradcheck on random shapes, classes and reductions.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigan as mg
import minigan.nn as nn
import minigan.nn.functional as F
from tests.conftest import shapes

REDUCTIONS = ["mean", "sum", "none"]


def _leaf(a):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _check(fn, inputs):
    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


@st.composite
def _logits_and_targets(draw, spatial: bool = False):
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    extra = tuple(draw(st.lists(st.integers(1, 2), min_size=0, max_size=2))) if spatial else ()
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c) + extra) * draw(st.sampled_from([0.5, 2.0, 6.0]))
    return x, rng.integers(0, c, (n,) + extra), rng


@given(_logits_and_targets(), st.sampled_from(REDUCTIONS), st.booleans(), st.sampled_from([0.0, 0.1]))
def test_cross_entropy_integer_targets_gradchecks(case, reduction, weighted, label_smoothing):
    x, target, rng = case
    weight = mg.tensor(rng.random(x.shape[1]) + 0.5) if weighted else None
    t = mg.tensor(target)
    _check(lambda a: F.cross_entropy(a, t, weight, reduction=reduction, label_smoothing=label_smoothing), (_leaf(x),))


@given(_logits_and_targets(spatial=True), st.sampled_from(REDUCTIONS))
def test_cross_entropy_spatial_integer_targets_gradchecks(case, reduction):
    x, target, _ = case
    t = mg.tensor(target)
    _check(lambda a: F.cross_entropy(a, t, reduction=reduction), (_leaf(x),))


@given(_logits_and_targets())
def test_cross_entropy_of_a_nonlinear_head_gradgradchecks_in_both_inputs(case):
    """CE(tanh(h) @ W): the second derivative mixes the logits' and the weights' paths (as a class head does)."""
    x, target, rng = case
    t = mg.tensor(target)
    w = _leaf(rng.standard_normal((x.shape[1], x.shape[1])))
    _check(lambda h, w: F.cross_entropy(F.linear(F.tanh(h), w), t), (_leaf(x), w))


@given(shapes(min_dims=1, max_dims=3), st.data())
def test_log_softmax_gradchecks_on_random_shapes_and_dims(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(data.draw(st.integers(0, 2**16))).standard_normal(shape) * 3
    _check(lambda a: F.log_softmax(a, dim=dim), (_leaf(x),))


@given(st.integers(1, 5), st.integers(1, 3), shapes(min_dims=1, max_dims=2), st.integers(0, 2**16),
       st.sampled_from([None, 0, -1]))
def test_embedding_gradchecks_linear_and_through_a_nonlinearity(rows, dim, index_shape, seed, padding_idx):
    rng = np.random.default_rng(seed)
    idx = mg.tensor(rng.integers(0, rows, index_shape))       # repeats are likely: rows is small
    w = _leaf(rng.standard_normal((rows, dim)))
    # The padding row gets no gradient by design (as in PyTorch), which is the true derivative only where
    # that row is held at zero: the checked function sees w with the padding row masked out.
    keep = np.ones((rows, 1))
    if padding_idx is not None:
        keep[padding_idx] = 0.0
    keep = mg.tensor(keep)
    _check(lambda w: F.embedding(idx, w * keep, padding_idx), (w,))
    # tanh makes the gradient depend on w, so double backward goes through EmbeddingGrad's own backward
    _check(lambda w: F.tanh(F.embedding(idx, w * keep, padding_idx)) * 2.0, (w,))


@given(st.integers(2, 5), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**16))
def test_projection_term_gradgradchecks_in_features_and_embedding(num_classes, dim, n, seed):
    """<embed(y), phi(x)> with phi = tanh: the projection discriminator's label term, both inputs."""
    rng = np.random.default_rng(seed)
    y = mg.tensor(rng.integers(0, num_classes, n))
    h, e = _leaf(rng.standard_normal((n, dim))), _leaf(rng.standard_normal((num_classes, dim)))
    _check(lambda h, e: (F.embedding(y, e) * F.tanh(h)).sum(1, keepdims=True), (h, e))


def test_embedding_module_in_float64_gradgradchecks_through_its_weight():
    emb = nn.Embedding(4, 3, dtype="float64")
    idx = mg.tensor(np.array([3, 0, 3, 1]))
    w = emb.weight
    _check(lambda w: F.sigmoid(F.embedding(idx, w)), (w,))
    with pytest.raises(IndexError, match="out of range for 4 embeddings"):
        emb(mg.tensor(np.array([4])))
