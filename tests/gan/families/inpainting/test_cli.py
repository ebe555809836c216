"""`minigan train --task inpaint`, `minigan inpaint` and `minigan eval` for inpainting, in-process (main())."""
from __future__ import annotations

import json

import numpy as np
import pytest

from minigan.cli import main
from minigan.data import load_dataset, write_fake_dataset
from minigan.gan import load_checkpoint, read_png
from minigan.gan.families.inpainting import fixed_mask
from tests.gan.test_trainer import assert_same_tree

TINY = ["--width", "4", "--batch-size", "16", "--samples", "8", "--progress", "none"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake-mnist")
    write_fake_dataset(folder, train_size=64, test_size=16, seed=2)
    return folder


@pytest.fixture(scope="module")
def runs(data_dir, tmp_path_factory):
    """An inpainting run and a DCGAN run of 2 steps each, shared by the tests below."""
    root = tmp_path_factory.mktemp("runs")
    assert main(["train", "--task", "inpaint", "--data-dir", str(data_dir), "--out", str(root / "inpaint"),
                 "--max-steps", "2", *TINY]) == 0
    assert main(["train", "--data-dir", str(data_dir), "--out", str(root / "gan"), "--max-steps", "1",
                 "--latent-dim", "24", *TINY]) == 0
    return root


def test_train_records_the_task_and_resume_through_the_cli_is_bit_identical(data_dir, tmp_path, capsys):
    common = ["train", "--task", "inpaint", "--mask", "random-box", "--rec-weight", "50", "--aux-classes",
              "--no-unet", "--data-dir", str(data_dir), *TINY]
    assert main([*common, "--out", str(tmp_path / "straight"), "--max-steps", "5"]) == 0
    assert main([*common, "--out", str(tmp_path / "split"), "--max-steps", "2"]) == 0
    assert main(["train", "--resume", str(tmp_path / "split"), "--max-steps", "5"]) == 0
    assert "resuming" in capsys.readouterr().out
    a, b = load_checkpoint(tmp_path / "straight"), load_checkpoint(tmp_path / "split")
    options = a["config"]["options"]
    assert a["task"] == "inpaint" and options["mask"] == "random-box" and options["rec_weight"] == 50.0
    assert options["unet"] is False and options["aux_classes"] is True
    a["config"].pop("out"), b["config"].pop("out")
    assert_same_tree(a, b)


def test_inpaint_keeps_every_visible_pixel_of_the_users_images_exactly(runs, tmp_path, capsys):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (6, 1, 28, 28)).astype(np.float32)
    images[0] = -1.0  # the exact ends of the range too
    images[1] = 1.0
    masks = (rng.uniform(size=(6, 28, 28)) < 0.4).astype(np.uint8)
    np.save(tmp_path / "x.npy", images)
    np.save(tmp_path / "m.npy", masks)
    assert main(["inpaint", "--checkpoint", str(runs / "inpaint"), "--images", str(tmp_path / "x.npy"),
                 "--masks", str(tmp_path / "m.npy"), "--out", str(tmp_path / "c.npy"),
                 "--grid", str(tmp_path / "c.png")]) == 0
    completed = np.load(tmp_path / "c.npy")
    assert completed.dtype == np.float32 and completed.shape == (6, 1, 28, 28)
    visible = masks[:, None] == 0
    assert np.array_equal(completed[visible].view(np.uint32), images[visible].view(np.uint32))  # bit for bit
    assert np.abs(completed).max() <= 1.0 and not np.array_equal(completed[~visible], images[~visible])
    assert read_png(tmp_path / "c.png").shape == (2 * 30 + 2, 12 * 30 + 2)
    assert "wrote 6 completions" in capsys.readouterr().out


def test_inpaint_completes_the_first_test_images_in_order(runs, data_dir, tmp_path):
    assert main(["inpaint", "--checkpoint", str(runs / "inpaint"), "--mask", "center", "--n", "10",
                 "--out", str(tmp_path / "c.npy")]) == 0  # data dir: the run's
    completed = np.load(tmp_path / "c.npy")
    test = load_dataset("mnist", "test", data_dir=data_dir)[0][:10, None].astype(np.float32) / 127.5 - 1
    visible = np.broadcast_to(fixed_mask("center") == 0, completed.shape)
    assert completed.shape == (10, 1, 28, 28)
    assert np.array_equal(completed[visible], test.astype(np.float32)[visible])


