# Shows: micrograd's README, run on minigan through PyTorch's names: a scalar expression with relu and its
# gradients, then a small MLP trained with SGD on two interleaved half-moons.
# Takes: about 2 seconds on a CPU.
#
#     python examples/micrograd_style.py [--steps 100]
#
# The code is PyTorch code: only the import lines differ (`import torch` -> `import minigan as torch`).
import argparse
import math

import numpy as np

import minigan as torch
import minigan.nn.functional as F
from minigan import nn, optim

parser = argparse.ArgumentParser(description="micrograd's demo on minigan")
parser.add_argument("--steps", type=int, default=100, help="SGD steps on the moons (at least 1)")
args = parser.parse_args()
if args.steps < 1:
    parser.error("--steps must be at least 1")

# ---- the expression of micrograd's README (its test_sanity_check against torch, as written there)
a = torch.Tensor([-4.0]).double()
b = torch.Tensor([2.0]).double()
a.requires_grad = True
b.requires_grad = True
c = a + b
d = a * b + b**3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d * 2 + (b + a).relu()
d = d + 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g = g + 10.0 / f
g.backward()
print(f"{g.data.item():.4f}")  # 24.7041, the outcome of this forward pass
print(f"{a.grad.item():.4f}")  # 138.8338, i.e. the numerical value of dg/da
print(f"{b.grad.item():.4f}")  # 645.5773, i.e. the numerical value of dg/db
assert math.isclose(g.data.item(), 24.7041, abs_tol=1e-4)
assert math.isclose(a.grad.item(), 138.8338, abs_tol=1e-4) and math.isclose(b.grad.item(), 645.5773, abs_tol=1e-4)


# ---- a tiny MLP on make_moons-like data, with micrograd's max-margin loss and L2 penalty
def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 1):
    """Two interleaved half circles, labels in {-1, +1} (scikit-learn's make_moons, without sklearn)."""
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    angle_out, angle_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_samples - n_out)
    X = np.concatenate([np.stack([np.cos(angle_out), np.sin(angle_out)], 1),
                        np.stack([1 - np.cos(angle_in), 1 - np.sin(angle_in) - 0.5], 1)])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([-np.ones(n_out), np.ones(n_samples - n_out)])
    return X, y


torch.manual_seed(1337)
X, y = make_moons(n_samples=100, noise=0.1)
inputs = torch.tensor(X, dtype=torch.float32)
labels = torch.tensor(y, dtype=torch.float32)

model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
print(model)
print("number of parameters", sum(p.numel() for p in model.parameters()))
optimizer = optim.SGD(model.parameters(), lr=1.0)

for k in range(args.steps):
    scores = model(inputs).squeeze(1)
    data_loss = F.relu(1 - labels * scores).mean()  # svm "max-margin" loss
    reg_loss = 1e-4 * sum((p * p).sum() for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = ((scores > 0) == (labels > 0)).float().mean()

    optimizer.zero_grad()
    total_loss.backward()
    for group in optimizer.param_groups:  # micrograd's learning-rate decay
        group["lr"] = 1.0 - 0.9 * k / args.steps
    optimizer.step()
    if k % 10 == 0 or k == args.steps - 1:
        print(f"step {k} loss {total_loss.item():.4f}, accuracy {accuracy.item() * 100:.0f}%")
