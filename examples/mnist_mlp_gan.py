# Shows: Goodfellow's fully connected GAN trained on MNIST by a plain loop.
# Takes: a few minutes an epoch (938 steps) on a laptop CPU; --max-steps 2: seconds.
"""A fully connected GAN (Goodfellow et al., 2014) on MNIST, with the training loop in front of you.

    python examples/mnist_mlp_gan.py --epochs 5
    python examples/mnist_mlp_gan.py --device cuda

G: 100 -> 256 -> 512 -> 1024 -> 784 (BatchNorm, LeakyReLU, tanh); D: 784 -> 512 -> 256 -> 1 (a logit).
Writes a grid of samples from fixed noise after every epoch to --out.
"""
import argparse
import os

import minigan
import minigan.nn.functional as F
from minigan import nn, optim
from minigan.gan.core.arguments import positive_int
from minigan.data import DataError, ImageLoader, load_dataset
from minigan.gan import save_grid

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--epochs", type=positive_int, default=5)
parser.add_argument("--max-steps", type=positive_int, default=None, help="stop after this many steps (smoke tests)")
parser.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files")
parser.add_argument("--batch-size", type=positive_int, default=64)
parser.add_argument("--width", type=positive_int, default=256, help="units of G's first hidden layer")
parser.add_argument("--device", default="cpu")
parser.add_argument("--out", default="runs/example-mlp-gan")
args = parser.parse_args()

minigan.manual_seed(0)
Z, W = 100, args.width


def block(n_in, n_out):
    return [nn.Linear(n_in, n_out), nn.BatchNorm1d(n_out), nn.LeakyReLU(0.2)]


G = nn.Sequential(*block(Z, W), *block(W, 2 * W), *block(2 * W, 4 * W),
                  nn.Linear(4 * W, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28))).to(args.device)
D = nn.Sequential(nn.Flatten(), nn.Linear(784, 2 * W), nn.LeakyReLU(0.2),
                  nn.Linear(2 * W, W), nn.LeakyReLU(0.2), nn.Linear(W, 1)).to(args.device)
opt_g = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
try:
    mnist = load_dataset("mnist", "train", data_dir=args.data_dir)
except DataError as error:  # missing or damaged files: say what to do in one line, not a traceback
    parser.exit(1, f"{parser.prog}: error: {' '.join(str(error).split())}\n")
loader = ImageLoader(mnist, batch_size=args.batch_size, seed=0,
                    device=args.device, as_tensor=True)   # images in [-1, 1], shape (B, 1, 28, 28)
fixed_z = minigan.randn(64, Z).to(args.device)
os.makedirs(args.out, exist_ok=True)


def bce(logits, target):                                # target 1 = "real", 0 = "fake"
    return F.binary_cross_entropy_with_logits(logits, minigan.full(logits.shape, target, device=args.device))


step = 0
for epoch in range(args.epochs):
    for x, _ in loader.iter_epoch(epoch):
        fake = G(minigan.randn(x.shape[0], Z).to(args.device))
        # Discriminator: maximise log D(x) + log(1 - D(G(z))), on a real and a (detached) fake batch.
        opt_d.zero_grad()
        loss_d = bce(D(x), 1.0) + bce(D(fake.detach()), 0.0)
        loss_d.backward()
        opt_d.step()
        # Generator (non-saturating): maximise log D(G(z)), scored by the updated discriminator.
        opt_g.zero_grad()
        loss_g = bce(D(fake), 1.0)
        loss_g.backward()
        opt_g.step()
        step += 1
        if step % 100 == 0 or step == args.max_steps:
            print(f"epoch {epoch + 1} step {step}: loss_D {loss_d.item():.3f} loss_G {loss_g.item():.3f}")
        if step == args.max_steps:
            break
    G.eval()                                            # BatchNorm running statistics for the samples
    with minigan.no_grad():
        path = save_grid(f"{args.out}/epoch_{epoch + 1:03d}.png", G(fixed_z).numpy())
    G.train()
    print(f"epoch {epoch + 1} done: samples in {path}")
    if step == args.max_steps:
        break
