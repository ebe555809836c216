# Shows: the engine at work: a graph drawn, backpropagated and differentiated twice, the functional transforms,
#        anomaly detection and a version-counter error.
# Takes: about a second on a CPU.
"""A tour of the engine: build a graph, look at it, backpropagate, take a second derivative,
then the functional transforms (jacobian, hvp, jvp), anomaly detection and a version-counter error.

    python examples/autodiff_tour.py [OUTPUT_DIR]

Writes graph.dot (and graph.png when Graphviz's `dot` is installed) into OUTPUT_DIR,
or into a new temporary directory when none is given.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

import minigan as mg


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="minigan-tour-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    mg.manual_seed(0)

    # 1. Build: one dense layer with a tanh, and a squared-error loss. The graph is
    #    recorded as the code runs (define-by-run); names only make the picture readable.
    x = mg.randn(4, 3)
    x.name = "x"
    w = mg.randn(3, 2, requires_grad=True)
    w.name = "w"
    b = mg.zeros(2, requires_grad=True)
    b.name = "b"
    target = mg.ones(4, 2)
    h = mg.tanh(x @ w + b)
    loss = ((h - target) ** 2).mean()
    loss.name = "loss"

    # 2. Look: every function between the parameters and the loss, with shapes and dtypes.
    #    (Export before backward: backward frees the graph to give the memory back.)
    dot = mg.to_dot(loss)
    print("The graph in Graphviz DOT:\n")
    print(dot)
    picture = mg.render_graph(loss, out_dir / "graph")
    print(f"wrote {out_dir / 'graph.dot'}")
    if picture.suffix == ".png":
        print(f"wrote {picture}")
    else:
        print("Graphviz `dot` is not installed, so no PNG (apt-get install graphviz)")

    # 3. Backpropagate: gradients land in .grad of every leaf that requires them.
    loss.backward()
    print(f"\nloss = {loss.item():.6f}")
    print("d loss / d w =\n", w.grad.numpy())
    print("d loss / d b =", b.grad.numpy())

    # 4. Second derivative: grad with create_graph=True returns a differentiable gradient.
    z = mg.tensor([-1.0, 0.0, 0.5, 2.0], dtype=mg.float64, requires_grad=True)
    (first,) = mg.grad(mg.tanh(z).sum(), z, create_graph=True)  # 1 - tanh^2
    (second,) = mg.grad(first.sum(), z)  # -2 tanh (1 - tanh^2)
    t = np.tanh(z.numpy())
    print("\nd/dz tanh(z)   =", first.numpy(), " expected", 1 - t ** 2)
    print("d2/dz2 tanh(z) =", second.numpy(), " expected", -2 * t * (1 - t ** 2))
    assert np.allclose(second.numpy(), -2 * t * (1 - t ** 2))

    # 5. Functional transforms, torch.autograd.functional's names: whole Jacobians and Hessian products.
    from minigan.autograd.functional import hessian, hvp, jacobian, jvp
    f = lambda v: (v ** 3).sum()  # noqa: E731
    p = mg.tensor([1.0, 2.0], dtype=mg.float64)
    print("\njacobian of v**2 at", p.numpy(), "=\n", jacobian(lambda v: v ** 2, p).numpy())
    print("hessian of sum(v**3) =\n", hessian(f, p).numpy())
    print("hvp with u = [1, 1]:", hvp(f, p, mg.ones(2, dtype=mg.float64))[1].numpy())
    print("jvp of sin along [1, 0] (by the double-vjp trick):",
          jvp(mg.sin, p, mg.tensor([1.0, 0.0], dtype=mg.float64))[1].numpy())

    # 6. Anomaly detection: which op made the NaN, and which line of yours created it.
    q = mg.tensor([0.0, 4.0], dtype=mg.float64, requires_grad=True)
    with mg.autograd.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        try:
            (mg.sqrt(q) * 0.0).sum().backward()  # sqrt'(0) = inf, times 0: NaN
        except RuntimeError as error:
            print("\nanomaly detection:", error)

    # 7. Version counters: changing a tensor in place after an op saved it is an error, not a wrong gradient.
    r = mg.tensor([1.0, 2.0], requires_grad=True)
    e = r.exp()
    e.mul_(2.0)  # Exp's backward would read the doubled values
    try:
        e.sum().backward()
    except RuntimeError as error:
        print("\nversion counter:", error)

    print(f"\noutput in {out_dir}" + ("" if shutil.which("dot") else " (DOT only)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
