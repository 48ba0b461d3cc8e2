"""Shared fixtures: real miniature package copies built in tmp_path.

A fixture package is the repository's own `datapackage.yaml` and `schemas/`
plus the records under tests/fixtures/<name>/, so tests always exercise the
real schemas.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_VERSION = "0.1.0"  # a fixture package's own version: releasing the real package never changes a tool test


def make_package(dest: Path, fixture: str = "valid") -> Path:
    """Copy a fixture's records plus the repo's schemas and `datapackage.yaml` (at FIXTURE_VERSION) into `dest`."""
    shutil.copytree(FIXTURES / fixture, dest, dirs_exist_ok=True)
    shutil.copytree(REPO / "schemas", dest / "schemas", dirs_exist_ok=True)
    descriptor = (REPO / "datapackage.yaml").read_text(encoding="utf-8")
    descriptor, found = re.subn(r"(?m)^version: .*$", f"version: {FIXTURE_VERSION}", descriptor, count=1)
    assert found, "datapackage.yaml has no top-level `version:` line"
    (dest / "datapackage.yaml").write_text(descriptor, encoding="utf-8")
    return dest


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A valid miniature package in a temporary folder."""
    return make_package(tmp_path / "pkg")


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact snippet in a file, failing loudly if it is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def published(root: Path) -> dict:
    """The compiled (published) tables of the package at `root`, as lists of row dicts; fails if it is invalid."""
    from pakafg import validate
    from pakafg.compile import compile_tables

    result = validate(root)
    assert result.valid, [i.format() for i in result.report.issues]
    return {name: table.to_pylist() for name, table in compile_tables(result).items()}


def published_frame(spec, release: Path, table: str):
    """A published CSV read with the dtypes the derived pandera model expects (as a consumer would)."""
    import pandas as pd

    from pakafg.check.frame import PANDAS_DTYPES

    fields = spec.tables[table].fields
    dtypes = {f["name"]: PANDAS_DTYPES[f.get("type", "string")] for f in fields if f.get("type") != "date"}
    df = pd.read_csv(release / "csv" / f"{table}.csv", dtype=dtypes, keep_default_na=False, na_values=[""])
    for name in (f["name"] for f in fields if f.get("type") == "date"):
        df[name] = pd.to_datetime(df[name]).astype(PANDAS_DTYPES["date"])
    return df
