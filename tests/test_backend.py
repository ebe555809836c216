"""minigan/backend.py, cuda.py and creation.py: devices, moving between them, the errors for a
missing CuPy or mixed devices, tensor factories, seeding, default dtypes."""
import sys

import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan.backend import Device, DeviceError

# ---- device names --------------------------------------------------------------------------


def test_device_parsing_and_equality():
    assert str(Device("cpu")) == "cpu" and Device(None) == "cpu" and Device(" CPU ") == "cpu"
    assert Device("cuda") == Device("cuda:0") == "cuda:0"
    assert Device("cuda:3").index == 3 and Device("cuda:3").type == "cuda"
    assert Device(Device("cuda:1")) == "cuda:1"
    assert repr(Device("cuda:2")) == "device('cuda:2')"
    assert hash(Device("cuda")) == hash(Device("cuda:0"))
    assert Device("cpu") != "cuda" and Device("cpu") != "nonsense"
    assert mg.device("cpu") == "cpu"


@pytest.mark.parametrize("spec, message", [
    ("gpu", r"unknown device 'gpu': use 'cpu', 'cuda' or 'cuda:N'"),
    ("cuda:x", r"bad device 'cuda:x': the index after 'cuda:' must be a non-negative integer"),
    ("cuda:-1", r"bad device 'cuda:-1'"),
    (3, r"device must be a string like 'cpu', 'cuda' or 'cuda:0', got 3"),
])
def test_bad_device_strings_raise_clearly(spec, message):
    with pytest.raises(DeviceError, match=message):
        Device(spec)
    with pytest.raises(DeviceError, match=message):
        mg.zeros(2, device=spec)


# ---- CUDA without CuPy -------------------------------------------------------------------


@pytest.fixture
def without_cupy(monkeypatch):
    """Pretend CuPy is not installed: its import fails and the backend looks again."""
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now raises ImportError
    monkeypatch.delenv("MINIGAN_CUPY_STANDIN", raising=False)  # and the stand-in is not asked for
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", None)
    monkeypatch.setattr(backend, "_cupy_checked", False)
    monkeypatch.setattr(backend, "_gpu_count", None)


@pytest.mark.parametrize("make_cuda", [
    lambda: mg.zeros(2, device="cuda"),
    lambda: mg.ones((2, 3), device="cuda:0"),
    lambda: mg.randn(3, device="cuda"),
    lambda: mg.arange(3, device="cuda"),
    lambda: mg.tensor([1.0, 2.0], device="cuda"),
    lambda: mg.tensor([1.0, 2.0]).cuda(),
    lambda: mg.tensor([1.0, 2.0], requires_grad=True).to("cuda"),
    lambda: mg.cuda.synchronize(),
], ids=["zeros", "ones", "randn", "arange", "tensor", ".cuda()", ".to", "synchronize"])
def test_cuda_without_cupy_says_how_to_install_it(without_cupy, make_cuda):
    with pytest.raises(DeviceError, match=r"CuPy is not importable.*pip install 'minigan\[cuda\]'") as info:
        make_cuda()
    assert not isinstance(info.value, ImportError)
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no ImportError trace


def test_is_available_never_raises(without_cupy):
    assert mg.cuda.is_available() is False
    assert mg.cuda.device_count() == 0
    mg.synchronize("cpu")  # a no-op on the CPU
    mg.manual_seed(0)  # seeding skips the missing backend


# ---- mixing devices ----------------------------------------------------------------------


class _FakeCudaDevice:
    def __init__(self, index):
        self.id = index


class _FakeCudaArray:
    """Just enough of a CuPy array for the engine to ask where it lives."""

    def __init__(self, shape, index=0):
        self.shape, self.dtype, self.device = tuple(shape), np.dtype(np.float32), _FakeCudaDevice(index)
        self.ndim, self.size = len(self.shape), int(np.prod(self.shape))


def _fake_cuda_tensor(shape, index=0):
    t = mg.zeros(shape)
    t.array = _FakeCudaArray(shape, index)
    return t


def test_device_of_reads_cupy_style_arrays():
    assert backend.device_of(np.ones(2)) == "cpu" and backend.device_of(np.float32(1)) == "cpu"
    assert backend.device_of(_FakeCudaArray((2,), 1)) == "cuda:1"
    assert _fake_cuda_tensor((2,), 1).device == "cuda:1"


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a @ b, lambda a, b: mg.concat([a, b]),
    lambda a, b: mg.where(np.array([True, False]), a, b), lambda a, b: mg.maximum(a, b),
], ids=["add", "mul", "matmul", "concat", "where", "maximum"])
def test_mixing_devices_names_both(op):
    cpu = mg.ones(2)
    gpu = _fake_cuda_tensor((2,))
    with pytest.raises(DeviceError, match=r"expected all tensors on the same device, got cpu and cuda:0"):
        op(cpu, gpu)
    with pytest.raises(DeviceError, match=r"got cuda:0 and cpu"):
        op(gpu, cpu)


def test_mixing_two_gpus_names_both():
    with pytest.raises(DeviceError, match=r"Add: expected all tensors on the same device, got cuda:0 and cuda:1"):
        _fake_cuda_tensor((2,), 0) + _fake_cuda_tensor((2,), 1)


def test_real_devices_mix_error(device):
    if device == "cpu":
        pytest.skip("needs a GPU to mix with")
    with pytest.raises(DeviceError, match=r"got cpu and cuda:0"):
        mg.ones(2) + mg.ones(2, device=device)


