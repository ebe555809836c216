"""minigan/graphviz.py and the engine examples: DOT export (and PNG where Graphviz is installed);
examples/autodiff_tour.py and examples/custom_function_gradcheck.py run end to end."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import minigan as mg

ROOT = Path(__file__).resolve().parents[2]


def _run_example(name: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args], capture_output=True,
                            text=True, timeout=60, env=env, cwd=ROOT)
    assert time.perf_counter() - start < 20, f"{name} should run in a few seconds"
    return result


def _small_graph():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    x.name = "input"
    w = mg.randn(3, 4, dtype="float64", requires_grad=True)
    return (mg.tanh(x @ w) * 2).sum()


def test_to_dot_names_ops_shapes_and_dtypes():
    dot = mg.to_dot(_small_graph())
    assert dot.startswith("digraph minigan {") and dot.rstrip().endswith("}")
    for op in ("MatMul", "Tanh", "Mul", "Sum"):
        assert f'label="{op}"' in dot
    assert 'label="input\\n(2, 3) float64"' in dot
    assert "(3, 4) float64" in dot and "(2, 4) float64" in dot and '"() float64"' in dot
    # x, w -> MatMul -> . -> Tanh -> . -> Mul (and a constant ->) -> . -> Sum -> .
    assert dot.count("->") == 10


def test_to_dot_handles_deep_graphs_and_escapes_names():
    x = mg.tensor([1.0], requires_grad=True)
    x.name = 'say "hi"'
    y = x
    for _ in range(5000):
        y = y * 1.0
    dot = mg.to_dot(y)
    assert dot.count('label="Mul"') == 5000
    assert 'say \\"hi\\"' in dot


def test_render_graph_writes_dot_and_png_when_dot_is_installed(tmp_path):
    out = mg.render_graph(_small_graph(), tmp_path / "graph")
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    if shutil.which("dot"):
        assert out == tmp_path / "graph.png"
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert out == tmp_path / "graph.dot"


def test_render_graph_without_graphviz_still_writes_dot(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = mg.render_graph(_small_graph(), tmp_path / "g")
    assert out == tmp_path / "g.dot" and out.exists() and not (tmp_path / "g.png").exists()


def test_autodiff_tour_example(tmp_path):
    result = _run_example("autodiff_tour.py", str(tmp_path / "tour"))
    assert result.returncode == 0, result.stderr
    assert "digraph minigan" in result.stdout and "d2/dz2 tanh(z)" in result.stdout
    assert "hessian of sum(v**3) =\n [[ 6.  0.]\n [ 0. 12.]]" in result.stdout
    assert "anomaly detection: Function 'SqrtBackward0' returned nan values" in result.stdout
    assert "in main: (mg.sqrt(q) * 0.0).sum().backward()" in result.stdout  # the user's line
    assert "version counter: one of the variables needed for gradient computation has been modified by an " \
           "inplace operation" in result.stdout
    assert (tmp_path / "tour" / "graph.dot").exists()
    assert (tmp_path / "tour" / "graph.png").exists() == bool(shutil.which("dot"))


def test_autodiff_tour_defaults_to_a_temp_dir():
    result = _run_example("autodiff_tour.py")
    assert result.returncode == 0, result.stderr
    out_dir = Path(result.stdout.strip().splitlines()[-1].split("output in ")[1].split(" (")[0])
    try:
        assert (out_dir / "graph.dot").exists()
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def test_custom_function_gradcheck_example():
    result = _run_example("custom_function_gradcheck.py")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "gradcheck caught it: gradcheck failed for input 0" in out
    assert "gradgradcheck caught it: gradgradcheck (second derivatives) failed for input 0" in out
    assert "minigan.testing.check_op(swish, ...) on cpu" in out
    assert "check_op caught ArraySwish: gradgradcheck (second derivatives) failed" in out
    assert "TestSwish(OpTest).test_double_backward passed" in out
    assert "all verdicts as expected" in out
