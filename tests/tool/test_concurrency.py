"""Concurrent builds of the same version into the same folder queue on a lock: the result is one complete release."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from pakafg import build

from conftest import make_package
from test_atomic import VERSION, assert_checksums_hold, tree_bytes, visible


def test_concurrent_builds_do_not_corrupt_each_other(tmp_path):
    a = make_package(tmp_path / "a")
    b = make_package(tmp_path / "b")
    actor = b / "tables/actors/pakistan.yaml"
    actor.write_text(actor.read_text(encoding="utf-8").replace("name: Pakistan", "name: Islamic Republic of Pakistan"), encoding="utf-8")
    expected = {
        "a": tree_bytes(build(a, out=tmp_path / "ref-a").path),
        "b": tree_bytes(build(b, out=tmp_path / "ref-b").path),
    }
    assert expected["a"] != expected["b"]

    shared = tmp_path / "shared"
    roots = [a, b]  # two packages racing for one version (the same package twice: the lock test below)
    procs = [subprocess.Popen([sys.executable, "-m", "pakafg", "build", "--root", str(root), "--out", str(shared)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for root in roots]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    for code, out, err in results:
        assert code == 0 and "Traceback" not in err, out + err

    final = tree_bytes(shared / VERSION)
    assert final in (expected["a"], expected["b"])  # one whole release, never a mix of the two
    assert_checksums_hold(shared / VERSION)
    assert visible(shared) == [VERSION]
    assert sorted(p.name for p in shared.iterdir()) == [".lock", VERSION]  # no staging or set-aside dirs left


def test_build_waits_for_the_lock_and_a_dead_holder_releases_it(tmp_path):
    """A build queues behind another holder of build/.lock; if that holder is killed, the kernel frees the lock."""
    root = make_package(tmp_path / "pkg")
    (root / "build").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(root / "build")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    waiting = subprocess.Popen([sys.executable, "-m", "pakafg", "build", "--root", str(root)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_blocked(waiting)
        assert waiting.poll() is None and not (root / "build" / VERSION).exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert waiting.wait(timeout=120) == 0, waiting.stderr.read()
    assert_checksums_hold(root / "build" / VERSION)


def _wait_until_blocked(proc: subprocess.Popen) -> None:
    """Until the kernel lists `proc` as waiting for a lock (/proc/locks `->` lines); elsewhere a few seconds."""
    locks = Path("/proc/locks")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if not locks.exists():
            time.sleep(8)
            return
        if any(line.split()[5] == str(proc.pid) for line in locks.read_text().splitlines() if "->" in line):
            return
        time.sleep(0.05)
    raise AssertionError("the build never waited for the lock")


HOLD_LOCK = """
import sys, time
from pathlib import Path
from pakafg.publish import build_lock
with build_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(300)
"""
