"""minigan.runlock: one process per run folder, released by the kernel when the holder dies."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minigan.runlock import LOCK_NAME, RunLock, RunLockedError

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX only")

HOLDER = """
import sys, time
from minigan.runlock import RunLock
RunLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(120)
"""


def hold_in_child(run_dir: Path) -> subprocess.Popen:
    """A second process that takes the lock on `run_dir` and keeps it until killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_process_is_refused_with_the_holders_pid(tmp_path):
    proc = hold_in_child(tmp_path / "run")
    try:
        with pytest.raises(RunLockedError, match=rf"in use by process {proc.pid} \(.*-c") as info:
            RunLock(tmp_path / "run").acquire()
        assert info.value.pid == proc.pid and "\n" not in str(info.value)
        assert isinstance(info.value, OSError)
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_holder_leaves_the_folder_free(tmp_path):
    proc = hold_in_child(tmp_path / "run")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (tmp_path / "run" / LOCK_NAME).read_text().startswith(f"{proc.pid}\n")  # the stale file stays
    with RunLock(tmp_path / "run") as lock:
        assert lock.held
        assert (tmp_path / "run" / LOCK_NAME).read_text().startswith(f"{os.getpid()}\n")  # taken over


def test_release_lets_the_next_holder_in(tmp_path):
    first = RunLock(tmp_path).acquire()
    with pytest.raises(RunLockedError, match=f"process {os.getpid()}"):
        RunLock(tmp_path).acquire()  # a second open file in the same process is refused too
    first.acquire()  # already held by this object: nothing happens
    first.release()
    second = RunLock(tmp_path).acquire()
    assert second.held and not first.held
    second.release()


def test_a_lock_file_without_a_pid_still_names_no_process(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time\n"
                             "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
                             "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(120)",
                             str(tmp_path / LOCK_NAME)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        start = time.monotonic()
        with pytest.raises(RunLockedError, match="in use by another process") as info:
            RunLock(tmp_path).acquire()
        assert info.value.pid is None and time.monotonic() - start < 5  # at once, not waiting
    finally:
        proc.kill()
        proc.wait()