# ---- moving between devices ------------------------------------------------------------


def test_tensor_knows_its_device_and_moves(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    assert x.device == device
    assert isinstance(x.numpy(), np.ndarray)  # always a host array
    assert x.to(device) is x
    on_cpu = x.cpu()
    assert on_cpu.device == "cpu" and isinstance(on_cpu.array, np.ndarray)
    (on_cpu * 3).sum().backward()  # the gradient flows back to the original device
    assert x.grad.device == device
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_cuda_round_trip(device):
    if device == "cpu":
        pytest.skip("needs a GPU")
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda()
    assert y.device == "cuda:0" and x.to("cuda:0").device == "cuda"
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    mg.cuda.synchronize()
    assert mg.cuda.is_available() and mg.cuda.device_count() >= 1


# ---- creation ------------------------------------------------------------------------------


def test_tensor_factory_dtypes(device):
    assert mg.tensor(1.5, device=device).dtype == np.float32
    assert mg.tensor([1, 2], device=device).dtype == np.int64
    assert mg.tensor([1.0], dtype="float64", device=device).dtype == np.float64
    assert mg.tensor(np.ones(2), device=device).dtype == np.float64  # a NumPy array keeps its dtype
    assert mg.tensor([1.0], dtype=mg.float64, device=device).dtype == np.float64
    x = mg.tensor([1.0, 2.0], requires_grad=True, device=device)
    assert x.requires_grad and x.is_leaf and x.device == device
    copy = mg.tensor(x)
    assert not copy.requires_grad and copy.array is not x.array


@pytest.mark.parametrize("factory, expected", [
    (lambda d: mg.zeros(2, 3, device=d), np.zeros((2, 3))),
    (lambda d: mg.zeros((2, 3), device=d), np.zeros((2, 3))),
    (lambda d: mg.ones(4, device=d), np.ones(4)),
    (lambda d: mg.full((2, 2), 7.0, device=d), np.full((2, 2), 7.0)),
    (lambda d: mg.full(3, -1.0, device=d), np.full(3, -1.0)),
    (lambda d: mg.arange(0.0, 1.0, 0.25, device=d), np.arange(0, 1, 0.25)),
    (lambda d: mg.zeros_like(mg.ones(3, device=d)), np.zeros(3)),
    (lambda d: mg.ones_like(mg.zeros((1, 2), device=d)), np.ones((1, 2))),
], ids=["zeros", "zeros-tuple", "ones", "full", "full-int", "arange-float", "zeros_like", "ones_like"])
def test_fill_factories_are_float32_on_the_device(device, factory, expected):
    t = factory(device)
    assert t.dtype == np.float32 and t.device == device and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), expected)


def test_factories_take_dtype_and_requires_grad(device):
    assert mg.zeros(2, dtype="float64", device=device).dtype == np.float64
    assert mg.ones(2, dtype=np.int32, device=device).dtype == np.int32
    assert mg.arange(5, device=device).dtype == np.int64
    np.testing.assert_array_equal(mg.arange(2, 5, device=device).numpy(), [2, 3, 4])
    assert mg.randn(2, dtype=mg.float64, device=device).dtype == np.float64
    assert mg.rand(2, 2, requires_grad=True, device=device).requires_grad
    with pytest.raises(RuntimeError, match="floating point dtype"):
        mg.zeros(2, dtype=np.int64, requires_grad=True, device=device)


def test_random_factories(device):
    mg.manual_seed(0)
    n = mg.randn(2000, device=device)
    u = mg.rand(4, 500, device=device)
    assert n.dtype == u.dtype == np.float32 and n.shape == (2000,) and u.shape == (4, 500)
    assert abs(n.numpy().mean()) < 0.1 and 0.9 < n.numpy().std() < 1.1
    assert u.numpy().min() >= 0 and u.numpy().max() < 1
    assert mg.randn_like(u).shape == u.shape


def test_manual_seed_makes_both_generators_repeat(device):
    state = np.random.get_state()
    mg.manual_seed(123)
    a = (mg.randn(5, device=device).numpy(), mg.rand(3, device=device).numpy())
    mg.manual_seed(123)
    b = (mg.randn(5, device=device).numpy(), mg.rand(3, device=device).numpy())
    mg.manual_seed(124)
    c = mg.randn(5, device=device).numpy()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c)
    assert all(np.array_equal(x, y) for x, y in zip(np.random.get_state()[1:2], state[1:2]))  # NumPy's own untouched


def test_rng_state_round_trip():
    mg.manual_seed(7)
    state = backend.get_rng_state()
    first = mg.randn(4).numpy()
    backend.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(4).numpy(), first)


def test_import_does_not_retune_malloc_and_tune_allocator_is_explicit():
    import os
    import subprocess
    import sys
    code = ("import minigan, minigan.nn, minigan.optim, minigan.gan; from minigan import backend; "
            "before = backend.allocator_tuned(); tuned = backend.tune_allocator(); "
            "print(before, tuned, backend.allocator_tuned())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False"  # importing the library left the host process's malloc alone
    expected = sys.platform.startswith("linux")
    assert out[1:] == [str(expected)] * 2
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MINIGAN_MALLOC_TUNING": "0"}).stdout.split()
    assert off == ["False", "False", "False"]
