"""Typed rows -> published tables: sorted by primary key, columns in schema order.

The one place rows become Arrow tables; every export format is written from
these, so CSV, Parquet and SQLite always hold the same rows in the same order.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .records import Row, row_columns
from .schemas import PackageSpec, TableSpec, to_pyarrow


def to_arrow(spec: TableSpec, rows: list[Row]) -> pa.Table:
    """Rows as an Arrow table in schema column order, sorted by primary key (nulls first, stable)."""
    schema = to_pyarrow(spec)
    try:  # Arrow converts the columns in C (ints become floats in float columns)
        table = pa.Table.from_arrays([pa.array(values, type=f.type) for values, f in zip(row_columns(rows, schema.names), schema)],
                                     schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):  # a value Arrow will not take as is
        columns = []
        for f in schema:
            values = [r.cells.get(f.name) for r in rows]
            if pa.types.is_floating(f.type):
                values = [None if v is None else float(v) for v in values]
            columns.append(pa.array(values, type=f.type))
        table = pa.Table.from_arrays(columns, schema=schema)
    order = _order(table, spec.primary_key or spec.field_names)
    if len(order) and pc.all(pc.equal(order, pa.array(range(len(order)), order.type))).as_py():
        return table  # already in order (record files are read sorted): the same rows, without a copy
    return table.take(order)


def _order(table: pa.Table, names: list[str]) -> pa.Array:
    """Stable sort indices, nulls first; Arrow orders UTF-8 strings by code point, as Python's sorted() does."""
    try:
        return pc.sort_indices(table, sort_keys=[(k, "ascending", "at_start") for k in names])
    except (TypeError, ValueError, pa.ArrowInvalid):  # pyarrow < 25: one null placement for all keys
        return pc.sort_indices(table, sort_keys=[(k, "ascending") for k in names], null_placement="at_start")


def compile_tables(spec: PackageSpec, rows: dict[str, list[Row]]) -> dict[str, pa.Table]:
    """Every published table, in `datapackage.yaml` resource order."""
    return {name: to_arrow(table, rows[name]) for name, table in spec.tables.items()}
