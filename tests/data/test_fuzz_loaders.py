"""Fuzz the IDX reader and the checkpoint loader with truncated and bit-flipped files.

Every case must be a valid load or a clear one-line error naming the file (DataError,
CheckpointError): never a traceback from deep inside NumPy or zipfile, never a silently wrong
array. The one thing a format cannot see is a flipped bit in the pixels of an uncompressed
IDX file (IDX has no checksum): that loads with exactly that one value changed, and the
test says so. Gzip (CRC-32) and the checkpoint's zip members (CRC-32 each) catch it.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
from hypothesis import given, settings, strategies as st

import minigan
from minigan.data import DataError, read_idx, write_idx
from minigan.serialization import CheckpointError

WORK = Path(tempfile.mkdtemp(prefix="minigan-fuzz-"))
atexit.register(shutil.rmtree, WORK, True)
IMAGES = np.random.default_rng(0).integers(0, 256, (3, 5, 4), dtype=np.uint8)
RAW = write_idx(WORK / "images-idx3-ubyte", IMAGES).read_bytes()
GZ = write_idx(WORK / "images-idx3-ubyte.gz", IMAGES).read_bytes()
HEADER = 4 + 4 * IMAGES.ndim

CHECKPOINT = {"generator": OrderedDict([("0.weight", np.arange(12, dtype=np.float32).reshape(3, 4)),
                                        ("0.bias", np.array([0.5, -1.0, 2.0], dtype=np.float32))]),
              "step": 7, "rng_state": ("pcg", [1, 2, 3]), "lr": 2e-4, "name": "dcgan"}
minigan.save(CHECKPOINT, WORK / "checkpoint.npz")
NPZ = (WORK / "checkpoint.npz").read_bytes()

_counter = iter(range(10**9))


def _mutated(data: bytes, cut: int | None, flips: list[tuple[int, int]], suffix: str) -> Path:
    out = bytearray(data if cut is None else data[:cut])
    for position, bit in flips:
        if out:
            out[position % len(out)] ^= 1 << bit
    path = WORK / f"case-{next(_counter)}{suffix}"
    path.write_bytes(bytes(out))
    return path


def _assert_clear(error: Exception, path: Path) -> None:
    text = str(error)
    assert "\n" not in text, f"the error is not one line: {text!r}"
    assert str(path) in text, f"the error does not name the file: {text!r}"


cuts = st.one_of(st.none(), st.integers(min_value=0))
flips = st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=7)), max_size=3)


@settings(max_examples=300)
@given(cut=cuts, flip=flips, gz=st.booleans())
def test_idx_reader_on_truncated_and_bit_flipped_files(cut, flip, gz):
    data = GZ if gz else RAW
    if cut is not None:
        cut %= len(data)  # strictly shorter than the file: a truncation
    path = _mutated(data, cut, flip, ".gz" if gz else "")
    try:
        try:
            back = read_idx(path)
        except DataError as error:
            _assert_clear(error, path)
            return
        changed = path.read_bytes() != data
        assert not (changed and cut is not None), "a truncated file loaded"
        if gz or not changed:
            # gzip's CRC-32 and length fields catch every change to the payload; a change to the gzip
            # header's free fields (mtime, OS) may load, and then the pixels must be the same
            np.testing.assert_array_equal(back, IMAGES)
            assert back.dtype == IMAGES.dtype
        else:
            # uncompressed: the header is fully checked (magic, shape, exact length), so a change that
            # loads sits in the pixels, and only the flipped pixels differ
            assert back.shape == IMAGES.shape and back.dtype == IMAGES.dtype
            mutated = path.read_bytes()
            positions = [i for i, (a, b) in enumerate(zip(mutated, data)) if a != b]
            assert min(positions) >= HEADER, "a header change loaded"
            assert np.count_nonzero(back != IMAGES) <= len(flip)
    finally:
        os.unlink(path)


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and a == b


@settings(max_examples=300)
@given(cut=cuts, flip=flips)
def test_checkpoint_loader_on_truncated_and_bit_flipped_files(cut, flip):
    if cut is not None:
        cut %= len(NPZ)
    path = _mutated(NPZ, cut, flip, ".npz")
    try:
        try:
            back = minigan.load(path)
        except CheckpointError as error:
            _assert_clear(error, path)
            return
        # a change the zip format does not protect (a timestamp, an attribute) may load: then it is the
        # checkpoint as saved, never a different structure or different numbers
        assert _same(CHECKPOINT, back), f"a damaged checkpoint loaded as something else: {back!r}"[:300]
    finally:
        os.unlink(path)


def test_the_fuzzed_files_load_when_intact():
    # guards the fuzz above: the originals load, so its errors come from the damage
    np.testing.assert_array_equal(read_idx(WORK / "images-idx3-ubyte.gz"), IMAGES)
    assert _same(CHECKPOINT, minigan.load(WORK / "checkpoint.npz"))


def test_every_single_bit_flip_and_truncation_of_a_checkpoint():
    # exhaustive where hypothesis samples: each of the file's bits flipped alone, and every shorter length
    cases = [(None, [(i, bit)]) for i in range(len(NPZ)) for bit in range(8)] + [(n, []) for n in range(len(NPZ))]
    loaded = []
    for cut, flip in cases:
        path = _mutated(NPZ, cut, flip, ".npz")
        try:
            back = minigan.load(path)
        except CheckpointError as error:
            _assert_clear(error, path)
        else:
            loaded.append(flip[0][0])
            assert cut is None and _same(CHECKPOINT, back), f"flip {flip} loaded as something else"
        finally:
            os.unlink(path)
    # what loads is a flip in the zip's free fields (timestamps, attributes); never one in a member's data
    with zipfile.ZipFile(WORK / "checkpoint.npz") as zf:
        starts = [i.header_offset + 30 + int.from_bytes(NPZ[i.header_offset + 26:i.header_offset + 28], "little")
                  + int.from_bytes(NPZ[i.header_offset + 28:i.header_offset + 30], "little")
                  for i in zf.infolist()]  # past the local header, its name and its extra field
        data = [(start, start + i.compress_size) for start, i in zip(starts, zf.infolist())]
    assert loaded and not [p for p in loaded if any(lo <= p < hi for lo, hi in data)]
