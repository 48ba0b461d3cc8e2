"""CSV: UTF-8, LF line endings, minimal quoting, empty cell = null.

Values are written exactly as stored (no spreadsheet-formula escaping); see the
README "Formula injection policy".
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa

FOLDER = "csv"
FORMAT = "csv"
MEDIATYPE = "text/csv"


def format_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write(name: str, table: pa.Table, out: Path) -> Path:
    path = out / FOLDER / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(table.column_names)
        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        for values in zip(*columns):
            writer.writerow([format_cell(v) for v in values])
    return path
