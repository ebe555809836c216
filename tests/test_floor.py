"""The oldest Python and NumPy the package claims (pyproject: Python >= 3.10, NumPy >= 1.23), checked fast.

CI runs ``python -m pytest -m floor`` in a second venv with those versions (see .ci/run): every module
imports, every op family passes its float64 gradient checks, and a few training steps save a checkpoint
that resumes. The same tests run in the main suite too.
"""
from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import minigan as mg
import minigan.nn.functional as F
from minigan.data import write_fake_dataset
from minigan.testing import check_op

pytestmark = pytest.mark.floor


def test_every_module_imports():
    failed = []
    for info in pkgutil.walk_packages(mg.__path__, "minigan.", onerror=failed.append):
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001 - every failure is listed, not only the first
            failed.append(f"{info.name}: {exc!r}")
    assert not failed, "\n".join(map(str, failed))


rng = np.random.default_rng(0)
A, B = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
IMAGE, KERNEL = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
LABELS = mg.tensor(np.array([1, 2]))

# One op per family file of minigan/ops, float64 gradcheck and gradgradcheck (check_op) on small inputs.
FAMILIES = {
    "arith": (lambda x, y: x * y / (y * y + 1.0) - x, [A, B]),
    "activation": (lambda x: F.softplus(x) + F.leaky_relu(x, 0.2) + F.tanh(x), [A]),
    "reduce": (lambda x: x.sum(1) + x.mean(0).sum() + (x * x).sum(1).sqrt(), [A]),
    "shape": (lambda x, y: mg.cat([x.transpose(0, 1), y.reshape(3, 2)], 1), [A, B]),
    "trig": (lambda x: x.sin() * x.cos(), [A]),
    "linalg": (lambda x, y: x @ y.transpose(0, 1), [A, B]),
    "einsum": (lambda x, y: mg.einsum("ij,kj->ik", x, y), [A, B]),
    "linear": (lambda x, w: F.linear(x, w), [A, B]),
    "conv": (lambda x, w: F.conv2d(x, w, padding=1), [IMAGE, KERNEL]),
    "conv_transpose": (lambda x, w: F.conv_transpose2d(x, w, stride=2), [IMAGE, KERNEL.transpose(1, 0, 2, 3)]),
    "pool": (lambda x: F.avg_pool2d(x, 2) + F.max_pool2d(x, 2), [IMAGE]),
    "normalization": (lambda x: F.batch_norm(x, None, None, training=True), [IMAGE]),
    "group_norm": (lambda x: F.group_norm(x, 2), [IMAGE]),
    "losses": (lambda x: F.cross_entropy(x, LABELS), [rng.normal(size=(2, 4))]),
    "embedding": (lambda w: F.embedding(LABELS, w), [rng.normal(size=(4, 3))]),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_op_family_passes_its_gradient_checks(family):
    fn, arrays = FAMILIES[family]
    check_op(fn, arrays, None, device="cpu")


def test_a_few_training_steps_then_a_resume(tmp_path):
    from minigan.gan import GANTrainer, TrainConfig, load_checkpoint

    write_fake_dataset(tmp_path / "data", train_size=32, test_size=8, seed=0)
    options = dict(model="mlp", width=4, latent_dim=8, batch_size=8, n_samples=4, progress="none",
                   data_dir=str(tmp_path / "data"), download=False, epochs=2)
    first = GANTrainer(TrainConfig(**options, out=str(tmp_path / "run"), max_steps=2).validate()).train()
    assert first.step == 2 and load_checkpoint(tmp_path / "run")["step"] == 2
    resumed = GANTrainer.from_checkpoint(tmp_path / "run", max_steps=3)
    assert resumed.step == 2
    assert resumed.train().step == 3 and load_checkpoint(tmp_path / "run")["step"] == 3
