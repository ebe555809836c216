"""minigan/data/idx.py: IDX round trips and every way a file can be broken."""

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigan.data import IMAGES_MAGIC, LABELS_MAGIC, DataError, read_idx, write_idx

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@settings(max_examples=60, deadline=None)
@given(
    array=st.sampled_from(IDX_DTYPES).flatmap(
        lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    ),
    compress=st.booleans(),
    suffix=st.sampled_from(["", ".gz"]),
)
def test_round_trip_any_shape_dtype_gzip_or_raw(tmp_path_factory, array, compress, suffix):
    path = tmp_path_factory.mktemp("idx") / f"data-idx{suffix}"
    write_idx(path, array, gzip=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress  # detection is by content, not name
    back = read_idx(path)
    assert back.dtype == array.dtype and back.dtype.isnative
    assert back.shape == array.shape
    assert back.tobytes() == array.tobytes()  # bitwise, so NaNs and -0.0 count too
    assert back.flags.writeable


def test_big_endian_layout_matches_the_spec(tmp_path):
    path = tmp_path / "x.idx"
    write_idx(path, np.array([[1, 258]], dtype=np.int16), gzip=False)
    assert path.read_bytes() == bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 1, 2])


def test_gzip_default_follows_the_file_name(tmp_path):
    write_idx(tmp_path / "a.gz", np.zeros(3, np.uint8))
    write_idx(tmp_path / "a", np.zeros(3, np.uint8))
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "a").read_bytes()[:4] == b"\x00\x00\x08\x01"


def test_gzip_output_is_deterministic(tmp_path):
    write_idx(tmp_path / "a.gz", np.arange(100, dtype=np.uint8))
    first = (tmp_path / "a.gz").read_bytes()
    write_idx(tmp_path / "a.gz", np.arange(100, dtype=np.uint8))
    assert (tmp_path / "a.gz").read_bytes() == first


def test_write_rejects_unsupported_arrays(tmp_path):
    with pytest.raises(TypeError, match="uint16"):
        write_idx(tmp_path / "a", np.zeros(3, np.uint16))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "a", np.zeros((), np.uint8))
    assert list(tmp_path.iterdir()) == []


def _images(tmp_path, compress=True, name="images-idx3-ubyte.gz"):
    path = tmp_path / name
    write_idx(path, np.arange(2 * 28 * 28, dtype=np.int64).astype(np.uint8).reshape(2, 28, 28), gzip=compress)
    return path


def test_truncated_raw_file_names_file_and_sizes(tmp_path):
    path = _images(tmp_path, compress=False, name="images")
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match="truncated") as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message and "(2, 28, 28)" in message and str(16 + 2 * 784) in message


def test_truncated_header(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(DataError, match="truncated") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_empty_file(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=f"{path}: truncated"):
        read_idx(path)


def test_trailing_bytes_are_wrong_length(tmp_path):
    path = _images(tmp_path, compress=False, name="images")
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(DataError, match="wrong length") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip(tmp_path):
    path = _images(tmp_path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataError, match="truncated gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupt_gzip_crc(tmp_path):
    path = _images(tmp_path)
    data = bytearray(path.read_bytes())
    data[-8] ^= 0xFF  # the CRC-32 in the gzip trailer
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupt_gzip_stream(tmp_path):
    path = tmp_path / "noise.gz"
    path.write_bytes(gzip.compress(b"\x00" * 100)[:10] + b"\xff" * 50)
    with pytest.raises(DataError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_gzipped_content_whose_payload_is_short_says_decompressed(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05abc"))
    with pytest.raises(DataError, match="decompressed file has 11") as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "header",
    [b"\x01\x00\x08\x03", b"\x00\x00\x07\x03", b"\x00\x00\x08\x00", b"PK\x03\x04"],
    ids=["nonzero-first-byte", "unknown-type", "zero-dims", "zip-file"],
)
def test_bad_magic(tmp_path, header):
    path = tmp_path / "bad"
    path.write_bytes(header + b"\x00" * 16)
    with pytest.raises(DataError, match="bad magic") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_misnamed_gz_that_is_raw_still_reads(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, np.array([3, 1, 4], np.uint8), gzip=False)
    assert read_idx(path).tolist() == [3, 1, 4]


def test_bad_magic_on_misnamed_gz_says_it_is_not_gzip(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(DataError, match="named .gz but not gzip-compressed"):
        read_idx(path)


def test_expected_magic(tmp_path):
    path = _images(tmp_path)
    assert read_idx(path, magic=IMAGES_MAGIC).shape == (2, 28, 28)
    with pytest.raises(DataError) as info:
        read_idx(path, magic=LABELS_MAGIC)
    message = str(info.value)
    assert str(path) in message and "0x00000803" in message and "expected 0x00000801" in message
