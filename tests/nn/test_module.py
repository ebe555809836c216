"""nn.Module machinery: registration, traversal, modes, to(), zero_grad, hooks, repr, containers."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan
from minigan import nn
from minigan.autograd import Tensor


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(minigan.ones(2))
        self.register_buffer("count", minigan.zeros(1))
        self.register_buffer("scratch", minigan.zeros(2), persistent=False)
        self.plain = minigan.ones(3)  # a plain Tensor attribute: neither parameter nor buffer

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


# ---- Parameter -------------------------------------------------------------------------------

def test_parameter_basics():
    p = nn.Parameter(minigan.zeros(2, 3))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf and p.dtype == np.float32
    assert nn.Parameter(minigan.zeros(2), requires_grad=False).requires_grad is False
    assert repr(nn.Parameter(minigan.tensor([1.0, 2.0]))) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    t = minigan.zeros(3)
    assert nn.Parameter(t).array is t.array  # shares the array, as torch.nn.Parameter(t) does
    # Python data and float64 NumPy arrays become float32 unless asked; a float64 Tensor stays float64
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32
    assert nn.Parameter(np.zeros(3)).dtype == np.float32
    assert nn.Parameter(np.zeros(3), dtype="float64").dtype == np.float64
    assert nn.Parameter(minigan.zeros(3, dtype="float64")).dtype == np.float64
    assert nn.Parameter(None).shape == (0,)
    y = p * 2
    assert type(y) is Tensor and not isinstance(y, nn.Parameter)


# ---- registration and traversal --------------------------------------------------------------

def test_attribute_assignment_registers_parameters_modules_and_buffers():
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["fc1", "act", "fc2"]
    assert list(net._buffers) == ["count", "scratch"]
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert len(list(net.parameters())) == 4
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_buffers()] == ["count", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Linear", "ReLU", "Linear"]
    assert net.fc2.bias is None and "bias" in net.fc2._parameters
    assert "plain" not in net._parameters and "plain" not in net._buffers and isinstance(net.plain, Tensor)
    assert set(net.state_dict()) == {"scale", "count", "fc1.weight", "fc1.bias", "fc2.weight"}  # scratch isn't
    assert net.get_submodule("fc1") is net.fc1 and net.get_parameter("fc1.weight") is net.fc1.weight
    assert net.get_buffer("count") is net.count
    with pytest.raises(AttributeError, match="no submodule"):
        net.get_submodule("fc3")
    assert "fc1" in dir(net) and "scale" in dir(net)


def test_reassignment_rules():
    net = Net()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        net.scale = minigan.ones(2)
    net.scale = None
    assert net.scale is None and "scale" in net._parameters
    net.scale = nn.Parameter(minigan.ones(2))
    with pytest.raises(TypeError, match="child module 'fc1'"):
        net.fc1 = 3
    net.count = minigan.ones(1)  # buffers take new Tensors (or arrays)
    assert isinstance(net.count, Tensor) and net.count.array[0] == 1
    net.count = np.zeros(1)
    assert isinstance(net.count, Tensor)
    net.fc1 = nn.Linear(3, 4)  # a new child replaces the old one in place
    assert list(net._modules) == ["fc1", "act", "fc2"]
    net.act = nn.Parameter(minigan.ones(1))  # an attribute moves between registries as in PyTorch
    assert "act" in net._parameters and "act" not in net._modules
    del net.act
    assert "act" not in net._parameters
    del net.count
    assert "count" not in net._buffers
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        net.nothing


def test_registration_errors():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(minigan.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    m = nn.Module()
    with pytest.raises(KeyError, match="cannot contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="empty"):
        m.register_buffer("", None)
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        m.register_parameter("w", minigan.ones(1))
    with pytest.raises(TypeError, match="buffer"):
        m.register_buffer("b", [1, 2])
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("x", 3)
    m.foo = 1
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("foo", None)
    with pytest.raises(NotImplementedError, match="forward"):
        m(1)


def test_shared_parameters_are_listed_once_but_saved_under_each_name():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    tied[1].weight = tied[0].weight
    assert len(list(tied.parameters())) == 3


@settings(max_examples=30, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=2, max_size=6), bias=st.booleans())
def test_mlp_parameter_count_and_names(widths, bias):
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers += [nn.Linear(a, b, bias=bias), nn.LeakyReLU(0.2)]
    mlp = nn.Sequential(*layers)
    expected = sum(a * b + (b if bias else 0) for a, b in zip(widths, widths[1:]))
    assert sum(p.numel() for p in mlp.parameters()) == expected
    names = [n for n, _ in mlp.named_parameters()]
    assert names == [f"{2 * i}.{k}" for i in range(len(widths) - 1) for k in (["weight", "bias"] if bias else ["weight"])]
    x = minigan.randn(3, widths[0])
    assert mlp(x).shape == (3, widths[-1])


# ---- modes, gradients, in-place changes ------------------------------------------------------

def test_train_and_eval_recurse():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net[1].train(False)
    assert net.training and not net[1][0].training
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_backward_fills_grads_and_zero_grad_clears_them():
    net = Net()
    net(minigan.randn(5, 3)).sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters())
    grad = net.fc1.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.fc1.weight.grad is grad and np.all(grad.array == 0)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_requires_grad_and_apply():
    net = Net()
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.requires_grad_() is net and all(p.requires_grad for p in net.parameters())
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Linear", "Net"]  # children first, as PyTorch
    net.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert np.all(net.fc1.weight.array == 0)


@pytest.mark.parametrize("how", ["double", "to_str", "to_numpy", "to_kw", "to_tensor"])
def test_to_dtype_converts_params_grads_and_buffers_in_place(how):
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    net(minigan.randn(6, 3)).sum().backward()
    params = list(net.parameters())  # what an optimiser would hold
    {"double": lambda: net.double(), "to_str": lambda: net.to("float64"), "to_numpy": lambda: net.to(np.float64),
     "to_kw": lambda: net.to(dtype=minigan.float64),
     "to_tensor": lambda: net.to(minigan.zeros(1, dtype="float64"))}[how]()
    assert list(net.parameters()) == params or all(a is b for a, b in zip(net.parameters(), params))
    for p in net.parameters():
        assert p.dtype == np.float64 and p.grad.dtype == np.float64 and isinstance(p, nn.Parameter)
    assert net[1].running_mean.dtype == np.float64 and net[1].running_var.dtype == np.float64
    assert net[1].num_batches_tracked.dtype == np.int64  # integer buffers keep their dtype
    assert net(minigan.randn(2, 3, dtype="float64")).dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.to("cpu") is net and net.cpu() is net


def test_to_rejects_bad_arguments():
    net = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="floating point"):
        net.to(np.int32)
    with pytest.raises(TypeError):
        net.to("banana")
    if not minigan.backend.cuda_available():
        with pytest.raises(minigan.DeviceError, match="CuPy|GPU"):
            net.to("cuda")


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    out = lin(minigan.ones(1, 2))
    np.testing.assert_allclose(out.array, lin.bias.array[None])
    assert calls == [(1, 2)]
    h1.remove()
    h2.remove()
    h2.remove()  # removing twice is harmless
    assert not np.allclose(lin(minigan.ones(1, 2)).array, lin.bias.array[None])
    assert calls == [(1, 2)]
    with lin.register_forward_hook(lambda m, a, o: o * 0):
        assert np.all(lin(minigan.ones(1, 2)).array == 0)
    assert not np.all(lin(minigan.ones(1, 2)).array == 0)


def test_deepcopy_and_pickle_make_independent_copies():
    net = Net()
    net(minigan.randn(2, 3)).sum().backward()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert type(clone.fc1.weight) is nn.Parameter and clone.fc1.weight is not net.fc1.weight
        np.testing.assert_array_equal(clone.fc1.weight.array, net.fc1.weight.array)
        clone.fc1.weight.array += 1
        assert not np.array_equal(clone.fc1.weight.array, net.fc1.weight.array)
        assert [n for n, _ in clone.named_parameters()] == [n for n, _ in net.named_parameters()]
        x = minigan.randn(2, 3)
        clone.load_state_dict(net.state_dict())
        np.testing.assert_array_equal(clone(x).array, net(x).array)


# ---- repr ------------------------------------------------------------------------------------

def test_repr_matches_pytorch_layout():
    g = nn.Sequential(
        nn.Linear(100, 6272, bias=False), nn.BatchNorm1d(6272), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 1, kernel_size=3, padding=1), nn.Dropout(0.3), nn.Tanh(), nn.Flatten(),
        nn.Sequential(nn.Identity(), nn.Sigmoid()))
    assert repr(g) == """Sequential(
  (0): Linear(in_features=100, out_features=6272, bias=False)
  (1): BatchNorm1d(6272, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (2): ReLU()
  (3): Unflatten(dim=1, unflattened_size=(128, 7, 7))
  (4): ConvTranspose2d(128, 64, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
  (5): BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (6): LeakyReLU(negative_slope=0.2)
  (7): Conv2d(64, 1, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
  (8): Dropout(p=0.3, inplace=False)
  (9): Tanh()
  (10): Flatten(start_dim=1, end_dim=-1)
  (11): Sequential(
    (0): Identity()
    (1): Sigmoid()
  )
)"""
    assert repr(Net()).startswith("Net(\n  (fc1): Linear(in_features=3, out_features=4, bias=True)\n")
    assert repr(nn.Sequential()) == "Sequential()"
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"


# ---- containers ------------------------------------------------------------------------------

def test_sequential_behaves_like_a_list():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b and list(seq) == [a, b]
    seq.append(c)
    assert seq[2] is c and list(seq._modules) == ["0", "1", "2"]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert seq(minigan.randn(4, 2)).shape == (4, 1)
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and seq[0] is b
    seq.insert(0, a)
    assert list(seq) == [a, b, c]
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    with pytest.raises(IndexError):
        seq[3]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and isinstance(named.act, nn.ReLU)
    assert len(nn.Sequential(a) + nn.Sequential(b)) == 2
    seq.extend([nn.Identity()])
    assert len(seq) == 4


def test_module_list_and_dict():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(blocks) == 3 and len(list(blocks.parameters())) == 6
    blocks.append(nn.ReLU())
    blocks += [nn.Tanh()]
    assert [n for n, _ in blocks.named_children()] == ["0", "1", "2", "3", "4"]
    assert isinstance(blocks[-1], nn.Tanh) and isinstance(blocks[1:3], nn.ModuleList)
    del blocks[0]
    assert list(blocks._modules) == ["0", "1", "2", "3"]
    blocks.insert(0, nn.Identity())
    assert isinstance(blocks[0], nn.Identity)

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = nn.ModuleDict({"real": nn.Linear(2, 1), "cls": nn.Linear(2, 3)})

    h = Holder()
    assert list(h.state_dict()) == ["heads.real.weight", "heads.real.bias", "heads.cls.weight", "heads.cls.bias"]
    assert "real" in h.heads and list(h.heads.keys()) == ["real", "cls"] and len(h.heads) == 2
    assert h.heads.pop("cls") is not None and len(h.heads) == 1


@pytest.mark.skipif(not minigan.backend.cuda_available(), reason="needs a CUDA GPU and CuPy")
def test_to_cuda_and_back_keeps_objects_and_values():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    params = list(net.parameters())
    before = net.state_dict()
    assert net.to("cuda") is net
    assert all(a is b for a, b in zip(net.parameters(), params))
    assert all(p.device.type == "cuda" for p in net.parameters())
    assert all(b.device.type == "cuda" for b in net.buffers())
    out = net(minigan.randn(5, 3, device="cuda"))
    out.sum().backward()
    assert all(p.grad.device.type == "cuda" for p in net.parameters())
    sd = net.state_dict()
    assert all(isinstance(v, np.ndarray) for v in sd.values())  # host copies
    net.load_state_dict(before)  # NumPy values go onto the GPU arrays in place
    assert net[0].weight.device.type == "cuda"
    net.cpu()
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
