"""Writers for the release formats, one module per format (zavod's exporters).

Each exporter takes the compiled Arrow tables and writes its files under the
release's staging directory, returning the paths it wrote; `datapackage` runs
last because it describes (size + sha256) what the others wrote.
"""

from __future__ import annotations

from . import csv, datapackage, parquet

EXPORTERS = (csv, parquet)

__all__ = ["EXPORTERS", "csv", "datapackage", "parquet"]
