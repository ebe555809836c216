"""minigan/cli/outputs.py: outputs checked before the work, the package's weights never overwritten by
default, a warning for an FID from too few images; and --data-dir typos through the command line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minigan.cli import UsageError, main, outputs
from minigan.data import load_dataset, write_fake_dataset
from minigan.evaluation import weights_path

REPO = Path(__file__).resolve().parents[2]


def minigan(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg", HOME=str(cwd / "home"),
               XDG_CACHE_HOME=str(cwd / "xdg"))
    env.pop("MINIGAN_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "minigan", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=32, seed=1)
    return folder


@pytest.fixture(scope="module")
def samples(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("samples") / "s.npy"
    np.save(path, load_dataset("mnist", "test", data_dir=data)[0][:5])
    return path


@pytest.mark.parametrize("target, message", [("folder", "--json {t} is a folder: give a file name"),
                                             ("a-file/sub/e.json", "--json {t}: {tmp}/a-file is a file, not a folder")])
def test_eval_json_that_cannot_be_written_fails_before_scoring(tmp_path, samples, target, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "a-file").write_text("")
    target = tmp_path / target
    proc = minigan("eval", "--samples", samples, "--no-baseline", "--json", target, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == "minigan: error: " + message.format(t=target, tmp=tmp_path)
    assert "FID" not in proc.stdout  # nothing was scored


def test_eval_json_in_a_read_only_folder_fails_before_scoring(tmp_path, samples, monkeypatch, capsys):
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)  # root may write anywhere
    scored = []
    monkeypatch.setattr("minigan.evaluation.evaluate_samples", lambda *a, **k: scored.append(1))
    assert main(["eval", "--samples", str(samples), "--json", str(tmp_path / "e.json")]) == 1
    assert capsys.readouterr().err == (f"minigan: error: --json {tmp_path / 'e.json'}: the folder {tmp_path} is not "
                                       "writable\n")
    assert not scored


def test_eval_of_few_images_warns_that_the_fid_means_little(tmp_path, samples, data):
    proc = minigan("eval", "--samples", samples, "--no-baseline", "--data-dir", data, "--json", tmp_path / "e.json",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert warnings == ["minigan: warning: an FID from 5 images is biased upwards and varies a lot between draws "
                        "(use --n 2000 or more, 10000 to compare with published figures)"]
    assert (tmp_path / "e.json").is_file()


def test_no_warning_from_enough_images(capsys):
    outputs.warn_small_fid_n(outputs.MIN_FID_N)
    assert capsys.readouterr().err == ""


def test_train_classifier_writes_to_the_working_folder_by_default(tmp_path, data):
    shipped = weights_path("mnist").read_bytes()
    proc = minigan("train-classifier", "--data-dir", data, "--epochs", 1, "--batch-size", 16, "--channels", "2,4",
                   "--baseline-n", 16, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "classifier-mnist.npz").is_file() and "wrote classifier-mnist.npz" in proc.stdout
    assert weights_path("mnist").read_bytes() == shipped


def test_train_classifier_refuses_the_package_folder_without_force(tmp_path):
    proc = minigan("train-classifier", "--out", weights_path("mnist"), cwd=tmp_path)
    assert proc.returncode == 2 and "inside the installed package" in proc.stderr and "--force" in proc.stderr


def test_classifier_out_inside_the_package_needs_force(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "PACKAGE_DIR", tmp_path / "pkg")
    (tmp_path / "pkg" / "weights").mkdir(parents=True)
    inside = tmp_path / "pkg" / "weights" / "c.npz"
    with pytest.raises(UsageError, match="add --force"):
        outputs.classifier_out("mnist", inside, force=False)
    assert outputs.classifier_out("mnist", inside, force=True) == inside
    assert outputs.classifier_out("mnist", tmp_path / "c.npz", force=False) == tmp_path / "c.npz"


@pytest.mark.parametrize("typo", ["missing", "a-file", "empty"])
def test_train_with_a_data_dir_typo_is_one_line_naming_it(tmp_path, typo):
    (tmp_path / "a-file").write_text("")
    (tmp_path / "empty").mkdir()
    proc = minigan("train", "--data-dir", tmp_path / typo, "--out", "run", "--max-steps", 1, cwd=tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"minigan: error: the data folder {tmp_path / typo} (--data-dir, data_dir=)")
    assert not (tmp_path / "xdg" / "minigan").exists()  # nothing downloaded
