"""Atomic releases: a build killed at any moment leaves the previous release byte-identical and nothing half-written visible."""

from __future__ import annotations

import hashlib
import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pakafg.bench import edit_one_record, generate
from pakafg.pipeline import build
from pakafg.publish import PREVIOUS_PREFIX, STAGING_PREFIX, build_lock, recover
from pakafg.cli import cli

from conftest import make_package

VERSION = "dev"  # a fixture package has no release: its builds are development builds
publish_module = importlib.import_module("pakafg.publish")


def tree_bytes(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def visible(out: Path) -> list[str]:
    """What a consumer listing build/ sees (hidden entries are staging, lock and set-aside dirs)."""
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def assert_checksums_hold(release: Path) -> None:
    """`sha256sum -c SHA256SUMS`: every file listed, complete and unchanged."""
    lines = (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest, name
    assert set(listed) | {"SHA256SUMS"} == set(tree_bytes(release))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A generated package big enough that writing its release takes a noticeable moment."""
    root = tmp_path_factory.mktemp("atomic") / "pkg"
    generate(root, 2000, seed=7)
    return root


def _kill_while_writing(root: Path, wait_for: str) -> Path:
    """Start `pakafg build`, SIGKILL it as soon as its staging dir holds a file matching `wait_for`; return that dir."""
    out = root / "build"
    proc = subprocess.Popen([sys.executable, "-m", "pakafg", "build", "--root", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    caught = None
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            hits = list(out.glob(f"{STAGING_PREFIX}*/{wait_for}")) if out.is_dir() else []
            if hits:
                proc.send_signal(signal.SIGKILL)
                caught = hits[0].parent
                while caught.parent != out:
                    caught = caught.parent
                break
            time.sleep(0.001)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert caught is not None, f"the build ended before it could be killed mid-write: {proc.stderr.read().decode()[-2000:]}"
    assert proc.returncode == -signal.SIGKILL
    return caught


def test_killed_build_leaves_previous_release_untouched(corpus):
    out = corpus / "build"
    first = build(corpus)
    before = tree_bytes(first.path)
    edit_one_record(corpus)  # the next release differs from the one on disk
    killed = []
    for wait_for in ("csv/*.csv", "parquet/*.parquet"):  # early in the write, and later
        staging = _kill_while_writing(corpus, wait_for)
        killed.append(staging.name)
        assert staging.exists() and staging.name.startswith(STAGING_PREFIX)  # killed mid-write, its partial output hidden
        assert list(out.glob(f"{STAGING_PREFIX}*")) == [staging]  # an earlier killed build's leftovers were cleaned
        assert tree_bytes(out / VERSION) == before  # byte-identical previous release
        assert visible(out) == [VERSION]  # no partial release visible
        assert_checksums_hold(out / VERSION)

    again = build(corpus)  # the next run cleans up and publishes
    assert any(f"deleted {killed[-1]}/" in note for note in again.notes), again.notes
    assert not list(out.glob(f"{STAGING_PREFIX}*")) and not list(out.glob(f"{PREVIOUS_PREFIX}*"))
    assert not again.unchanged and tree_bytes(out / VERSION) != before
    assert_checksums_hold(out / VERSION)


def test_release_folder_is_readable_by_others(package):
    result = build(package)
    assert os.stat(result.path).st_mode & 0o005 == 0o005 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_replacing_without_atomic_swap(package, monkeypatch):
    """Where renameat2(RENAME_EXCHANGE) is unavailable, two renames through .previous-<version>, none left behind."""
    first = build(package)
    (package / "tables/actors/pakistan.yaml").write_text(
        "actor_id: pakistan\nname: Islamic Republic of Pakistan\nactor_type: state\ncountry_code: PK\n", encoding="utf-8")
    monkeypatch.setattr(publish_module, "_exchange", lambda a, b: False)
    second = build(package)
    assert not second.unchanged
    assert b"Islamic Republic of Pakistan" in (second.path / "csv/actors.csv").read_bytes()
    assert visible(first.path.parent) == [VERSION]
    assert not list(first.path.parent.glob(".previous-*"))


def test_crash_between_the_two_renames_is_recovered(package):
    """A crash after the previous release was set aside but before the new one moved in: the next run puts it back."""
    result = build(package)
    out = result.path.parent
    before = tree_bytes(result.path)
    os.replace(result.path, out / f"{PREVIOUS_PREFIX}{VERSION}")  # the on-disk state such a crash leaves
    (out / f"{STAGING_PREFIX}{VERSION}-dead").mkdir()
    (out / f"{STAGING_PREFIX}{VERSION}-dead" / "half.csv").write_text("source_id\n", encoding="utf-8")
    with build_lock(out):
        notes = recover(out)
    assert tree_bytes(out / VERSION) == before
    assert visible(out) == [VERSION] and sorted(p.name for p in out.iterdir()) == [".lock", VERSION]
    assert any(f"restored {VERSION}/" in n for n in notes) and any(f"deleted {STAGING_PREFIX}{VERSION}-dead/" in n for n in notes)


def test_failed_build_does_not_touch_previous_release(package):
    result = build(package)
    before = tree_bytes(result.path)
    (package / "tables/actors/pakistan.yaml").write_bytes(b"actor_id: pakistan\nname: [unclosed\n")
    out = CliRunner().invoke(cli, ["build", "--root", str(package)])
    assert out.exit_code == 1 and isinstance(out.exception, SystemExit) and "build refused" in out.output
    assert tree_bytes(result.path) == before
    assert visible(result.path.parent) == [VERSION]


def test_make_package_fixture_still_builds(tmp_path):
    """The lock file and recovery do not get in the way of a first build into a fresh folder."""
    root = make_package(tmp_path / "p")
    result = build(root, out=tmp_path / "elsewhere")
    assert result.path == tmp_path / "elsewhere" / VERSION
    assert_checksums_hold(result.path)
