"""`minigan train/sample/eval` with class-conditional models, run in-process through cli.main."""
from __future__ import annotations

import json

import numpy as np
import pytest

from minigan.cli import main
from minigan.data import write_fake_dataset
from minigan.gan import load_checkpoint

TINY = ["--width", "4", "--latent-dim", "24", "--batch-size", "16", "--samples", "20", "--progress", "none"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    # Enough test images that every class has a few (per-class FID needs 2 per class).
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=200, test_size=200, seed=1)
    return folder


def _main(*args) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def runs(data_dir, tmp_path_factory):
    """A 2-step cgan run and a 2-step dcgan run, trained once through the CLI."""
    root = tmp_path_factory.mktemp("runs")
    for model in ("cgan", "dcgan"):
        assert _main("train", "--model", model, "--data-dir", data_dir, "--out", root / model, "--max-steps", 2,
                     *TINY) == 0
    return root


def test_train_acgan_with_class_weight_and_resume(data_dir, tmp_path, capsys):
    run = tmp_path / "acgan"
    assert _main("train", "--model", "acgan", "--class-weight", "0.5", "--fake-class-weight", "0.5", "--loss", "hinge",
                 "--data-dir", data_dir, "--out", run, "--max-steps", 2, *TINY) == 0
    state = load_checkpoint(run)
    assert state["config"]["options"] == {"class_weight": 0.5, "fake_class_weight": 0.5}
    assert _main("train", "--resume", run, "--max-steps", 3) == 0
    assert load_checkpoint(run)["step"] == 3
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:  # the class weight decides the steps: fixed on resume
        _main("train", "--resume", run, "--class-weight", "2")
    assert exit_info.value.code == 2 and "cannot change --class-weight" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        _main("train", "--model", "cgan", "--class-weight", "2", "--data-dir", data_dir, "--out", tmp_path / "x")
    assert exit_info.value.code == 2 and "--class-weight does not apply to --model" in capsys.readouterr().err


def test_sample_writes_class_order_labels_and_one_class(runs, tmp_path, capsys):
    assert _main("sample", "--checkpoint", runs / "cgan", "--n", 30, "--out", tmp_path / "s.npy",
                 "--grid", tmp_path / "s.png") == 0
    images, labels = np.load(tmp_path / "s.npy"), np.load(tmp_path / "s.labels.npy")
    assert images.shape == (30, 1, 28, 28) and labels.dtype == np.int64 and labels.shape == (30,)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(10), 3))
    assert "3 per class in class order" in capsys.readouterr().out
    assert _main("sample", "--checkpoint", runs / "cgan", "--n", 7, "--class", 4, "--out", tmp_path / "f.npy") == 0
    np.testing.assert_array_equal(np.load(tmp_path / "f.labels.npy"), np.full(7, 4))
    assert "class 4" in capsys.readouterr().out
    # No temporary files are left next to the outputs (atomic writes).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.labels.npy", "f.npy", "s.labels.npy", "s.npy", "s.png"]


@pytest.mark.parametrize("args, message", [
    (["--n", 15], "multiple of 10"),
    (["--n", 10, "--class", 10], "class must be an integer in 0..9, got 10"),
])
def test_sample_usage_errors_for_a_conditional_checkpoint(runs, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        _main("sample", "--checkpoint", runs / "cgan", "--out", tmp_path / "s.npy", *args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and "holds a 'cgan' model" in err
    assert not (tmp_path / "s.npy").exists()


def test_sample_class_for_an_unconditional_checkpoint_is_a_clear_error(runs, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _main("sample", "--checkpoint", runs / "dcgan", "--n", 10, "--class", 3, "--out", tmp_path / "s.npy")
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "--class applies to conditional models only; --model dcgan has no classes" in err
    assert "holds a 'dcgan' model" in err
    assert _main("sample", "--checkpoint", runs / "dcgan", "--n", 15, "--out", tmp_path / "s.npy") == 0
    assert not (tmp_path / "s.labels.npy").exists()


def test_eval_checkpoint_reports_class_accuracy_and_per_class_fid(runs, data_dir, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _main("eval", "--checkpoint", runs / "cgan", "--n", 100, "--data-dir", data_dir, "--json", out) == 0
    text = capsys.readouterr().out
    for line in ("FID (lower is better)", "class accuracy (asked class)", "mean per-class FID (n=",
                 "per-class FID 0..9:", "real per-class FID:"):
        assert line in text
    result = json.loads(out.read_text())
    assert 0.0 <= result["class_accuracy"] <= 1.0 and len(result["class_fid"]) == 10
    assert result["mean_class_fid"] == pytest.approx(np.mean(result["class_fid"]))
    assert 2 <= result["n_per_class"] <= 10 and np.isfinite(result["fid"])
    base = result["class_baseline"]
    assert 0.0 <= base["class_accuracy"] <= 1.0 and len(base["class_fid"]) == 10
    with pytest.raises(SystemExit) as exit_info:
        _main("eval", "--checkpoint", runs / "cgan", "--n", 15, "--data-dir", data_dir)
    assert exit_info.value.code == 2 and "multiple of 10" in capsys.readouterr().err
    # An unconditional checkpoint: no class lines.
    assert _main("eval", "--checkpoint", runs / "dcgan", "--n", 20, "--data-dir", data_dir, "--no-baseline") == 0
    assert "class accuracy" not in capsys.readouterr().out


def test_eval_samples_with_labels_beside_them(runs, data_dir, tmp_path, capsys):
    assert _main("sample", "--checkpoint", runs / "cgan", "--n", 100, "--out", tmp_path / "s.npy") == 0
    capsys.readouterr()
    assert _main("eval", "--samples", tmp_path / "s.npy", "--data-dir", data_dir, "--json", tmp_path / "a.json") == 0
    from_samples = json.loads((tmp_path / "a.json").read_text())
    assert from_samples["labels"] == str(tmp_path / "s.labels.npy")
    assert _main("eval", "--checkpoint", runs / "cgan", "--n", 100, "--data-dir", data_dir,
                 "--json", tmp_path / "b.json") == 0
    from_checkpoint = json.loads((tmp_path / "b.json").read_text())
    for key in ("class_accuracy", "class_fid", "mean_class_fid", "fid"):   # the same images, the same numbers
        assert from_samples[key] == from_checkpoint[key], key
    # One class only: the accuracy, and a note instead of a per-class FID.
    assert _main("sample", "--checkpoint", runs / "cgan", "--n", 20, "--class", 2, "--out", tmp_path / "t.npy") == 0
    capsys.readouterr()
    assert _main("eval", "--samples", tmp_path / "t.npy", "--data-dir", data_dir, "--no-baseline") == 0
    assert "per-class FID: not computed (per-class FID needs at least 2 samples of every class" in \
        capsys.readouterr().out


@pytest.mark.parametrize("labels, message", [
    (np.zeros(20, dtype=np.float32), "labels must be integer class indices (int64), got dtype float32"),
    (np.full(20, 12, dtype=np.int64), "label 12 is out of range for 10 classes"),
    (np.zeros(19, dtype=np.int64), "labels of shape (19,) do not match the 20 images"),
])
def test_eval_refuses_a_bad_labels_file(data_dir, tmp_path, capsys, labels, message):
    np.save(tmp_path / "s.npy", np.zeros((20, 1, 28, 28), dtype=np.float32))
    np.save(tmp_path / "s.labels.npy", labels)
    assert _main("eval", "--samples", tmp_path / "s.npy", "--data-dir", data_dir, "--no-baseline") == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
