"""minigan.save / minigan.load: round trips, atomic writes, and every way a file can be broken."""

import json
import os
import subprocess
import sys
import textwrap
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan
from minigan import serialization
from minigan.serialization import CheckpointError

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_, np.float16]

arrays = st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
scalars = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.text(max_size=8)
           | st.floats(allow_nan=False) | arrays)
keys = st.text(max_size=6) | st.integers(-5, 5) | st.booleans() | st.none()
trees = st.recursive(
    scalars,
    lambda children: (st.lists(children, max_size=3)
                      | st.dictionaries(keys, children, max_size=3)
                      | st.lists(children, max_size=3).map(tuple)),
    max_leaves=12)


def assert_same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()  # bitwise: -0.0 and NaN count
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and a != a:
        assert b != b
    else:
        assert a == b


@settings(max_examples=80, deadline=None)
@given(tree=trees)
def test_round_trip_of_any_nested_structure(tmp_path_factory, tree):
    path = tmp_path_factory.mktemp("ckpt") / "tree.ckpt"
    minigan.save(tree, path)
    assert_same(tree, minigan.load(path))


def test_state_dict_like_checkpoint_round_trip(tmp_path):
    ckpt = {
        "generator": OrderedDict([("0.weight", np.arange(6, dtype=np.float32).reshape(2, 3)),
                                  ("1.num_batches_tracked", np.array(7, dtype=np.int64))]),
        "optimizer": {"state": {0: {"step": 3, "exp_avg": np.ones(2)}}, "param_groups": [{"lr": 2e-4,
                                                                                         "betas": (0.5, 0.999)}]},
        "epoch": 4, "name": "dcgan", "done": False, "best": None,
        "inf": float("inf"), "nan": float("nan"), "np_scalar": np.float32(1.5),
        "tensor": minigan.tensor([1.0, 2.0]),
    }
    path = tmp_path / "ckpt.pt"
    minigan.save(ckpt, path)
    assert os.path.exists(path) and not os.path.exists(str(path) + ".npz")  # the name is kept exactly
    back = minigan.load(path)
    assert isinstance(back["generator"], OrderedDict)
    assert list(back["generator"]) == ["0.weight", "1.num_batches_tracked"]
    np.testing.assert_array_equal(back["generator"]["0.weight"], ckpt["generator"]["0.weight"])
    assert back["generator"]["1.num_batches_tracked"].dtype == np.int64
    assert back["optimizer"]["state"][0]["step"] == 3  # int keys survive
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.5, 0.999)  # tuples stay tuples
    assert back["epoch"] == 4 and back["name"] == "dcgan" and back["done"] is False and back["best"] is None
    assert back["inf"] == float("inf") and back["nan"] != back["nan"]
    assert type(back["np_scalar"]) is np.float32 and back["np_scalar"] == 1.5
    assert isinstance(back["tensor"], np.ndarray)  # Tensors are saved as NumPy arrays
    np.testing.assert_array_equal(back["tensor"], [1.0, 2.0])


def test_file_is_a_plain_npz_without_pickle(tmp_path):
    path = tmp_path / "m.npz"
    minigan.save({"w": np.ones((2, 2), np.float32)}, path)
    with np.load(path, allow_pickle=False) as npz:
        doc = json.loads(npz[serialization.STRUCTURE_ENTRY].tobytes())
        assert doc["format"] == "minigan-checkpoint" and doc["version"] == 1
        ref = doc["root"]["__dict__"][0][1]["__array__"]
        np.testing.assert_array_equal(npz[ref], np.ones((2, 2)))


def test_plain_npz_and_npy_files_load_too(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.arange(3), b=np.eye(2))
    back = minigan.load(tmp_path / "plain.npz")
    assert set(back) == {"a", "b"}
    np.save(tmp_path / "one.npy", np.arange(4))
    np.testing.assert_array_equal(minigan.load(tmp_path / "one.npy"), np.arange(4))


def test_file_objects(tmp_path):
    import io
    buf = io.BytesIO()
    minigan.save({"x": np.arange(3)}, buf)
    buf.seek(0)
    np.testing.assert_array_equal(minigan.load(buf)["x"], np.arange(3))


