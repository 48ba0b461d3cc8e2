"""Shared fixtures: real miniature package copies built in tmp_path.

A fixture package is the repository's own `datapackage.yaml` and `schemas/`
plus the records under tests/fixtures/<name>/, so tests always exercise the
real schemas.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_package(dest: Path, fixture: str = "valid") -> Path:
    """Copy a fixture's records plus the repo's schemas into `dest`; return it."""
    shutil.copytree(FIXTURES / fixture, dest, dirs_exist_ok=True)
    shutil.copytree(REPO / "schemas", dest / "schemas", dirs_exist_ok=True)
    shutil.copy(REPO / "datapackage.yaml", dest / "datapackage.yaml")
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
