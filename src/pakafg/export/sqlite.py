"""SQLite: one database with every table, its types, keys and foreign keys.

Usable as it is by datasette, sqlite-utils and `sqlite3` (`PRAGMA foreign_keys
= ON` enforces the references). The DDL is derived from the Table Schemas
(`schemas.to_sqlite_ddl`). The database is filled in memory, rows in primary-key
order, in one transaction; CHECK constraints are verified after the inserts,
one query per table with every CHECK of its DDL (a third of the cost of
checking them row by row while inserting), and foreign keys likewise
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


def _skip_quoted(sql: str, at: int) -> int:
    """The index just after the '…' literal or "…" name starting at `at` (a doubled quote is part of it)."""
    quote, i = sql[at], at + 1
    while True:
        i = sql.index(quote, i) + 1
        if not sql.startswith(quote, i):
            return i
        i += 1


def check_expressions(ddl: str) -> list[str]:
    """The expression inside every `CHECK (…)` of a CREATE TABLE statement, literals and names skipped."""
    found, i = [], 0
    while i < len(ddl):
        if ddl[i] in "'\"":
            i = _skip_quoted(ddl, i)
        elif ddl.startswith("CHECK (", i):
            start = i = i + len("CHECK (")
            depth = 1
            while depth:
                if ddl[i] in "'\"":
                    i = _skip_quoted(ddl, i)
                    continue
                depth += {"(": 1, ")": -1}.get(ddl[i], 0)
                i += 1
            found.append(ddl[start:i - 1])
        else:
            i += 1
    return found


def _check_constraints(con: sqlite3.Connection, name: str, ddl: str) -> None:
    """Raise if any row of table `name` breaks a CHECK, as SQLite would have on insert (a NULL result passes)."""
    checks = check_expressions(ddl)
    if not checks:
        return
    table = '"' + name.replace('"', '""') + '"'
    row = con.execute(f"SELECT rowid FROM {table} WHERE NOT ({' AND '.join(f'({c})' for c in checks)}) LIMIT 1").fetchone()
    if row is None:
        return
    failed = [c for c in checks if con.execute(f"SELECT NOT ({c}) FROM {table} WHERE rowid = ?", row).fetchone()[0]]
    raise PakafgError(f"SQLite export: table {name} breaks its schema: row {row[0]} fails CHECK ({failed[0]})")


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
            ddl = {name: to_sqlite_ddl(table_spec) for name, table_spec in spec.tables.items()}
            for statement in ddl.values():
                con.execute(statement)
            for name, table in tables.items():
                cols = ", ".join('"' + c.replace('"', '""') + '"' for c in table.column_names)
                marks = ", ".join("?" for _ in table.column_names)
                rows = zip(*(_column(table.column(i)) for i in range(table.num_columns)))
                try:
                    con.executemany(f'INSERT INTO "{name}" ({cols}) VALUES ({marks})', rows)
                except sqlite3.IntegrityError as exc:
                    raise PakafgError(f"SQLite export: table {name} breaks its schema: {exc}") from None
        for name in tables:
            _check_constraints(con, name, ddl[name])
        broken = con.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            table, rowid, parent, _ = broken[0]
            raise PakafgError(f"SQLite export: {len(broken)} foreign key violation(s), first: {table} row {rowid} -> {parent}")
        con.execute("VACUUM INTO ?", (str(path),))
    finally:
        con.close()
    return path
