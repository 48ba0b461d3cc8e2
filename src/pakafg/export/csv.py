"""CSV: UTF-8, LF line endings, minimal quoting, empty cell = null.

Values are written exactly as stored (no spreadsheet-formula escaping); see the
README "Formula injection policy".
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

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


def _column(column: pa.ChunkedArray) -> list:
    """One column as the values csv.writer turns into `format_cell`'s text (None is written as an empty cell)."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind):
        return column.to_pylist()  # csv.writer writes str as is, int with str(), None as ""
    if pa.types.is_date32(kind):
        return pc.cast(column, pa.string()).to_pylist()  # ISO dates, as date.isoformat()
    return [None if v is None else format_cell(v) for v in column.to_pylist()]


def write(name: str, table: pa.Table, out: Path) -> Path:
    """Write one table; converted a column at a time (the per-cell formatter only for floats and booleans)."""
    path = out / FOLDER / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        # csv.writer quotes a field holding "\n" but not one holding a lone "\r", which every reader takes as a line
        # break: such (rare) rows are written with every text quoted (None stays an empty, unquoted cell).
        quoting = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(table.column_names)
        rows = zip(*(_column(table.column(i)) for i in range(table.num_columns)))
        with_cr = [i for i in range(table.num_columns) if _has_cr(table.column(i))]
        if not with_cr:
            writer.writerows(rows)
        for row in rows:  # only when some text holds a carriage return
            (quoting if any(row[i] is not None and "\r" in row[i] for i in with_cr) else writer).writerow(row)
    return path


def _has_cr(column: pa.ChunkedArray) -> bool:
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return False
    return bool(pc.any(pc.match_substring(column, "\r")).as_py())
