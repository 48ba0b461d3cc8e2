"""Reproducible builds: two clean clones of one commit build to byte-identical releases, in every format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pakafg import build

from conftest import make_package
from test_atomic import tree_bytes

COMMIT_DATE = "2025-04-02T10:20:30+00:00"


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": COMMIT_DATE, "GIT_COMMITTER_DATE": COMMIT_DATE}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def test_clean_clones_build_byte_identical_releases(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    repo = make_package(tmp_path / "repo")
    _git("init", "-q", "-b", "main", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "-m", "fixture", cwd=repo)
    one, two = tmp_path / "clone-one", tmp_path / "elsewhere" / "clone-two"
    two.parent.mkdir()
    _git("clone", "-q", str(repo), str(one), cwd=tmp_path)
    _git("clone", "-q", str(repo), str(two), cwd=tmp_path)

    first = build(one).path  # in this process
    env = {**os.environ, "TZ": "Asia/Karachi", "PYTHONHASHSEED": "12345", "LC_ALL": "C.UTF-8"}
    proc = subprocess.run([sys.executable, "-m", "pakafg", "build", "--root", str(two)], env=env, capture_output=True, text=True,
                          timeout=300)  # another process, time zone, hash seed, path
    assert proc.returncode == 0, proc.stderr
    second = two / "build" / first.name

    a, b = tree_bytes(first), tree_bytes(second)
    assert {p.split("/")[0] for p in a} >= {"csv", "parquet", "datapackage.json", "SHA256SUMS"}
    assert any(p.endswith(".sqlite") for p in a)
    assert sorted(a) == sorted(b)
    different = [p for p in a if a[p] != b[p]]
    assert not different, f"differ between clones: {different}"
    created = json.loads(a["datapackage.json"])["created"]
    assert created == "2025-04-02T10:20:30Z"  # the commit's date, not the clock


def test_source_date_epoch_sets_created(package, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    desc = json.loads((build(package).path / "datapackage.json").read_text(encoding="utf-8"))
    assert desc["created"] == "2023-11-14T22:13:20Z"
