"""minigan/_cupy_standin: each CuPy rule it enforces, shown raising where CuPy raises.

The messages and exception types are CuPy's (cupy/_core/core.pyx, _kernel.pyx, _scalar.pyx,
_routines_indexing.pyx, _manipulation/basic.py), so code that handles one handles the other.
"""
from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import minigan._cupy_standin as cp
from minigan._cupy_standin import cuda, cupyx

IMPLICIT = r"Implicit conversion to a NumPy array is not allowed\. Please use `\.get\(\)`"
HOST = r"Unsupported type <class 'numpy\.ndarray'>"


def test_its_ndarray_is_not_a_numpy_array():
    a = cp.arange(3.0)
    assert not isinstance(a, np.ndarray) and isinstance(a, cp.ndarray)
    assert type(a).__module__ == "cupy" and a.device.id == 0


@pytest.mark.parametrize("convert", [np.asarray, np.array, np.ascontiguousarray, lambda a: a.__array__(),
                                     lambda a: np.zeros(3)[...].__setitem__(..., a)],
                         ids=["asarray", "array", "ascontiguousarray", "__array__", "host[...] = device"])
def test_implicit_conversion_to_numpy_raises_cupys_type_error(convert):
    with pytest.raises(TypeError, match=IMPLICIT):
        convert(cp.arange(3.0))


@pytest.mark.parametrize("call", [
    lambda a, h: a + h, lambda a, h: h + a, lambda a, h: a * h, lambda a, h: cp.multiply(a, h),
    lambda a, h: np.maximum(h, a), lambda a, h: cp.where(a > 0, h, a), lambda a, h: cp.concatenate([a, h]),
    lambda a, h: np.concatenate([a, h]), lambda a, h: cp.matmul(a, h), lambda a, h: cp.clip(h, 0, 1),
    lambda a, h: cp.lib.stride_tricks.as_strided(h, (3,), (8,)), lambda a, h: cupyx.scatter_add(h, [0], a),
], ids=["a+h", "h+a", "a*h", "cp.multiply", "np.maximum", "cp.where", "cp.concatenate", "np.concatenate",
        "cp.matmul", "cp.clip", "as_strided", "scatter_add"])
def test_a_host_array_where_cupy_wants_a_device_array_raises(call):
    with pytest.raises(TypeError, match=HOST):
        call(cp.arange(3.0), np.arange(3.0))


def test_comparisons_take_a_0d_host_array_as_its_value_but_refuse_a_host_array():
    a = cp.arange(3.0)
    assert (a == np.array(1.0)).get().tolist() == [False, True, False]
    with pytest.raises(TypeError, match=HOST):
        a < np.arange(3.0)


def test_ufuncs_take_no_lists_and_outputs_must_be_device_arrays():
    with pytest.raises(TypeError, match=r"Unsupported type <class 'list'>"):
        cp.add(cp.arange(2.0), [1.0, 2.0])
    with pytest.raises(TypeError, match="Output arguments must be cupy.ndarray"):
        cp.exp(cp.arange(2.0), out=np.empty(2))


def test_writing_a_host_array_into_a_device_array_raises_but_host_indices_are_fine():
    a = cp.zeros(3)
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray cannot be used for fill"):
        a[...] = np.ones(3)
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray cannot be used for copyto"):
        cp.copyto(a, np.ones(3))
    a[np.array([0, 2])] = 5.0  # CuPy copies host indices to the device itself
    a[1] = np.float64(2.0)
    cp.copyto(a[:1], np.array([7.0]))  # one value is a scalar to CuPy
    assert a.get().tolist() == [7.0, 2.0, 5.0]


def test_numpy_functions_dispatch_to_cupys_or_raise_when_cupy_lacks_them():
    a = cp.arange(4.0)
    assert isinstance(np.sum(a), cp.ndarray) and isinstance(np.exp(a), cp.ndarray)  # __array_function/ufunc__
    assert isinstance(np.linalg.norm(a), cp.ndarray)
    for lacking in (lambda: np.insert(a, 0, 1.0), lambda: np.block([a, a])):  # not in CuPy
        with pytest.raises(TypeError, match="no implementation found"):
            lacking()
    assert not hasattr(cp, "insert") and not hasattr(cp, "block") and not hasattr(cp, "nanquantile")
    assert hasattr(cp, "nanmedian") and hasattr(cp, "float32") and cp.float32 is np.float32


def test_ufunc_methods_are_cupys():
    a = cp.zeros(3)
    np.add.at(a, cp.asarray([0, 0, 2]), 1.0)  # CuPy supports add/maximum/minimum .at, repeats accumulate
    assert a.get().tolist() == [2.0, 0.0, 1.0]
    with pytest.raises(NotImplementedError, match="multiply.at"):
        cp.multiply.at(a, cp.asarray([0]), 2.0)
    assert float(np.add.reduce(cp.arange(4.0))) == 6.0
    with pytest.raises(NotImplementedError, match="maximum.reduce"):
        np.maximum.reduce(cp.arange(4.0))


def test_reductions_and_scalar_indexing_give_0d_device_arrays():
    a = cp.arange(6.0).reshape(2, 3)
    for value in (a.sum(), a[1, 2], cp.max(a), a.mean(axis=None), cp.allclose(a, a)):
        assert isinstance(value, cp.ndarray) and value.ndim == 0


def test_flags_are_cupys_without_writeable():
    flags = cp.arange(4.0).reshape(2, 2).T.flags
    assert flags.f_contiguous and not flags.c_contiguous and flags["F_CONTIGUOUS"]
    with pytest.raises(AttributeError):
        flags.writeable