def test_eval_reports_accuracy_fid_l1_psnr_for_a_checkpoint_and_a_completions_file(runs, data_dir, tmp_path, capsys):
    assert main(["eval", "--checkpoint", str(runs / "inpaint"), "--mask", "bottom-half",
                 "--json", str(tmp_path / "e.json")]) == 0
    out = capsys.readouterr().out
    assert "classifier accuracy" in out and "FID" in out and "PSNR" in out and "masked only" in out
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["n"] == 16 and result["mask"] == "bottom-half" and result["hidden_fraction"] == 0.5
    assert set(result["accuracy"]) == set(result["fid"]) == {"completions", "masked", "originals"}
    # The same numbers from `minigan inpaint` + `minigan eval --inpaint`.
    assert main(["inpaint", "--checkpoint", str(runs / "inpaint"), "--mask", "bottom-half",
                 "--out", str(tmp_path / "c.npy")]) == 0
    assert main(["eval", "--inpaint", str(tmp_path / "c.npy"), "--mask", "bottom-half", "--data-dir",
                 str(data_dir), "--json", str(tmp_path / "f.json")]) == 0
    again = json.loads((tmp_path / "f.json").read_text())
    for key in ("accuracy", "fid", "l1_hidden", "psnr_hidden"):
        assert again[key] == result[key], key


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err  # one line
    return err


@pytest.mark.parametrize("masks, expected", [
    (np.zeros((4, 1, 28, 27)), r"must have shape \(N, 1, 28, 28\)"),
    (np.zeros((3, 28, 28)), "hold 3 masks for 4 images"),
    (np.full((4, 28, 28), 0.5), "only 0 \\(visible\\) and 1 \\(hidden\\)"),
    (np.zeros((4, 28, 28), dtype=np.complex64), "must be bool, integer or float"),
])
def test_bad_masks_give_one_line_naming_the_file(runs, tmp_path, capsys, masks, expected):
    np.save(tmp_path / "x.npy", np.zeros((4, 28, 28), np.float32))
    np.save(tmp_path / "m.npy", masks)
    code = main(["inpaint", "--checkpoint", str(runs / "inpaint"), "--images", str(tmp_path / "x.npy"),
                 "--masks", str(tmp_path / "m.npy"), "--out", str(tmp_path / "c.npy")])
    err = _error(capsys)
    assert code == 1 and str(tmp_path / "m.npy") in err
    assert __import__("re").search(expected, err), err
    assert not (tmp_path / "c.npy").exists()


@pytest.mark.parametrize("images, expected", [
    (np.full((2, 1, 28, 28), 1.5, np.float32), r"must lie in \[-1, 1\]"),
    (np.zeros((2, 1, 32, 32), np.float32), "must have shape"),
    (np.full((2, 28, 28), np.nan, np.float32), "NaN"),
])
def test_bad_images_give_one_line_naming_the_file(runs, tmp_path, capsys, images, expected):
    np.save(tmp_path / "x.npy", images)
    code = main(["inpaint", "--checkpoint", str(runs / "inpaint"), "--images", str(tmp_path / "x.npy"),
                 "--mask", "center", "--out", str(tmp_path / "c.npy")])
    err = _error(capsys)
    assert code == 1 and str(tmp_path / "x.npy") in err and expected.replace("\\", "") in err.replace("\\", ""), err


def test_an_unconditional_checkpoint_is_refused_naming_the_file(runs, tmp_path, capsys):
    code = main(["inpaint", "--checkpoint", str(runs / "gan"), "--out", str(tmp_path / "c.npy")])
    err = _error(capsys)
    assert code == 1 and str(runs / "gan" / "checkpoint.npz") in err and "not an inpainting model" in err
    # ... and `minigan sample` refuses an inpainting checkpoint the same way.
    code = main(["sample", "--checkpoint", str(runs / "inpaint"), "--n", "2", "--out", str(tmp_path / "s.npy")])
    err = _error(capsys)
    assert code == 1 and "inpainting" in err and str(runs / "inpaint" / "checkpoint.npz") in err


def test_inpainting_flags_need_the_inpainting_family(data_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--mask", "center", "--data-dir", str(data_dir), "--out", str(tmp_path / "r"), *TINY])
    assert exit_.value.code == 2 and "--mask does not apply to --model infogan" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--task", "inpaint", "--rec-weight", "-1", "--out", str(tmp_path / "r")])
    assert "--rec-weight must be a finite number >= 0, got -1.0" in capsys.readouterr().err
