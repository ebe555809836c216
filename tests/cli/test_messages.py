"""What a user reads: a .png name for pictures, the data folder a run really read, and the closing line
counting epochs the way the sample grids are named."""
from __future__ import annotations

import json

import numpy as np
import pytest

from minigan.cli import main
from minigan.gan import write_png
from tests.cli.test_commands import TINY, data_dir  # noqa: F401  (data_dir: the fixture, a small fake MNIST)


def test_a_grid_named_jpg_is_refused_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["sample", "--checkpoint", str(tmp_path / "nowhere"), "--grid", str(tmp_path / "g.jpg")])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "expected a .png file name" in err and "g.jpg" in err
    with pytest.raises(ValueError, match=r"g\.jpg must end in \.png"):
        write_png(tmp_path / "g.jpg", np.zeros((4, 4), np.uint8))
    assert not (tmp_path / "g.jpg").exists()


def test_config_json_records_the_data_folder_read_from_the_environment(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGAN_DATA_DIR", str(data_dir))
    assert main(["train", "--out", str(tmp_path / "run"), "--max-steps", "1", "--progress", "none", *TINY]) == 0
    assert json.loads((tmp_path / "run" / "config.json").read_text())["data_dir"] == str(data_dir)


def test_the_closing_line_counts_epochs_as_the_grids_are_named(data_dir, tmp_path, capsys):
    assert main(["train", "--data-dir", str(data_dir), "--out", str(tmp_path / "part"), "--max-steps", "2",
                 "--progress", "none", *TINY]) == 0
    out = capsys.readouterr().out
    assert "done: 2 steps, in epoch 1 of 5 (0 done)" in out and "samples_epoch_001.png" in out
    assert main(["train", "--data-dir", str(data_dir), "--out", str(tmp_path / "whole"), "--epochs", "1",
                 "--progress", "none", *TINY]) == 0
    out = capsys.readouterr().out
    assert "done: 4 steps, 1 of 1 epochs done" in out and "samples_epoch_001.png" in out
