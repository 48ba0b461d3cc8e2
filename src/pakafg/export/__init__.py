"""Writers for the release formats, one module per format (zavod's exporters).

Each exporter takes the compiled Arrow tables and writes its files under the
release's staging directory, returning the paths it wrote; `datapackage` runs
last because it describes (size + sha256) what the others wrote. Formats that
hold every table in one file (SQLite) are in PACKAGE_EXPORTERS and write the
whole package at once with `write_package(spec, tables, out)`.
"""

from __future__ import annotations

from . import csv, datapackage, parquet, sqlite

EXPORTERS = (csv, parquet)
PACKAGE_EXPORTERS = (sqlite,)



def relative_path(exporter, name: str) -> str:
    """Where a per-table exporter writes table `name` inside a release (`exporter.write` returns the same path)."""
    return f"{exporter.FOLDER}/{name}.{exporter.FORMAT}"


__all__ = ["EXPORTERS", "PACKAGE_EXPORTERS", "csv", "datapackage", "parquet", "relative_path", "sqlite"]
