"""Anomaly detection: detect_anomaly / set_detect_anomaly name the Function that made a NaN or inf
gradient, its input shapes and the user's line that created it; off by default."""
import numpy as np
import pytest

import minigan as mg
from minigan.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly


def _line_of(marker: str) -> int:
    with open(__file__) as f:
        return next(i for i, text in enumerate(f, 1) if text.rstrip().endswith(marker))


def test_nan_gradient_names_function_shapes_and_user_line():
    x = mg.tensor(np.array([[0.0, 1.0, 4.0]]), requires_grad=True)
    with detect_anomaly():
        y = (x.sqrt() * 0.0).sum()  # anomaly-site
        with pytest.raises(RuntimeError) as info:
            y.backward()
    message = str(info.value)
    assert message.startswith("Function 'SqrtBackward0' returned nan values in its 0th output "
                              "(the gradient for input 0; inputs: (1, 3) float64).")
    assert f"Sqrt was created at {__file__}:{_line_of('# anomaly-site')} in " \
           "test_nan_gradient_names_function_shapes_and_user_line: y = (x.sqrt() * 0.0).sum()  # anomaly-site" in message


def test_inf_gradient_is_reported_too():
    x = mg.tensor([0.0, 2.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError, match="Function 'LogBackward0' returned inf values"):
        x.log().sum().backward()


def test_off_by_default_and_restored_after_the_block():
    assert not is_anomaly_enabled()
    x = mg.tensor([0.0, 2.0], requires_grad=True)
    y = x.log()
    assert "_anomaly_frame" not in y.creator.__dict__  # nothing recorded when off
    y.sum().backward()  # inf flows silently, as in PyTorch
    assert np.isinf(x.grad.numpy()[0])
    with detect_anomaly():
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()


def test_set_detect_anomaly_as_call_and_context_manager():
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
        x = mg.tensor([-1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            x.sqrt().sum().backward()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()
    with set_detect_anomaly(True):
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()


def test_as_a_decorator_and_for_functions_made_before_it_was_on():
    x = mg.tensor([0.0], requires_grad=True)
    y = x.sqrt().sum()

    @detect_anomaly()
    def run():
        y.backward()

    with pytest.raises(RuntimeError, match="Sqrt was created before anomaly detection was switched on"):
        run()


def test_finite_gradients_pass_under_detection():
    x = mg.randn(3, requires_grad=True)
    with detect_anomaly():
        (x.tanh() * x).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
