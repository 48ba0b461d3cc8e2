"""SQLite: one database with every table, its types, keys and foreign keys.

Usable as it is by datasette, sqlite-utils and `sqlite3` (`PRAGMA foreign_keys
= ON` enforces the references). The DDL is derived from the Table Schemas
(`schemas.to_sqlite_ddl`). The database is filled in a scratch file beside the
release (its pages sit in the OS page cache, not in this process's memory),
rows in primary-key order, in one transaction, many rows per INSERT and
ROWS_PER_CHUNK rows converted at a time (see `_insert`); CHECK constraints are
verified after the inserts, one query per table with every CHECK of its DDL (a
third of the cost of checking them row by row while inserting), and foreign
keys likewise (`PRAGMA foreign_key_check`). It is written with `VACUUM INTO`
at a fixed page size, so the same rows and the same SQLite library give
byte-identical files (the header records the library's version number, so a
different SQLite may change a few bytes); the scratch file is then deleted.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..issues import PakafgError
from ..schemas import PackageSpec
from ..targets import sql_name, to_sqlite_ddl
from . import sqlite_extras

FORMAT = "sqlite"
MEDIATYPE = "application/vnd.sqlite3"
PAGE_SIZE = 4096
ROWS_PER_INSERT = 100
ROWS_PER_CHUNK = 10_000  # a multiple of ROWS_PER_INSERT: rows converted to Python values at a time
NULL_STAND_IN = bytearray()  # bound as an empty blob, with none of the adapter lookups a None costs; no column holds blobs


def file_name(spec: PackageSpec) -> str:
    return f"{spec.name}.sqlite"


def _cell(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _column(column: pa.ChunkedArray, null=None) -> list:
    """One column as SQLite values, converted a column at a time (`_cell` only where a value needs it); nulls as `null`."""
    kind = column.type
    if pa.types.is_date32(kind):
        values = pc.cast(column, pa.string()).to_pylist()  # ISO dates, as date.isoformat()
    elif pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = column.to_pylist()
    else:
        values = [_cell(v) for v in column.to_pylist()]
    if null is not None and column.null_count:
        values = [null if v is None else v for v in values]
    return values


def _insert(con: sqlite3.Connection, name: str, table: pa.Table) -> None:
    """Insert every row, in order: ROWS_PER_INSERT rows per statement, nulls of nullable columns as NULL_STAND_IN.

    Python's sqlite3 module spends more time per row and per None than SQLite
    spends inserting; so rows go in many to a statement, a nullable column that
    is null throughout is left out (it is NULL by default), and other nulls go
    in as stand-ins, set back to NULL by one UPDATE before anything reads the table.
    """
    info = {row[1]: row for row in con.execute(f"PRAGMA table_info({sql_name(name)})")}  # cid, name, type, notnull, default, pk
    # NOT NULL and key columns keep their None and are never left out, so SQLite refuses a null there as it always did
    nullable = {c for c in table.column_names if c in info and not info[c][3] and not info[c][5] and info[c][4] is None}
    columns = [c for c in table.column_names if c not in nullable or table.column(c).null_count < table.num_rows] or table.column_names
    stand_in = [c for c in columns if c in nullable and table.column(c).null_count]
    width = len(columns)
    cols = ", ".join(sql_name(c) for c in columns)
    row = "(" + ", ".join("?" for _ in columns) + ")"
    per_statement = max(1, min(ROWS_PER_INSERT, con.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // max(width, 1)))
    step = per_statement * width
    insert = f'INSERT INTO "{name}" ({cols}) VALUES {", ".join([row] * per_statement)}'
    try:
        for offset in range(0, table.num_rows, ROWS_PER_CHUNK):  # a chunk's values at a time: bounded memory
            chunk = table.slice(offset, ROWS_PER_CHUNK)
            values = [None] * (chunk.num_rows * width)  # row after row, as the VALUES lists take them
            for i, column in enumerate(columns):
                values[i::width] = _column(chunk.column(column), NULL_STAND_IN if column in stand_in else None)
            full = len(values) - len(values) % step
            for start in range(0, full, step):
                con.execute(insert, values[start:start + step])
            if full < len(values):
                con.execute(f'INSERT INTO "{name}" ({cols}) VALUES {", ".join([row] * ((len(values) - full) // width))}', values[full:])
    except sqlite3.IntegrityError as exc:
        raise PakafgError(f"SQLite export: table {name} breaks its schema: {exc}") from None
    if stand_in:
        restore = ", ".join(f"{c} = nullif({c}, x'')" for c in map(sql_name, stand_in))
        con.execute(f'UPDATE "{name}" SET {restore}')


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
    table = sql_name(name)
    row = con.execute(f"SELECT rowid FROM {table} WHERE NOT ({' AND '.join(f'({c})' for c in checks)}) LIMIT 1").fetchone()
    if row is None:
        return
    failed = [c for c in checks if con.execute(f"SELECT NOT ({c}) FROM {table} WHERE rowid = ?", row).fetchone()[0]]
    raise PakafgError(f"SQLite export: table {name} breaks its schema: row {row[0]} fails CHECK ({failed[0]})")


def _check_foreign_keys(con: sqlite3.Connection) -> None:
    broken = con.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise PakafgError(f"SQLite export: {len(broken)} foreign key violation(s), first: {table} row {rowid} -> {parent}")


def write_package(spec: PackageSpec, tables: dict[str, pa.Table], out: Path) -> Path:
    """Write `<name>.sqlite` into `out`; fail if any foreign key or CHECK is violated."""
    path = out / file_name(spec)
    scratch = out / f".{path.name}.scratch"  # filled on disk, not in memory: the page cache holds it, not this process
    try:
        path.unlink(missing_ok=True)
        scratch.unlink(missing_ok=True)
        con = sqlite3.connect(scratch)
        try:
            _fill(con, spec, tables)
            con.execute("VACUUM INTO ?", (str(path),))  # reads the database, never changes it
            sqlite_extras.apply(spec, path)  # label columns and full-text search, in the release file
        finally:
            con.close()
            scratch.unlink(missing_ok=True)
    except sqlite3.OperationalError as exc:  # a full disk, a folder that cannot be written: the build reports it
        raise OSError(f"SQLite could not write the database: {exc}") from exc
    return path


def _fill(con: sqlite3.Connection, spec: PackageSpec, tables: dict[str, pa.Table]) -> None:
    """Create every table and insert its rows; raise PakafgError if a CHECK or foreign key is broken."""
    con.execute("PRAGMA journal_mode = OFF")  # a scratch file: a failed build discards it whole
    con.execute("PRAGMA synchronous = OFF")
    con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    con.execute("PRAGMA foreign_keys = OFF")  # self-references and order; checked in full below
    con.execute("PRAGMA ignore_check_constraints = ON")  # likewise: checked in bulk below
    with con:
        ddl = {name: to_sqlite_ddl(table_spec) for name, table_spec in spec.tables.items()}
        for statement in ddl.values():
            con.execute(statement)
        for name, table in tables.items():
            _insert(con, name, table)
    for name in tables:
        _check_constraints(con, name, ddl[name])
    _check_foreign_keys(con)
