"""One dtype rule for every parameterised layer and matmul (PyTorch's, minigan/ops/dtypes.py): an input
whose floating dtype differs from the layer's weights is an error naming both dtypes, never a silent float64."""
import numpy as np
import pytest

import minigan as mg
from minigan import nn

LAYERS = {
    "Linear": (lambda: nn.Linear(3, 2), (4, 3)),
    "Linear-no-bias": (lambda: nn.Linear(3, 2, bias=False), (4, 3)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 3, 3), (1, 2, 5, 5)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3), (4, 3)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(2), (4, 2, 3, 3)),
    "LayerNorm": (lambda: nn.LayerNorm(3), (4, 3)),
    "GroupNorm": (lambda: nn.GroupNorm(1, 2), (4, 2, 3, 3)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(2, affine=True, track_running_stats=True), (4, 2, 3, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("train", [True, False])
def test_a_float64_input_into_a_float32_layer_raises_naming_both(name, train):
    make, shape = LAYERS[name]
    layer = make().train(train)
    x = mg.tensor(np.random.default_rng(0).standard_normal(shape), dtype=np.float64)
    with pytest.raises(TypeError, match=r"input float64, weight float32"):
        layer(x)
    assert layer(x.float()).dtype == np.float32  # the same input in the layer's dtype works
    assert layer.double()(x).dtype == np.float64  # and so does the layer moved to the input's dtype


@pytest.mark.parametrize("name", ["Linear", "Conv2d", "ConvTranspose2d"])
def test_an_integer_input_into_a_float_layer_raises(name):
    make, shape = LAYERS[name]
    x = mg.tensor(np.ones(shape, dtype=np.int64))
    with pytest.raises(TypeError, match=r"input int64, weight float32"):
        make()(x)


def test_embedding_takes_integer_indices_only():
    emb = nn.Embedding(5, 2)
    with pytest.raises(TypeError, match="embedding: indices must be integers, got dtype float32"):
        emb(mg.tensor([1.0, 2.0]))
    assert emb(mg.tensor(np.array([1, 4]))).dtype == np.float32


def test_matmul_of_mismatched_floats_raises_naming_both():
    a, b = mg.ones(2, 3), mg.ones(3, 4, dtype=np.float64)
    with pytest.raises(TypeError, match=r"matmul: a and b must share one dtype, got a float32, b float64"):
        a @ b
    with pytest.raises(TypeError, match=r"a float64, b float32"):
        mg.matmul(b.T, a.T)
    assert (a @ b.float()).dtype == np.float32
    assert (a @ np.ones((3, 4))).dtype == np.float32  # a plain array takes the tensor's dtype, as before
