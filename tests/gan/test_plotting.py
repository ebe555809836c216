"""Pictures of a run: the pure-NumPy PNG writer, sample grids, and loss curves (matplotlib optional)."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from minigan.gan import make_grid, plot_losses, read_png, save_grid, write_png


def test_png_writer_round_trip_and_format(tmp_path):
    grey = (np.arange(12 * 7) % 256).astype(np.uint8).reshape(12, 7)
    write_png(tmp_path / "g.png", grey)
    np.testing.assert_array_equal(read_png(tmp_path / "g.png"), grey)
    rgb = np.random.default_rng(0).integers(0, 256, (5, 9, 3), dtype=np.uint8)
    write_png(tmp_path / "c.png", rgb)
    np.testing.assert_array_equal(read_png(tmp_path / "c.png"), rgb)
    data = (tmp_path / "g.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and data.endswith(b"IEND\xaeB`\x82")
    crc = int.from_bytes(data[29:33], "big")
    assert crc == zlib.crc32(data[12:29]) & 0xFFFFFFFF  # the IHDR chunk's CRC
    with pytest.raises(TypeError, match="uint8"):
        write_png(tmp_path / "x.png", grey.astype(np.float32))


def test_png_is_readable_by_matplotlib(tmp_path):
    image = pytest.importorskip("matplotlib.image")
    images = np.linspace(-1, 1, 5 * 28 * 28, dtype=np.float32).reshape(5, 1, 28, 28)
    grid = make_grid(images, nrow=5)
    save_grid(tmp_path / "grid.png", images, nrow=5)
    loaded = image.imread(tmp_path / "grid.png")
    np.testing.assert_allclose(loaded, grid / 255.0, atol=1e-6)


def test_make_grid_layout_and_scaling():
    images = np.full((5, 1, 28, 28), -1.0, dtype=np.float32)
    images[4] = 1.0
    grid = make_grid(images, nrow=3, padding=2)
    assert grid.shape == (2 * 30 + 2, 3 * 30 + 2) and grid.dtype == np.uint8
    assert grid[2, 2] == 0 and grid[32 + 5, 32 + 5] == 255       # image 0 black, image 4 white
    assert grid[0, 0] == 255 and grid[32 + 5, 62 + 5] == 255       # padding and the empty sixth cell
    assert make_grid(np.zeros((64, 28, 28))).shape == (8 * 30 + 2, 8 * 30 + 2)
    nan = make_grid(np.full((1, 1, 2, 2), np.nan))                  # NaN pixels draw as mid-grey, not garbage
    assert nan.shape == (6, 6) and nan[2, 2] == 128


def test_plot_losses(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    path = plot_losses(tmp_path / "l.png", [1, 2, 3], {"loss_D": [1.0, 0.8, 0.7], "loss_G": [0.7, 0.9, 1.2]})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Without matplotlib: one warning line, no plot, no exception.
    import builtins
    import minigan.gan.core.plotting as plotting
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    monkeypatch.setattr(plotting, "_warned_no_matplotlib", False)
    assert plot_losses(tmp_path / "m.png", [1], {"loss_D": [1.0]}) is None
    assert plot_losses(tmp_path / "m.png", [1], {"loss_D": [1.0]}) is None
    err = capsys.readouterr().err
    assert err.count("matplotlib is not available") == 1 and not (tmp_path / "m.png").exists()
