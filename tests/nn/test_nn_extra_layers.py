"""The resampling, padding, block, activation and container layers: construction checks, errors that
name the layer, Module.half, ParameterList/ParameterDict behaviour and weight_norm's hook."""
import numpy as np
import pytest

import minigan as mg
import minigan.nn as nn


def test_half_casts_parameters_and_buffers_to_float16():
    m = nn.Sequential(nn.Conv1d(2, 3, 3), nn.BatchNorm1d(3))
    m.half()
    assert {np.dtype(p.dtype) for p in m.parameters()} == {np.dtype(np.float16)}
    assert m[1].running_mean.dtype == np.float16 and m[1].num_batches_tracked.dtype.kind == "i"


def test_parameter_list_registers_wraps_and_indexes():
    pl = nn.ParameterList([mg.ones(2)])
    pl.append(nn.Parameter(mg.zeros(3)))
    assert isinstance(pl[0], nn.Parameter) and len(pl) == 2 and pl[-1].shape == (3,)
    assert list(pl.state_dict()) == ["0", "1"] and len(list(pl.parameters())) == 2
    pl[0] = mg.full((4,), 2.0)
    assert pl[0].shape == (4,) and [p.shape for p in pl] == [(4,), (3,)]
    with pytest.raises(IndexError, match="ParameterList: index 2"):
        pl[2]


def test_parameter_dict_orders_and_registers():
    pd = nn.ParameterDict({"b": mg.ones(1), "a": mg.ones(2)})
    assert list(pd) == ["a", "b"] and list(pd.state_dict()) == ["a", "b"]
    pd["c"] = nn.Parameter(mg.ones(3))
    assert "c" in pd and pd["c"].shape == (3,) and len(list(pd.parameters())) == 3
    assert pd.pop("a").shape == (2,) and list(pd.keys()) == ["b", "c"]
    with pytest.raises(KeyError):
        pd["a"]


def test_weight_norm_recomputes_the_weight_and_trains_g_and_v():
    layer = nn.utils.weight_norm(nn.Linear(3, 2, dtype="float64"))
    layer.weight_g.array[...] = 2.0
    x = mg.tensor(np.ones((1, 3)))
    layer(x).sum().backward()
    np.testing.assert_allclose(np.linalg.norm(layer.weight.numpy(), axis=1), [2.0, 2.0])
    assert layer.weight_g.grad is not None and layer.weight_v.grad is not None
    with pytest.raises(RuntimeError, match="two weight_norm hooks"):
        nn.utils.weight_norm(layer)
    nn.utils.remove_weight_norm(layer)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(layer)
    with pytest.raises(ValueError, match="weight_norm: ReLU has no parameter 'weight'"):
        nn.utils.weight_norm(nn.ReLU())


def test_layers_reject_bad_input_naming_themselves():
    with pytest.raises(ValueError, match=r"Conv1d expects 2-D \(C, L\) or 3-D \(N, C, L\) input, got shape"):
        nn.Conv1d(2, 3, 3)(mg.zeros(1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"ReflectionPad2d: expected a 3-D .* got shape \(4, 4\)"):
        nn.ReflectionPad2d(1)(mg.zeros(4, 4))
    with pytest.raises(ValueError, match="ZeroPad2d: padding must be an int or a 4-tuple"):
        nn.ZeroPad2d((1, 2, 3))
    with pytest.raises(ValueError, match="PReLU: num_parameters must be a positive integer"):
        nn.PReLU(0)
    with pytest.raises(ValueError, match="Hardtanh: min_val cannot be greater than max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="GELU: approximate must be"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(2.0)


def test_dropout2d_is_identity_in_eval_and_drops_channels_in_training():
    layer = nn.Dropout2d(0.5)
    x = mg.ones(2, 6, 3, 3)
    layer.eval()
    assert layer(x) is x
    layer.train()
    mg.manual_seed(1)
    y = layer(x).numpy().reshape(2, 6, 9)
    assert np.all(y.min(axis=2) == y.max(axis=2)) and set(np.unique(y)) <= {0.0, 2.0}


def test_unbatched_inputs_and_conv1d_same_padding():
    conv = nn.Conv1d(2, 3, 4, padding="same")
    assert conv(mg.zeros(1, 2, 9)).shape == (1, 3, 9) and conv(mg.zeros(2, 9)).shape == (3, 9)
    assert nn.AdaptiveAvgPool2d(1)(mg.zeros(3, 5, 5)).shape == (3, 1, 1)
    assert nn.Unfold(2)(mg.zeros(3, 4, 4)).shape == (12, 9)
    assert nn.ReplicationPad2d(1)(mg.zeros(3, 4, 4)).shape == (3, 6, 6)
