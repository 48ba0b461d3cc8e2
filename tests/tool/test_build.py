"""End-to-end: validate and build a real package, read the release back as a consumer would."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from click.testing import CliRunner

from pakafg import build
from pakafg.cli import cli

from conftest import make_package


def test_stock_frictionless_validates_release(package):
    result = build(package)
    proc = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(result.path / "datapackage.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads(proc.stdout)["valid"] is True


def test_parquet_types_read_back(package):
    result = build(package)
    claims = pd.read_parquet(result.path / "parquet" / "claims.parquet")
    schema = pq.read_schema(result.path / "parquet" / "claims.parquet")
    assert str(schema.field("period_start").type) == "date32[day]"
    assert str(schema.field("value_low").type) == "double"
    assert str(schema.field("stated_on").type) == "date32[day]"
    row = claims.set_index("claim_id").loc["fp-deportations-over-800000"]
    assert row["value_low"] == 800000
    assert pd.isna(row["value"])  # null, not the string "nan"
    assert row["period_start"].isoformat() == "2023-11-01"
    citations = pq.read_table(result.path / "parquet" / "citations.parquet")
    assert str(citations.schema.field("start").type) == "int64"
    assert not any(isinstance(v, str) and v.lower() == "nan" for v in claims["note"].tolist())


def test_release_describes_its_files(package):
    result = build(package)
    desc = json.loads((result.path / "datapackage.json").read_text())
    assert desc["version"].startswith("0.1.0-dev+") and desc["pakafg:development"] is True  # never released: a development build
    for res in desc["resources"]:
        data = (result.path / res["path"]).read_bytes()
        assert res["bytes"] == len(data)
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    for entry in desc["pakafg:files"]:
        data = (result.path / entry["path"]).read_bytes()
        assert entry["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def _tree_bytes(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path):
    a = build(make_package(tmp_path / "a"))
    b = build(make_package(tmp_path / "b"))
    assert _tree_bytes(a.path) == _tree_bytes(b.path)


def test_cli_build_prints_path_and_row_counts(package):
    out = CliRunner().invoke(cli, ["build", "--root", str(package)])
    assert out.exit_code == 0, out.output
    assert "development build 0.1.0-dev+" in out.output and f"written: {package / 'build' / 'dev'}" in out.output
    assert re.search(r"^  claims +4 rows   csv/claims.csv  parquet/claims.parquet$", out.output, re.M), out.output
