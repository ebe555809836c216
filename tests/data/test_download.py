"""minigan/data/download.py: fake mirrors over file:// and a local HTTP server, checksums, atomic writes."""

import dataclasses
import functools
import hashlib
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from minigan.data import ChecksumError, DataError, DownloadError, download_file, load_dataset, write_fake_dataset
from minigan.data import catalog, datasets

FILES = [f"{base}.gz" for base in catalog.ALL_FILES]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Fake cache and home; the MNIST spec pinned to the fake mirror's digests, no system folders."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINIGAN_DATA_DIR", raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")  # the local server must not go through a proxy
    datasets.clear_cache()
    yield
    datasets.clear_cache()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A folder with the four fake .gz files, and the spec's digests set to match them."""
    folder = tmp_path / "mirror"
    written = write_fake_dataset(folder, train_size=5, test_size=3, seed=42)
    digests = {base: hashlib.sha256((folder / f"{base}.gz").read_bytes()).hexdigest() for base in catalog.ALL_FILES}
    spec = dataclasses.replace(catalog.MNIST, gz_sha256=digests, system_dirs=())
    monkeypatch.setitem(catalog.SPECS, "mnist", spec)
    return folder, written


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "xdg" / "minigan" / "mnist"


class _Handler(SimpleHTTPRequestHandler):
    requests: list

    def log_message(self, *args):  # keep pytest output clean; remember the paths instead
        self.requests.append(self.path)

    def do_GET(self):
        if self.path.startswith("/cut/"):  # promise 1000 bytes, send 10, hang up
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + b"\x00" * 8)
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def http_server(tmp_path):
    """(root folder, base URL, requested paths) of an HTTP server on 127.0.0.1, shut down afterwards."""
    root = tmp_path / "www"
    root.mkdir()
    requests = []
    handler = type("Handler", (_Handler,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _temp_files(folder):
    return [p.name for p in folder.rglob("*") if p.name.endswith(".part")] if folder.exists() else []


def test_download_from_file_mirror_into_cache(mirror, cache):
    folder, written = mirror
    images, labels = load_dataset("mnist", "train", mirrors=[folder.as_uri()])
    np.testing.assert_array_equal(images, written["train"][0])
    np.testing.assert_array_equal(labels, written["train"][1])
    assert sorted(p.name for p in cache.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    # Found in the cache from now on: no mirror needed.
    datasets.clear_cache()
    np.testing.assert_array_equal(load_dataset("mnist", "train", mirrors=[])[0], written["train"][0])


def test_download_over_http_falls_back_after_checksum_mismatch(mirror, cache, http_server):
    folder, written = mirror
    root, url, requests = http_server
    (root / "bad").mkdir()
    (root / "good").mkdir()
    for name in FILES:
        (root / "good" / name).write_bytes((folder / name).read_bytes())
        (root / "bad" / name).write_bytes((folder / name).read_bytes()[:-1] + b"!")
    images, labels = load_dataset("mnist", "test", mirrors=[url + "bad/", url + "good"])
    np.testing.assert_array_equal(images, written["test"][0])
    np.testing.assert_array_equal(labels, written["test"][1])
    assert "/bad/t10k-images-idx3-ubyte.gz" in requests and "/good/t10k-images-idx3-ubyte.gz" in requests
    assert _temp_files(cache) == []


def test_download_recovers_from_a_connection_cut_mid_file(mirror, cache, http_server):
    folder, written = mirror
    root, url, _ = http_server
    images, _ = load_dataset("mnist", "test", mirrors=[url + "cut/", folder.as_uri()])
    np.testing.assert_array_equal(images, written["test"][0])
    assert _temp_files(cache) == []
    with pytest.raises(DownloadError, match="connection closed early, 990 bytes missing"):
        download_file("train-labels-idx1-ubyte.gz", cache, [url + "cut/"], "0" * 64)
    assert _temp_files(cache) == []


def test_download_times_out_on_a_silent_server_then_uses_next_mirror(mirror, cache):
    folder, written = mirror
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # the kernel completes connections; nobody ever answers
    try:
        silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        images, _ = load_dataset("mnist", "test", mirrors=[silent_url, folder.as_uri()], timeout=0.3)
    finally:
        silent.close()
    np.testing.assert_array_equal(images, written["test"][0])


def test_all_mirrors_failing_says_what_to_put_where(mirror, cache, http_server, tmp_path):
    folder, _ = mirror
    root, url, _ = http_server
    (root / "corrupt").mkdir()
    for name in FILES:
        (root / "corrupt" / name).write_bytes(b"not the file")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    mirrors = [(tmp_path / "missing").as_uri(), url + "corrupt/", url + "absent/", f"http://127.0.0.1:{closed_port}/"]
    with pytest.raises(DataError) as info:
        load_dataset("mnist", mirrors=mirrors, timeout=2)
    message = str(info.value)
    for name in FILES:
        assert name in message
    assert "MINIGAN_DATA_DIR" in message and "--data-dir" in message and str(cache) in message
    for base in mirrors:
        assert base.rstrip("/") + "/train-images-idx3-ubyte.gz" in message
    assert "404" in message
    expected = catalog.SPECS["mnist"].gz_sha256["train-images-idx3-ubyte"]
    assert f"expected {expected}, got {hashlib.sha256(b'not the file').hexdigest()}" in message
    assert _temp_files(cache) == []
    assert not (cache / "train-images-idx3-ubyte.gz").exists()


def test_download_false_never_touches_mirrors(mirror, cache):
    folder, _ = mirror
    with pytest.raises(DataError, match="download=False"):
        load_dataset("mnist", download=False, mirrors=[folder.as_uri()])
    assert not cache.exists()


def test_checksum_error_names_file_expected_and_actual(mirror, tmp_path):
    folder, _ = mirror
    wrong = "0" * 64
    actual = hashlib.sha256((folder / "train-labels-idx1-ubyte.gz").read_bytes()).hexdigest()
    with pytest.raises(DownloadError) as info:
        download_file("train-labels-idx1-ubyte.gz", tmp_path / "dest", [folder.as_uri()], wrong)
    message = str(info.value)
    assert "train-labels-idx1-ubyte.gz" in message and f"expected {wrong}, got {actual}" in message
    assert list((tmp_path / "dest").iterdir()) == []


def test_failed_download_keeps_the_existing_file(mirror, tmp_path):
    folder, _ = mirror
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "train-labels-idx1-ubyte.gz").write_bytes(b"previous")
    with pytest.raises(DownloadError):
        download_file("train-labels-idx1-ubyte.gz", dest, [folder.as_uri()], "0" * 64)
    assert (dest / "train-labels-idx1-ubyte.gz").read_bytes() == b"previous"
    assert sorted(p.name for p in dest.iterdir()) == ["train-labels-idx1-ubyte.gz"]


def test_checksum_error_attributes():
    error = ChecksumError("f.gz", "a" * 64, "b" * 64, source="http://x/f.gz")
    assert (error.filename, error.expected, error.actual) == ("f.gz", "a" * 64, "b" * 64)
    assert isinstance(error, DataError) and isinstance(error, ValueError)
    assert "f.gz" in str(error) and "http://x/f.gz" in str(error)
