"""SQLite: one database with every table, its types, keys and foreign keys.

Usable as it is by datasette, sqlite-utils and `sqlite3` (`PRAGMA foreign_keys
= ON` enforces the references). The DDL is derived from the Table Schemas
(`schemas.to_sqlite_ddl`). The database is filled in memory, rows in primary-key
order, in one transaction; CHECK constraints are verified once over the whole
database after the inserts (`PRAGMA quick_check`, about half the cost of
checking them row by row while inserting), foreign keys likewise
(`PRAGMA foreign_key_check`). It is written with `VACUUM INTO` at a fixed page size, so the same rows and
the same SQLite library give byte-identical files (the header records the
library's version number, so a different SQLite may change a few bytes).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..issues import PakafgError
from ..schemas import PackageSpec, to_sqlite_ddl

FORMAT = "sqlite"
MEDIATYPE = "application/vnd.sqlite3"
PAGE_SIZE = 4096


def file_name(spec: PackageSpec) -> str:
    return f"{spec.name}.sqlite"


def _cell(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _column(column: pa.ChunkedArray) -> list:
    """One column as SQLite values, converted a column at a time (`_cell` only where a value needs it)."""
    kind = column.type
    if pa.types.is_date32(kind):
        return pc.cast(column, pa.string()).to_pylist()  # ISO dates, as date.isoformat()
    if pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return column.to_pylist()
    return [_cell(v) for v in column.to_pylist()]


def write_package(spec: PackageSpec, tables: dict[str, pa.Table], out: Path) -> Path:
    """Write `<name>.sqlite` into `out`; fail if any foreign key or CHECK is violated."""
    path = out / file_name(spec)
    if path.exists():
        path.unlink()
    con = sqlite3.connect(":memory:")
    try:
        con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        con.execute("PRAGMA foreign_keys = OFF")  # self-references and order; checked in full below
        con.execute("PRAGMA ignore_check_constraints = ON")  # likewise: checked in bulk below
        with con:
            for name, table_spec in spec.tables.items():
                con.execute(to_sqlite_ddl(table_spec))
            for name, table in tables.items():
                cols = ", ".join('"' + c.replace('"', '""') + '"' for c in table.column_names)
                marks = ", ".join("?" for _ in table.column_names)
                rows = zip(*(_column(table.column(i)) for i in range(table.num_columns)))
                try:
                    con.executemany(f'INSERT INTO "{name}" ({cols}) VALUES ({marks})', rows)
                except sqlite3.IntegrityError as exc:
                    raise PakafgError(f"SQLite export: table {name} breaks its schema: {exc}") from None
        con.execute("PRAGMA ignore_check_constraints = OFF")
        failed = [msg for (msg,) in con.execute("PRAGMA quick_check").fetchall() if msg != "ok"]
        if failed:  # e.g. "CHECK constraint failed in events", one line per table (NOT NULL and keys fail on insert)
            raise PakafgError(f"SQLite export: {len(failed)} table(s) break their schema, first: {failed[0]}")
        broken = con.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            table, rowid, parent, _ = broken[0]
            raise PakafgError(f"SQLite export: {len(broken)} foreign key violation(s), first: {table} row {rowid} -> {parent}")
        con.execute("VACUUM INTO ?", (str(path),))
    finally:
        con.close()
    return path
