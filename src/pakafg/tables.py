"""Typed rows -> published tables: sorted by primary key, columns in schema order.

The one place rows become Arrow tables; every export format is written from
these, so CSV, Parquet and SQLite always hold the same rows in the same order.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .records import Row, row_columns
from .schemas import PackageSpec, TableSpec, to_pyarrow


PATH_COLUMN = "__path"  # with `paths=True`: the record file each row came from (incremental.py patches tables by file)


def to_arrow(spec: TableSpec, rows: list[Row], paths: bool = False) -> pa.Table:
    """Rows as an Arrow table in schema column order, sorted by primary key (nulls first, stable).

    With `paths`, a last column PATH_COLUMN holds each row's record file; it is never published.
    """
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
    if paths:
        table = table.append_column(PATH_COLUMN, pa.array([r.path for r in rows], pa.string()))
    return sort_rows(spec, table)  # often already in order: record files are read sorted


def sort_rows(spec: TableSpec, table: pa.Table) -> pa.Table:
    """`table` in published order (see `to_arrow`); unchanged, without a copy, when already in it."""
    order = row_order(table, spec.primary_key or spec.field_names)
    if len(order) and pc.all(pc.equal(order, pa.array(range(len(order)), order.type))).as_py():
        return table
    return table.take(order)


def row_order(table: pa.Table, names: list[str]) -> pa.Array:
    """Stable sort indices, nulls first; Arrow orders UTF-8 strings by code point, as Python's sorted() does."""
    try:
        return pc.sort_indices(table, sort_keys=[(k, "ascending", "at_start") for k in names])
    except (TypeError, ValueError, pa.ArrowInvalid):  # pyarrow < 25: one null placement for all keys
        return pc.sort_indices(table, sort_keys=[(k, "ascending") for k in names], null_placement="at_start")


def compile_tables(spec: PackageSpec, rows: dict[str, list[Row]], paths: bool = False) -> dict[str, pa.Table]:
    """Every published table, in `datapackage.yaml` resource order (with PATH_COLUMN if `paths`)."""
    return {name: to_arrow(table, rows[name], paths) for name, table in spec.tables.items()}


def published(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The tables without PATH_COLUMN, as every format publishes them."""
    return {name: t.drop_columns([PATH_COLUMN]) if PATH_COLUMN in t.column_names else t for name, t in tables.items()}