def test_unsupported_objects_raise_before_touching_the_file(tmp_path):
    path = tmp_path / "c.pt"
    minigan.save({"ok": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"set"):
        minigan.save({"bad": {1, 2}}, path)
    with pytest.raises(TypeError, match="object array"):
        minigan.save({"bad": np.array([None, 1], dtype=object)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.pt"]  # no temp file left behind


def test_missing_file_and_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        minigan.load(tmp_path / "nope.pt")
    with pytest.raises(FileNotFoundError):
        minigan.save({}, tmp_path / "no_such_dir" / "x.pt")


# ---- atomicity ---------------------------------------------------------------------------------

def test_a_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    minigan.save({"version": 1, "w": np.zeros(1000)}, path)
    before = path.read_bytes()

    def broken_writer(file, arrays):
        file.write(b"PK\x03\x04 half a zip")  # some bytes reach the disk, then the writer dies
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "_write_npz", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        minigan.save({"version": 2, "w": np.ones(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.pt"]  # the temp file was removed
    monkeypatch.undo()
    assert minigan.load(path)["version"] == 1


def test_a_failed_replace_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    minigan.save({"version": 1}, path)

    def no_replace(src, dst):
        raise KeyboardInterrupt  # interrupted at the very last step

    monkeypatch.setattr(serialization.os, "replace", no_replace)
    with pytest.raises(KeyboardInterrupt):
        minigan.save({"version": 2}, path)
    monkeypatch.undo()
    assert minigan.load(path)["version"] == 1
    assert os.listdir(tmp_path) == ["model.pt"]


def test_a_process_killed_mid_write_leaves_the_old_file_intact(tmp_path):
    """A real crash: the writer SIGKILLs its own process after half the archive is on disk."""
    if os.name != "posix":
        pytest.skip("SIGKILL is POSIX")
    path = tmp_path / "model.pt"
    minigan.save({"version": 1, "w": np.zeros(10_000, np.float32)}, path)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import io, os, signal
        import numpy as np
        import minigan
        from minigan import serialization

        def dying_writer(file, arrays):
            buf = io.BytesIO()
            np.savez(buf, **arrays)
            data = buf.getvalue()
            file.write(data[: len(data) // 2])
            file.flush()
            os.fsync(file.fileno())
            os.kill(os.getpid(), signal.SIGKILL)

        serialization._write_npz = dying_writer
        minigan.save({{"version": 2, "w": np.ones(10_000, np.float32)}}, {str(path)!r})
        print("not reached")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert "not reached" not in proc.stdout
    assert path.read_bytes() == before
    back = minigan.load(path)
    assert back["version"] == 1 and back["w"].sum() == 0
    leftovers = [n for n in os.listdir(tmp_path) if n != "model.pt"]
    assert leftovers and all(n.startswith(".model.pt.") and n.endswith(".part") for n in leftovers)
    with pytest.raises(CheckpointError):  # the half-written temp is detectably broken
        minigan.load(tmp_path / leftovers[0])


def test_saved_file_permissions_follow_the_umask(tmp_path):
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    old = os.umask(0o022)
    try:
        minigan.save({"a": 1}, tmp_path / "p.pt")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "p.pt").st_mode & 0o777) == 0o644


# ---- corrupt files -----------------------------------------------------------------------------

def _good_file(tmp_path):
    path = tmp_path / "good.pt"
    minigan.save({"w": np.arange(4000, dtype=np.float32), "step": 3}, path)
    return path, path.read_bytes()


@pytest.mark.parametrize("cut", [0, 1, 10, 100, 1000, 8000, -200, -22, -1])
def test_truncated_files_give_a_clear_error_naming_the_file(tmp_path, cut):
    path, data = _good_file(tmp_path)
    bad = tmp_path / "truncated.pt"
    bad.write_bytes(data[:cut] if cut >= 0 else data[:len(data) + cut])
    with pytest.raises(CheckpointError, match="truncated.pt"):
        minigan.load(bad)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_flipped_bytes_never_load_silently_wrong(tmp_path_factory, data):
    """Any byte flipped either raises CheckpointError or (in zip padding/metadata) changes nothing."""
    folder = tmp_path_factory.mktemp("flip")
    path, raw = _good_file(folder)
    original = minigan.load(path)
    where = data.draw(st.integers(0, len(raw) - 1))
    flipped = bytearray(raw)
    flipped[where] ^= data.draw(st.integers(1, 255))
    bad = folder / "flipped.pt"
    bad.write_bytes(bytes(flipped))
    try:
        back = minigan.load(bad)
    except CheckpointError as exc:
        assert "flipped.pt" in str(exc)
    else:
        assert back["step"] == original["step"]
        np.testing.assert_array_equal(back["w"], original["w"])


def test_a_shrunken_array_header_is_caught_by_the_checksum(tmp_path):
    """Editing the shape in an array header (4000 -> 1000 elements) must not load a silently short array."""
    path, raw = _good_file(tmp_path)
    assert raw.count(b"(4000,)") == 1
    bad = tmp_path / "shrunk.pt"
    bad.write_bytes(raw.replace(b"(4000,)", b"(1000,)"))
    with pytest.raises(CheckpointError, match="shrunk.pt"):
        minigan.load(bad)


def test_foreign_and_garbage_files(tmp_path):
    (tmp_path / "text.pt").write_text("hello, not a checkpoint")
    with pytest.raises(CheckpointError, match="text.pt"):
        minigan.load(tmp_path / "text.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty.pt"):
        minigan.load(tmp_path / "empty.pt")
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CheckpointError, match="pickled.npy"):  # never unpickles
        minigan.load(tmp_path / "pickled.npy")
    assert issubclass(CheckpointError, ValueError)


def test_a_structure_that_points_at_a_missing_array(tmp_path):
    doc = {"format": "minigan-checkpoint", "version": 1, "root": {"__array__": "arr_9"}}
    np.savez(tmp_path / "x.npz", **{serialization.STRUCTURE_ENTRY: np.frombuffer(json.dumps(doc).encode(), np.uint8)})
    with pytest.raises(CheckpointError, match="arr_9"):
        minigan.load(tmp_path / "x.npz")


def test_a_newer_format_version_is_refused(tmp_path):
    doc = {"format": "minigan-checkpoint", "version": 99, "root": None}
    np.savez(tmp_path / "new.npz", **{serialization.STRUCTURE_ENTRY: np.frombuffer(json.dumps(doc).encode(), np.uint8)})
    with pytest.raises(CheckpointError, match="version 99"):
        minigan.load(tmp_path / "new.npz")


def test_load_to_a_device(tmp_path):
    minigan.save({"w": np.ones(3)}, tmp_path / "d.pt")
    back = minigan.load(tmp_path / "d.pt", device="cpu")
    assert isinstance(back["w"], np.ndarray)
    back = minigan.load(tmp_path / "d.pt", map_location="cpu")
    assert isinstance(back["w"], np.ndarray)
    if not minigan.backend.cuda_available():
        with pytest.raises(minigan.DeviceError):
            minigan.load(tmp_path / "d.pt", device="cuda")
    else:
        back = minigan.load(tmp_path / "d.pt", device="cuda")
        assert minigan.backend.device_of(back["w"]).type == "cuda"
