"""Parquet: typed columns (dates as date32, integers as int64, nulls as nulls).

Written with fixed options and no pandas metadata so the bytes depend only on
the rows and the pyarrow version.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FOLDER = "parquet"
FORMAT = "parquet"
MEDIATYPE = "application/vnd.apache.parquet"


def write(name: str, table: pa.Table, out: Path) -> Path:
    path = out / FOLDER / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", use_dictionary=False, write_statistics=True,
                   store_schema=True, version="2.6")
    return path
