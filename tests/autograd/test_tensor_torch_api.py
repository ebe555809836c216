"""minigan/autograd/tensor.py: the parts of Tensor a PyTorch user guesses: size()/Size, dim(), the
casts and type(), dtype names, the requires_grad rule, new_*, normal_/uniform_, inference_mode."""
import numpy as np
import pytest

import minigan as mg


def test_size_is_a_shape_tuple_and_size_d_an_int(make):
    x = make(np.zeros((2, 3)))
    s = x.size()
    assert isinstance(s, mg.Size) and isinstance(s, tuple) and s == (2, 3) and repr(s) == "minigan.Size([2, 3])"
    assert s.numel() == 6 and isinstance(s[1:], mg.Size) and s[-1] == 3 and isinstance(s + (4,), mg.Size)
    assert x.size(0) == 2 and x.size(-1) == 3 and x.dim() == 2 and x.ndimension() == 2 and x.numel() == 6
    with pytest.raises(IndexError, match=r"size: dimension out of range \(expected to be in range of \[-2, 1\], "
                                         r"but got 2\)"):
        x.size(2)
    with pytest.raises(IndexError, match="dimension specified as 0 but the tensor has no dimensions"):
        make(1.0).size(0)


def test_dtype_names_are_numpy_dtypes_and_strings_still_work():
    assert mg.float32 == np.float32 and mg.ones(2).dtype == mg.float32 and mg.float is mg.float32
    assert (mg.double, mg.half, mg.long, mg.int, mg.short, mg.bool) == \
        (np.float64, np.float16, np.int64, np.int32, np.int16, np.bool_)
    assert mg.zeros(2, dtype="float64").dtype == mg.float64 and mg.zeros(2, dtype=mg.uint8).dtype == np.uint8
    assert mg.ones(2).to("float16").dtype == mg.float16 and mg.ones(2).to(mg.int8).dtype == mg.int8


@pytest.mark.parametrize("method, dtype, name", [
    ("float", np.float32, "FloatTensor"), ("double", np.float64, "DoubleTensor"), ("half", np.float16, "HalfTensor"),
    ("long", np.int64, "LongTensor"), ("int", np.int32, "IntTensor"), ("short", np.int16, "ShortTensor"),
    ("char", np.int8, "CharTensor"), ("byte", np.uint8, "ByteTensor"), ("bool", np.bool_, "BoolTensor")])
def test_casts_and_type_names(make, method, dtype, name):
    x = make([1.5, 0.0, -2.0])
    y = getattr(x, method)()
    assert y.dtype == dtype and y.type() == f"minigan.{'cuda.' if y.is_cuda else ''}{name}"
    assert x.type(f"minigan.{name}").dtype == dtype and x.type(dtype).dtype == dtype
    assert x.type_as(y).dtype == dtype and x.to(y).dtype == dtype
    np.testing.assert_array_equal(y.numpy(), np.array([1.5, 0.0, -2.0]).astype(dtype))


def test_casts_are_differentiable_and_half_arithmetic_works(make):
    x = make([1.0, 2.0], requires_grad=True)
    y = x.half()
    z = (y * 3 + 1.5).sum()
    assert y.dtype == np.float16 and z.dtype == np.float16
    z.backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_integer_tensors_cannot_require_grad_as_in_torch():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        mg.tensor([1, 2]).requires_grad_()


def test_descriptive_methods(make):
    x = make([1.0, 2.0])
    assert x.is_floating_point() and not x.long().is_floating_point()
    assert x.element_size() == 8 and x.float().element_size() == 4 and x.bool().element_size() == 1
    assert x.is_cuda == (x.device.type == "cuda")


def test_repr_names_dtypes_torch_leaves_implicit():
    assert repr(mg.tensor([1, 2])) == "tensor([1, 2])" and repr(mg.tensor([True])) == "tensor([ True])"
    assert repr(mg.tensor([1.0], dtype=mg.float64)) == "tensor([1.], dtype=minigan.float64)"


def test_new_factories_take_this_tensors_dtype_and_device(make):
    x = make([1, 2], dtype=np.int32)
    for y, shape, value in ((x.new_zeros(2, 3), (2, 3), 0), (x.new_ones((1, 2)), (1, 2), 1),
                            (x.new_full((2,), 7), (2,), 7), (x.new_empty(3), (3,), None),
                            (x.new_tensor([[4, 5]]), (1, 2), None)):
        assert y.shape == shape and y.dtype == np.int32 and y.device == x.device
        if value is not None:
            assert (y.numpy() == value).all()
    assert x.new_zeros(2, dtype=mg.float64).dtype == np.float64


def test_normal_and_uniform_fill_in_place_from_the_seeded_generator(make):
    x = make(np.zeros(2000))
    mg.manual_seed(3)
    assert x.normal_(2.0, 0.5) is x
    first = x.numpy().copy()
    assert abs(first.mean() - 2.0) < 0.05 and abs(first.std() - 0.5) < 0.05 and x._version == 1
    mg.manual_seed(3)
    np.testing.assert_array_equal(x.normal_(2.0, 0.5).numpy(), first)
    u = x.uniform_(-1.0, 3.0).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.1
    v = x.uniform_(**{"from": 5.0, "to": 6.0}).numpy()
    assert v.min() >= 5.0 and v.max() < 6.0
    with pytest.raises(TypeError, match="normal_: expected a floating point tensor"):
        mg.tensor([1, 2]).normal_()


def test_inference_mode_records_no_graph():
    x = mg.ones(2, requires_grad=True)
    with mg.inference_mode():
        assert not (x * 2).requires_grad
        with mg.inference_mode(False):
            assert (x * 2).requires_grad

    @mg.inference_mode
    def bare():
        return (x * 2).requires_grad

    @mg.inference_mode()
    def called():
        return (x * 2).requires_grad

    assert not bare() and not called() and mg.is_grad_enabled()
