"""Typed rows -> published tables: sorted by primary key, columns in schema order.

The one place rows become Arrow tables; every export format is written from
these, so CSV, Parquet and SQLite always hold the same rows in the same order.
"""

from __future__ import annotations

import pyarrow as pa

from .records import Row
from .schemas import PackageSpec, TableSpec, to_pyarrow


def _sort_key(pk: list[str]):
    def key(row: Row):
        return tuple((row.cells.get(k) is not None, row.cells.get(k) if row.cells.get(k) is not None else "") for k in pk)

    return key


def to_arrow(spec: TableSpec, rows: list[Row]) -> pa.Table:
    ordered = sorted(rows, key=_sort_key(spec.primary_key or spec.field_names))
    schema = to_pyarrow(spec)
    columns = []
    for f in schema:
        values = [r.cells.get(f.name) for r in ordered]
        if pa.types.is_floating(f.type):
            values = [None if v is None else float(v) for v in values]
        columns.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def compile_tables(spec: PackageSpec, rows: dict[str, list[Row]]) -> dict[str, pa.Table]:
    """Every published table, in `datapackage.yaml` resource order."""
    return {name: to_arrow(table, rows[name]) for name, table in spec.tables.items()}
