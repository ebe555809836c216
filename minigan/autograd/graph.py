"""What ``tensor.grad_fn`` shows: a PyTorch-named view of the graph (``torch.autograd.graph.Node``).

The engine's graph is made of `Function` objects (``tensor.creator``). PyTorch users look at it
through ``grad_fn``, whose class is named after the backward it runs, so ``grad_fn`` returns a
light `Node` around the Function, named as PyTorch names the same op::

    >>> import minigan as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> y = x * 2
    >>> type(y.grad_fn).__name__, y.grad_fn.name()
    ('MulBackward0', 'MulBackward0')
    >>> y.grad_fn.next_functions[0][0].variable is x, y.grad_fn.next_functions[1]
    (True, (None, 0))

Where PyTorch's name depends on the arguments (``sum()`` is SumBackward0, ``sum(dim)``
SumBackward1), the table holds the common case. An op PyTorch lacks, and a Function written
in minigan's own style, is ``<ClassName>Backward``; a PyTorch-style custom Function is
``<ClassName>Backward``, as in PyTorch.

The views hold the Function, never the reverse (the Function keeps a weak reference to reuse
its view), so looking at ``grad_fn`` keeps no graph alive and adds no reference cycle.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .function import Function
    from .tensor import Tensor

# minigan's Function class name -> the grad_fn class PyTorch gives the same op
TORCH_NAMES = {
    "Add": "AddBackward0", "Sub": "SubBackward0", "Mul": "MulBackward0", "Div": "DivBackward0",
    "Pow": "PowBackward1", "PowScalar": "PowBackward0", "Neg": "NegBackward0",
    "Exp": "ExpBackward0", "Log": "LogBackward0", "Sqrt": "SqrtBackward0", "Sign": "SignBackward0",
    "Abs": "AbsBackward0", "Where": "WhereBackward0", "Maximum": "MaximumBackward0",
    "Minimum": "MinimumBackward0", "Sin": "SinBackward0", "Cos": "CosBackward0",
    "Sum": "SumBackward0", "SumTo": "SumBackward1", "Reshape": "ViewBackward0",
    "Transpose": "PermuteBackward0", "BroadcastTo": "ExpandBackward0", "Concat": "CatBackward0",
    "Split": "SplitBackward0", "Pad": "ConstantPadNdBackward0", "GetItem": "IndexBackward0",
    "SetItem": "CopySlices", "Clone": "CloneBackward0", "MatMul": "MmBackward0", "Linear": "AddmmBackward0",
    "Conv2d": "ConvolutionBackward0", "ConvTranspose2d": "ConvolutionBackward0",
    "ReLU": "ReluBackward0", "LeakyReLU": "LeakyReluBackward0", "Sigmoid": "SigmoidBackward0",
    "Tanh": "TanhBackward0", "Softplus": "SoftplusBackward0", "Softmax": "SoftmaxBackward0",
    "BatchNormTrain": "NativeBatchNormBackward0", "Embedding": "EmbeddingBackward0",
    "Dropout": "MulBackward0", "MaxPool2d": "MaxPool2DWithIndicesBackward0",
    "AvgPool2d": "AvgPool2DBackward0", "BCEWithLogits": "BinaryCrossEntropyWithLogitsBackward0",
    "BCE": "BinaryCrossEntropyBackward0", "MSE": "MseLossBackward0",
    "AsType": "ToCopyBackward0", "ToDevice": "ToCopyBackward0",
}


def backward_name(f: "Function") -> str:
    """The PyTorch name of `f`'s backward: ``MulBackward0`` for Mul, ``CubeBackward`` for a custom Cube."""
    name = TORCH_NAMES.get(type(f).__name__)
    if name is not None:
        return name
    if type(f).__name__ == "_Extreme":  # max and min share one Function; torch.max() is MaxBackward1
        return "MinBackward1" if f.__dict__.get("largest") is False else "MaxBackward1"
    return f.name + "Backward"


class Node:
    """One step of the backward graph as PyTorch shows it; ``tensor.grad_fn`` returns one.

    ``name()`` is the class name (``MulBackward0``); ``next_functions`` has one
    ``(node, output_index)`` pair per input: the Node that made it, an `AccumulateGrad`
    for a leaf that requires grad, or ``(None, 0)`` for an input that needs no gradient.
    A Function freed by a backward without ``retain_graph`` has dropped its inputs, so
    its ``next_functions`` is then empty.
    """

    __slots__ = ("_function", "__weakref__")

    def __init__(self, function: "Function"):
        self._function = function

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        return tuple([_edge(x) for x in self._function.inputs])

    @property
    def metadata(self) -> dict:
        """A dict kept with the step for the caller's own notes (PyTorch's ``Node.metadata``)."""
        return self._function.__dict__.setdefault("_node_metadata", {})

    def __getattr__(self, attribute: str):
        # a PyTorch-style custom Function's node is its ctx in PyTorch: y.grad_fn.saved_tensors
        ctx = object.__getattribute__(self, "_function").__dict__.get("ctx")
        if ctx is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attribute}'")
        return getattr(ctx, attribute)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"


class AccumulateGrad(Node):
    """The end of a path: adds the gradient into ``variable.grad`` (a leaf that requires grad)."""

    __slots__ = ("variable",)

    def __init__(self, variable: "Tensor"):
        self._function = None
        self.variable = variable

    @property
    def next_functions(self) -> tuple:
        return ()

    @property
    def metadata(self) -> dict:
        return {}


_node_classes: dict[str, type] = {}


def node_of(f: "Function") -> Node:
    """The Node showing `f`: the same object while someone holds it (``y.grad_fn is y.grad_fn``)."""
    ref = f.__dict__.get("_node")
    node = ref() if ref is not None else None
    if node is None:
        name = backward_name(f)
        cls = _node_classes.get(name)
        if cls is None:
            cls = _node_classes[name] = type(name, (Node,), {"__slots__": (), "__module__": __name__})
        node = cls(f)
        f._node = weakref.ref(node)
    return node


def _edge(x: "Tensor") -> tuple:
    creator = x.creator
    if creator is not None:
        index = 0
        outputs = creator._outputs
        if len(outputs) > 1:
            for i, ref in enumerate(outputs):
                if ref() is x:
                    index = i
                    break
        return (node_of(creator), index)
    if x._requires_grad:
        return (AccumulateGrad(x), 0)
    return (None, 0)