def test_no_index_protocol():
    with pytest.raises(TypeError):
        [1, 2, 3][cp.asarray(1)]  # CuPy arrays have no __index__: int() it (a transfer) first


@pytest.mark.parametrize("read", [
    lambda a: a.get(), lambda a: float(a[0]), lambda a: int(a[1]), lambda a: bool(a[1]), lambda a: a[0].item(),
    lambda a: a.tolist(), lambda a: cp.asnumpy(a), lambda a: repr(a), lambda a: f"{a[0]:.2f}",
    lambda a: pickle.dumps(a),
], ids=["get", "float", "int", "bool", "item", "tolist", "asnumpy", "repr", "format", "pickle"])
def test_every_device_to_host_read_is_counted(read):
    a = cp.arange(3.0)
    with cp.count_transfers() as seen:
        read(a)
    assert seen.count == 1 and len(seen.sites) == 1 and __file__ in seen.sites[0]


def test_device_work_is_not_a_transfer():
    a = cp.arange(6.0).reshape(2, 3)
    with cp.count_transfers() as seen:
        b = (np.exp(a) * 2 + a.T.T).sum(axis=0)
        c = copy.deepcopy(b)
        a[0] = cp.asarray(np.ones(3))  # host to device is not counted
        cp.cuda.Device(0).synchronize()
    assert seen.count == 0 and c.shape == (3,)


def test_truth_of_a_many_element_array_is_ambiguous():
    with pytest.raises(ValueError, match="more than one element is ambiguous"):
        bool(cp.arange(3.0))


def test_pickle_and_asarray_round_trip():
    a = cp.arange(3.0)
    assert cp.asarray(a) is a and cp.asarray(a, dtype=np.float32) is not a
    back = pickle.loads(pickle.dumps(a))
    assert isinstance(back, cp.ndarray) and back.get().tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="Unsupported dtype object"):
        cp.asarray(np.array([None]))


def test_views_share_memory():
    a = cp.zeros(6)
    view = cp.lib.stride_tricks.as_strided(a, (3,), (16,))
    view += 1.0
    a.reshape(2, 3)[1] -= 2.0
    assert a.get().tolist() == [1.0, 0.0, 1.0, -2.0, -1.0, -2.0]


def test_get_array_module_and_scatter_add():
    a = cp.zeros(3)
    assert cp.get_array_module(np.zeros(1), a) is cp and cp.get_array_module(np.zeros(1)) is np
    cupyx.scatter_add(a, cp.asarray([1, 1, 1]), 2.0)
    assert a.get().tolist() == [0.0, 6.0, 0.0]


def test_cuda_device_runtime_streams_events_and_memory_pool():
    assert cuda.runtime.getDeviceCount() == 1
    with cuda.Device(0) as dev:
        assert dev.id == 0 and cuda.runtime.getDevice() == 0
        dev.synchronize()
    with pytest.raises(cuda.CUDARuntimeError, match="invalid device ordinal"):
        cuda.Device(1)
    assert b"stand-in" in cuda.runtime.getDeviceProperties(0)["name"]
    stream = cuda.Stream(non_blocking=True)
    with stream:
        start, end = cuda.Event(), cuda.Event()
        start.record()
        end.record()
        end.synchronize()
    stream.synchronize()
    assert cuda.get_elapsed_time(start, end) >= 0
    pool = cp.get_default_memory_pool()
    pool.free_all_blocks()
    assert pool.used_bytes() >= 0 and pool.total_bytes() >= 0


def test_random_is_cupys_api_float_dtypes_only_and_no_state_access():
    cp.random.seed(3)
    rs = cp.random.get_random_state()
    before = cp.random.DRAWS.count
    x = rs.standard_normal((2, 3), dtype=np.float32)
    assert isinstance(x, cp.ndarray) and x.dtype == np.float32 and cp.random.DRAWS.count == before + 1
    assert cp.random.random((2,), dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="float32 and float64"):
        rs.random_sample((2,), dtype=np.float16)
    assert not hasattr(rs, "get_state") and not hasattr(rs, "set_state")  # as CuPy: nothing to checkpoint


def test_minigan_loads_it_only_when_asked_and_says_so():
    code = ("import warnings, minigan; from minigan import backend; "
            "print(backend._load_cupy() is not None and getattr(backend._cupy, 'STANDIN', False))")
    env = {k: v for k, v in os.environ.items() if k != "MINIGAN_CUPY_STANDIN"}
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    off = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    on = subprocess.run([sys.executable, "-c", code], env=dict(env, MINIGAN_CUPY_STANDIN="1"),
                        capture_output=True, text=True, timeout=60)
    assert off.stdout.strip() == "False" and "stand-in" not in off.stderr
    assert on.stdout.strip() == "True" and "StandinWarning" in on.stderr and "stand-in" in on.stderr


def test_kernels_refuse_arrays_on_another_gpu_and_copies_move_them(monkeypatch):
    monkeypatch.setattr(cuda, "DEVICE_COUNT", 2)  # as MINIGAN_CUPY_STANDIN_DEVICES=2
    with cuda.Device(1):
        b = cp.ones(3)
        assert b.device.id == 1 and (b + 1).device.id == 1 and b.reshape(3, 1).device.id == 1
    a = cp.ones(3)
    assert a.device.id == 0 and cp.asarray(b) is b  # asarray leaves an array where it is
    for mixed in (lambda: a + b, lambda: b * 2, lambda: b.sum(), lambda: a.__setitem__(..., b)):
        with pytest.raises(ValueError, match=r"resides \(1\) is different from the current device \(0\)"):
            mixed()
    moved = b.copy()  # CuPy copies across devices onto the current one
    assert moved.device.id == 0 and (a + moved).get().tolist() == [2.0, 2.0, 2.0]
