"""minigan.atomic: a failed write names the user's file, never our temporary one, and keeps the old file."""
from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from minigan.atomic import atomic_write, write_json
from minigan.data import write_fake_dataset
from minigan.gan import load_checkpoint

REPO = Path(__file__).resolve().parents[1]


def no_space(*args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


def test_a_full_disk_names_the_file_and_keeps_the_previous_one(tmp_path, monkeypatch):
    target = tmp_path / "checkpoint.npz"
    target.write_bytes(b"the previous checkpoint")
    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError) as info:
        with atomic_write(target) as handle:
            handle.write(b"new")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert str(info.value) == (f"[Errno 28] No space left on device while writing (the previous checkpoint.npz "
                               f"is intact): '{target}'")
    assert target.read_bytes() == b"the previous checkpoint" and not leftovers(tmp_path)


def test_a_full_disk_on_a_first_write_says_nothing_about_a_previous_file(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match=r"No space left on device while writing: '.*new\.json'$"):
        write_json(tmp_path / "new.json", {"a": 1})
    assert not (tmp_path / "new.json").exists() and not leftovers(tmp_path)


def test_a_folder_we_cannot_write_names_the_users_path(tmp_path, monkeypatch):
    real_open = os.open

    def denied(path, *args, **kwargs):
        if str(path).endswith(".part"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(PermissionError) as info:
        write_json(tmp_path / "s.json", [])
    assert info.value.filename == str(tmp_path / "s.json") and ".part" not in str(info.value)


def test_a_target_that_is_a_folder_is_named(tmp_path):
    (tmp_path / "bad").mkdir()
    with pytest.raises(IsADirectoryError) as info:
        write_json(tmp_path / "bad", [])
    assert info.value.filename == str(tmp_path / "bad") and ".part" not in str(info.value)
    assert not leftovers(tmp_path)


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No such file or directory while writing: '.*nope/x\.json'$"):
        write_json(tmp_path / "nope" / "x.json", [])


def test_other_errors_of_the_block_pass_through_unchanged(tmp_path):
    error = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    with pytest.raises(ConnectionResetError) as info:
        with atomic_write(tmp_path / "download.gz"):
            raise error
    assert info.value is error and not leftovers(tmp_path)


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
def test_a_run_whose_checkpoint_cannot_be_written_says_so_and_keeps_the_previous_one(tmp_path):
    """A real process whose files may not grow past 64 KiB (RLIMIT_FSIZE; SIGXFSZ ignored, so a write past
    it fails with EFBIG, as one on a full disk fails with ENOSPC): the checkpoint of a wider model does not
    fit, the error names it and the previous checkpoint, written without the limit, still loads."""
    data = tmp_path / "data"
    write_fake_dataset(data, train_size=64, test_size=16, seed=1)
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    env.pop("MINIGAN_DATA_DIR", None)
    common = ["--model", "mlp", "--latent-dim", "8", "--batch-size", "16", "--samples", "4", "--progress", "none",
              "--data-dir", str(data)]
    first = subprocess.run([sys.executable, "-m", "minigan", "train", "--out", "run", "--width", "16",
                            "--max-steps", "1", *common], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    assert len(before) > 64 * 1024  # so the limit below refuses it

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    second = subprocess.run([sys.executable, "-m", "minigan", "train", "--resume", "run", "--max-steps", "2",
                             "--data-dir", str(data)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120, preexec_fn=limit_file_size)
    assert second.returncode == 1, second.stderr
    last = second.stderr.strip().splitlines()[-1]
    assert last == ("minigan: error: [Errno 27] File too large while writing (the previous checkpoint.npz is "
                    "intact): 'run/checkpoint.npz'"), second.stderr
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == before
    assert load_checkpoint(tmp_path / "run")["step"] == 1 and not leftovers(tmp_path / "run")
