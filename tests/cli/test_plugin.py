"""A GAN family added from outside (examples/custom_family.py): trained, resumed, sampled and evaluated from
the command line with --plugin and no file under minigan/ changed; and the one-line errors of the registry."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minigan.gan import Family, FamilyError, get_family, load_plugin, register_family, unregister_family
from minigan.gan.config import CONFIG_VERSION
from minigan.serialization import load as mg_load
from minigan.serialization import save as mg_save
from tests.cli.test_commands import data_dir  # noqa: F401  (the fixture: a small fake MNIST)

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "examples" / "custom_family.py"
TINY = ["--width", "4", "--latent-dim", "16", "--batch-size", "16", "--samples", "16"]


def run(*args, cwd, timeout=180):
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    env.pop("MINIGAN_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "minigan", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_a_plugin_family_trains_resumes_samples_and_evaluates(data_dir, tmp_path):
    help_text = run("train", "--plugin", PLUGIN, "--help", cwd=tmp_path)
    assert help_text.returncode == 0 and "--ra-loss" in help_text.stdout and "ragan" in help_text.stdout

    trained = run("train", "--plugin", PLUGIN, "--model", "ragan", "--ra-loss", "hinge", "--data-dir", data_dir,
                  "--out", "run", "--max-steps", 3, *TINY, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3]
    assert all(np.isfinite(r["gap"]) for r in records)   # the family's own logged value
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["model"] == "ragan" and config["options"] == {"ra_loss": "hinge"}
    assert config["version"] == CONFIG_VERSION

    resumed = run("train", "--plugin", PLUGIN, "--resume", "run", "--max-steps", 5, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5]

    sampled = run("sample", "--plugin", PLUGIN, "--checkpoint", "run", "--n", 20, "--out", "s.npy", cwd=tmp_path)
    assert sampled.returncode == 0, sampled.stderr
    images = np.load(tmp_path / "s.npy")
    assert images.shape == (20, 1, 28, 28) and images.dtype == np.float32 and np.abs(images).max() <= 1

    scored = run("eval", "--plugin", PLUGIN, "--checkpoint", "run", "--n", 20, "--data-dir", data_dir,
                 "--json", "e.json", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert np.isfinite(json.loads((tmp_path / "e.json").read_text())["fid"])


def test_a_checkpoint_of_an_unregistered_family_is_one_line(data_dir, tmp_path):
    trained = run("train", "--plugin", PLUGIN, "--model", "ragan", "--data-dir", data_dir, "--out", "run",
                  "--max-steps", 1, *TINY, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    for args in (("train", "--resume", "run"), ("sample", "--checkpoint", "run", "--out", "s.npy")):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        line = proc.stderr.strip()
        assert "\n" not in line and "'ragan'" in line and "--plugin" in line

    state = mg_load(tmp_path / "run" / "checkpoint.npz")
    state["config"] = {**state["config"], "version": CONFIG_VERSION + 1}
    mg_save(state, tmp_path / "run" / "checkpoint.npz")
    proc = run("train", "--plugin", PLUGIN, "--resume", "run", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"config version {CONFIG_VERSION + 1}" in proc.stderr and "newer minigan" in proc.stderr


def test_a_plugin_that_does_not_import_is_one_line(tmp_path):
    broken = tmp_path / "broken_family.py"
    broken.write_text("raise RuntimeError('the plugin is broken')\n")
    for plugin in ("no_such_plugin_module", broken):
        proc = run("train", "--plugin", plugin, "--help", cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert proc.stderr.count("\n") == 1 and str(plugin).split("/")[-1].split(".")[0] in proc.stderr
    with pytest.raises(FamilyError, match="no_such_plugin_module"):
        load_plugin("no_such_plugin_module")


def test_registering_a_taken_name_or_an_incomplete_family_is_refused():
    class Impostor(Family):
        name = "dcgan"

        def build_models(self, config):
            raise AssertionError

    with pytest.raises(FamilyError, match="'dcgan' is already taken by .*DCGANFamily"):
        register_family(Impostor)
    assert type(get_family("dcgan")).__name__ == "DCGANFamily"

    class Incomplete(Family):
        name = "incomplete"

    with pytest.raises(FamilyError, match="'incomplete'.* is missing build_models"):
        register_family(Incomplete)
    with pytest.raises(FamilyError, match="no GAN family 'incomplete'"):
        get_family("incomplete")

    class Unnamed(Family):
        def build_models(self, config):
            raise AssertionError

    with pytest.raises(FamilyError, match="needs a name"):
        register_family(Unnamed)


def test_a_family_registered_in_python_trains_with_the_trainer(tmp_path):
    load_plugin(str(PLUGIN))
    try:
        from minigan.gan import GANTrainer, TrainConfig
        rng = np.random.default_rng(0)
        data = (rng.integers(0, 256, (32, 28, 28), dtype=np.uint8), rng.integers(0, 10, 32))
        trainer = GANTrainer(TrainConfig(model="ragan", ra_loss="bce", width=4, latent_dim=8, batch_size=16,
                                         max_steps=2, progress="none", out=str(tmp_path / "r")), data=data)
        assert type(trainer.updater).__name__ == "RelativisticStep" and trainer.config.options["ra_loss"] == "bce"
        result = trainer.train()
        assert result.step == 2 and "gap" in result.last
        with pytest.raises(ValueError, match="--class-weight does not apply to --model ragan"):
            TrainConfig(model="ragan", class_weight=2.0).resolved()
    finally:
        unregister_family("ragan")
