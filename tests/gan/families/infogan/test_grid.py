"""The InfoGAN family's sample grid: one row of images per code, the rows in blocks side by side so that
the default 20 codes make a grid, not a 20-row strip."""
from __future__ import annotations

import numpy as np

from minigan.gan import GANTrainer, TrainConfig, read_png


def _trainer(tmp_path, **fields):
    rng = np.random.default_rng(0)
    data = (rng.integers(0, 256, (32, 28, 28), dtype=np.uint8), rng.integers(0, 10, 32))
    return GANTrainer(TrainConfig(width=4, latent_dim=24, progress="none", out=str(tmp_path / "run"), **fields),
                      data=data)


def test_twenty_codes_make_two_blocks_of_ten_rows(tmp_path):
    trainer = _trainer(tmp_path)   # the family's defaults: 20 codes, 64 samples -> 4 per code
    assert trainer.config.options["info_codes"] == 20 and len(trainer.fixed_noise) == 80
    path = trainer.save_samples(tmp_path / "grid.png")
    assert read_png(path).shape == (10 * 30 + 2, 8 * 30 + 2)   # 10 rows of 8 tiles (28 px + 2 px padding)
    # row r holds code r (left block) then code 10 + r (right block), 4 images each, in that order
    images = trainer.generate()
    grid = read_png(path)

    def tile(row, column):
        return grid[2 + 30 * row: 30 * (row + 1), 2 + 30 * column: 30 * (column + 1)]

    expected = np.clip(np.round((images + 1) * 127.5), 0, 255).astype(np.uint8)[:, 0]
    np.testing.assert_array_equal(tile(0, 0), expected[0])           # code 0, first image
    np.testing.assert_array_equal(tile(0, 4), expected[10 * 4])      # code 10, first image
    np.testing.assert_array_equal(tile(9, 7), expected[19 * 4 + 3])  # code 19, last image


def test_ten_codes_keep_one_row_per_code(tmp_path):
    trainer = _trainer(tmp_path, info_codes=10)
    path = trainer.save_samples(tmp_path / "grid.png")
    per_code = len(trainer.fixed_noise) // 10
    assert read_png(path).shape == (10 * 30 + 2, per_code * 30 + 2)
