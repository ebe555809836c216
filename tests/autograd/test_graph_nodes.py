"""grad_fn as PyTorch shows it: Nodes named like torch's (MulBackward0), next_functions, AccumulateGrad."""
import re

import numpy as np

import minigan as mg
import minigan.nn.functional as F
from minigan.autograd import Function
from minigan.autograd.graph import AccumulateGrad, Node


def test_names_repr_and_name_method():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    node = y.grad_fn
    assert isinstance(node, Node) and type(node).__name__ == "MulBackward0" and node.name() == "MulBackward0"
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(node))
    assert repr(y).endswith("grad_fn=<MulBackward0>)")
    assert y.grad_fn is y.grad_fn and y.creator is node._function
    assert x.grad_fn is None and mg.tensor([1.0]).grad_fn is None


def test_common_ops_carry_torch_names():
    x = mg.tensor(np.random.rand(2, 3) + 0.5, requires_grad=True)
    w = mg.tensor(np.random.rand(3, 4), requires_grad=True)
    img = mg.tensor(np.random.rand(2, 3, 6, 6), requires_grad=True)
    kernel = mg.tensor(np.random.rand(4, 3, 3, 3), requires_grad=True)
    cases = {
        "AddBackward0": x + x, "SubBackward0": x - x, "DivBackward0": x / x, "PowBackward0": x ** 2,
        "NegBackward0": -x, "ExpBackward0": x.exp(), "LogBackward0": x.log(), "SqrtBackward0": x.sqrt(),
        "SumBackward0": x.sum(), "MaxBackward1": x.max(), "MinBackward1": x.min(), "ViewBackward0": x.reshape(3, 2),
        "PermuteBackward0": x.T, "MmBackward0": x @ w, "TanhBackward0": x.tanh(),
        "SigmoidBackward0": x.sigmoid(), "ReluBackward0": F.relu(x), "LeakyReluBackward0": F.leaky_relu(x, 0.2),
        "ConvolutionBackward0": F.conv2d(img, kernel), "CatBackward0": mg.cat([x, x]),
        "BinaryCrossEntropyBackward0": F.binary_cross_entropy(x.sigmoid(), mg.tensor(np.full((2, 3), 0.5))),
        "ToCopyBackward0": x.float(),
    }
    assert {name: type(t.grad_fn).__name__ for name, t in cases.items()} == {name: name for name in cases}


def test_next_functions_edges():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y * mg.tensor([3.0, 4.0])
    (exp_node, exp_index), constant = z.grad_fn.next_functions
    assert type(exp_node).__name__ == "ExpBackward0" and exp_index == 0 and constant == (None, 0)
    (leaf, leaf_index), = exp_node.next_functions
    assert isinstance(leaf, AccumulateGrad) and leaf.variable is x and leaf_index == 0
    assert leaf.name() == "AccumulateGrad" and leaf.next_functions == ()


def test_next_functions_name_the_output_of_a_multi_output_step():
    class Pair(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g_first, g_second):
            return 2 * g_first + 3 * g_second

    x = mg.tensor([1.0], requires_grad=True)
    first, second = Pair.apply(x)
    (node, index), = (second * 1).grad_fn.next_functions[:1]
    assert type(node).__name__ == "PairBackward" and index == 1
    assert first.grad_fn is second.grad_fn


def test_a_minigan_style_function_is_named_after_its_class():
    class Cube(Function):
        def forward(self, x):
            return x ** 3

        def backward(self, gy):
            return gy * 3 * self.inputs[0] ** 2

    y = Cube()(mg.tensor([1.0], requires_grad=True))
    assert y.grad_fn.name() == "CubeBackward" and y.creator.name == "Cube"


def test_metadata_stays_with_the_step():
    y = mg.tensor([1.0], requires_grad=True) * 2
    y.grad_fn.metadata["note"] = "kept"
    assert y.grad_fn.metadata == {"note": "kept"}


def test_walking_the_graph_like_torchviz():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = ((x * 2).tanh() + x).sum()
    seen, stack = [], [loss.grad_fn]
    while stack:
        node = stack.pop()
        seen.append(node.name())
        stack.extend(n for n, _ in node.next_functions if n is not None)
    assert seen == ["SumBackward0", "AddBackward0", "AccumulateGrad", "TanhBackward0", "MulBackward0",
                    "AccumulateGrad"]
