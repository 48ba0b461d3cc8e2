"""SQLite: one database with every table, its types, keys and foreign keys.

Usable as it is by datasette, sqlite-utils and `sqlite3` (`PRAGMA foreign_keys
= ON` enforces the references). The DDL is derived from the Table Schemas
(`schemas.to_sqlite_ddl`). The database is filled in memory, rows in primary-key
order, in one transaction, many rows per INSERT (see `_insert`); CHECK constraints are verified after the inserts,
one query per table with every CHECK of its DDL (a third of the cost of
checking them row by row while inserting), and foreign keys likewise
(`PRAGMA foreign_key_check`). It is written with `VACUUM INTO` at a fixed page size, so the same rows and
the same SQLite library give byte-identical files (the header records the
library's version number, so a different SQLite may change a few bytes).

An incremental build cannot afford to refill the database (most of a 100k-record
rebuild would go to it), so it updates a copy instead:
`write_package(…, working=path)` also saves the filled and checked database as
it stands before `VACUUM INTO`; `update_package(spec, tables, out, working,
changed, working_out)` copies that file, rewrites only the rows listed in
`changed` (table -> 0-based row positions; rowid = position + 1, as the rows
went in in order), checks those rows' CHECKs and foreign keys, and writes the
same bytes as `write_package` would: `VACUUM INTO` copies rows, rowids and the
schema cookie (+ 1) of its source, never its page layout. It saves the updated
copy to `working_out` and never touches `working`. It returns None, writing
nothing into `out`, whenever the copy cannot be trusted to give those bytes (no
file, not a database, other DDL or page size, other row counts, a NOT NULL or
UNIQUE error while updating, whose message only a full export gives
exactly): the caller then calls `write_package`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..issues import PakafgError
from ..schemas import PackageSpec, to_sqlite_ddl
from . import sqlite_extras

FORMAT = "sqlite"
MEDIATYPE = "application/vnd.sqlite3"
PAGE_SIZE = 4096
ROWS_PER_INSERT = 100
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
    info = {row[1]: row for row in con.execute(f"PRAGMA table_info({_quoted_name(name)})")}  # cid, name, type, notnull, default, pk
    # NOT NULL and key columns keep their None and are never left out, so SQLite refuses a null there as it always did
    nullable = {c for c in table.column_names if c in info and not info[c][3] and not info[c][5] and info[c][4] is None}
    columns = [c for c in table.column_names if c not in nullable or table.column(c).null_count < table.num_rows] or table.column_names
    stand_in = [c for c in columns if c in nullable and table.column(c).null_count]
    width = len(columns)
    values = [None] * (table.num_rows * width)  # row after row, as the VALUES lists take them
    for i, column in enumerate(columns):
        values[i::width] = _column(table.column(column), NULL_STAND_IN if column in stand_in else None)
    cols = ", ".join(_quoted_name(c) for c in columns)
    row = "(" + ", ".join("?" for _ in columns) + ")"
    per_statement = max(1, min(ROWS_PER_INSERT, con.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // max(width, 1)))
    step = per_statement * width
    full = len(values) - len(values) % step
    try:
        if full:
            insert = f'INSERT INTO "{name}" ({cols}) VALUES {", ".join([row] * per_statement)}'
            for start in range(0, full, step):
                con.execute(insert, values[start:start + step])
        if full < len(values):
            con.execute(f'INSERT INTO "{name}" ({cols}) VALUES {", ".join([row] * ((len(values) - full) // width))}', values[full:])
    except sqlite3.IntegrityError as exc:
        raise PakafgError(f"SQLite export: table {name} breaks its schema: {exc}") from None
    if stand_in:
        restore = ", ".join(f"{c} = nullif({c}, x'')" for c in map(_quoted_name, stand_in))
        con.execute(f'UPDATE "{name}" SET {restore}')


def _quoted_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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


def _check_constraints(con: sqlite3.Connection, name: str, ddl: str, rowids: list[int] | None = None) -> None:
    """Raise if any row of table `name` (or of its `rowids`) breaks a CHECK, as SQLite would have on insert (a NULL result passes)."""
    checks = check_expressions(ddl)
    if not checks:
        return
    table = '"' + name.replace('"', '""') + '"'
    only = "" if rowids is None else f"rowid IN ({', '.join(map(str, rowids))}) AND "  # the lowest first, as the full scan finds it
    row = con.execute(f"SELECT rowid FROM {table} WHERE {only}NOT ({' AND '.join(f'({c})' for c in checks)}) "
                      f"{'' if rowids is None else 'ORDER BY rowid '}LIMIT 1").fetchone()
    if row is None:
        return
    failed = [c for c in checks if con.execute(f"SELECT NOT ({c}) FROM {table} WHERE rowid = ?", row).fetchone()[0]]
    raise PakafgError(f"SQLite export: table {name} breaks its schema: row {row[0]} fails CHECK ({failed[0]})")


def _check_foreign_keys(con: sqlite3.Connection) -> None:
    broken = con.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise PakafgError(f"SQLite export: {len(broken)} foreign key violation(s), first: {table} row {rowid} -> {parent}")


def _save(con: sqlite3.Connection, path: Path) -> None:
    """Copy the database of `con` to `path` through a temporary file beside it, so `path` is either the old file or the whole new one.

    SQLite's backup copies the pages straight into the file: no second copy of
    the database in memory (`serialize()` would hold one, 60 MB at 100k records,
    at the build's peak).
    """
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        target = sqlite3.connect(temp)
        try:
            target.execute("PRAGMA journal_mode = OFF")  # a new file, replaced whole: nothing to roll back
            target.execute("PRAGMA synchronous = OFF")  # a cache: lost on a crash means a full build next time
            con.backup(target)
            # the backup counts itself as a schema change; VACUUM INTO copies the cookie, so it is set back
            target.execute(f"PRAGMA schema_version = {con.execute('PRAGMA schema_version').fetchone()[0]:d}")
        finally:
            target.close()
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_package(spec: PackageSpec, tables: dict[str, pa.Table], out: Path, working: Path | None = None) -> Path:
    """Write `<name>.sqlite` into `out`; fail if any foreign key or CHECK is violated.

    With `working`, also save the database as it was just before `VACUUM INTO`, for `update_package`.
    """
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
                _insert(con, name, table)
        for name in tables:
            _check_constraints(con, name, ddl[name])
        _check_foreign_keys(con)
        try:
            con.execute("VACUUM INTO ?", (str(path),))  # reads the database, never changes it
            sqlite_extras.apply(spec, path)  # [explorer hook] label columns + FTS, in the release file only (not in `working`)
            if working is not None:
                _save(con, working)
        except sqlite3.OperationalError as exc:  # a full disk, a folder that cannot be written: the build reports it
            raise OSError(f"SQLite could not write the database: {exc}") from exc
    finally:
        con.close()
    return path


def update_package(spec: PackageSpec, tables: dict[str, pa.Table], out: Path, working: Path,
                   changed: dict[str, list[int]] | dict[str, pa.Array], working_out: Path) -> Path | None:
    """Write `<name>.sqlite` into `out` from the `working` database of an earlier build, rewriting only the `changed` rows.

    `tables` are every table in full; `changed` maps a table name to the 0-based
    positions of the rows that may differ from those `working` was made from.
    The file written is byte-identical to `write_package(spec, tables, out)`'s;
    the updated database is saved to `working_out` (`working` itself if they are the
    same path: then it is updated in place, and is worthless if this fails). None (nothing written into
    `out`) when `working` cannot be used: the caller then calls `write_package`.
    A row that breaks a CHECK or a foreign key raises PakafgError, as `write_package` does.
    """
    if working_out == working:  # the caller has forgotten the build `working` belongs to: update it in place, no copy
        if not working.is_file():
            return None
        con = sqlite3.connect(working)
        try:
            return _update(con, spec, tables, out, changed)
        finally:
            con.close()
    fd, name = tempfile.mkstemp(dir=working_out.parent, prefix=f".{working_out.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(name)
    try:
        try:
            shutil.copyfile(working, temp)  # in the kernel: cheaper than reading it into memory and writing it back
        except OSError:  # missing or unreadable
            return None
        con = sqlite3.connect(temp)
        try:
            path = _update(con, spec, tables, out, changed)
        finally:
            con.close()
        if path is not None:
            os.replace(temp, working_out)
        return path
    finally:
        temp.unlink(missing_ok=True)


def _update(con: sqlite3.Connection, spec: PackageSpec, tables: dict[str, pa.Table], out: Path,
            changed: dict[str, list[int]] | dict[str, pa.Array]) -> Path | None:
    """`update_package` on the open copy; None when the copy does not match `tables` (see the module docstring)."""
    ddl = {name: to_sqlite_ddl(table_spec) for name, table_spec in spec.tables.items()}
    rows = {name: sorted(set(p.to_pylist() if isinstance(p, (pa.Array, pa.ChunkedArray)) else p)) for name, p in changed.items()}
    rows = {name: positions for name, positions in rows.items() if positions}
    if any(name not in tables or positions[0] < 0 or positions[-1] >= tables[name].num_rows for name, positions in rows.items()):
        return None
    if any(_rowid_is_key(spec.tables[name]) for name in rows):
        return None  # the rowid would be the key, not the position
    try:
        con.execute("PRAGMA journal_mode = MEMORY")  # a copy, or a file worthless if this fails: no journal, no fsync
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA foreign_keys = OFF")  # checked below, as write_package does
        con.execute("PRAGMA ignore_check_constraints = ON")
        schema = con.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY rowid").fetchall()
        if schema != list(ddl.items()) or con.execute("PRAGMA page_size").fetchone()[0] != PAGE_SIZE:
            return None
        for name in ddl:
            count = con.execute(f"SELECT count(*) FROM {_quoted_name(name)}").fetchone()[0]
            if count != (tables[name].num_rows if name in tables else 0):
                return None
        referenced = _referenced_columns(spec)
        keys_before = {name: _values(con, name, referenced[name], positions) for name, positions in rows.items() if referenced.get(name)}
        with con:
            for name, positions in rows.items():
                _update_rows(con, name, tables[name], positions)
        keys_changed = any(_values(con, name, columns, rows[name]) != keys_before[name]
                           for name, columns in referenced.items() if name in keys_before)
        for name in tables:
            if name in rows:
                _check_constraints(con, name, ddl[name], [p + 1 for p in rows[name]])
        if keys_changed or any(_broken_reference(con, spec.tables[name], rows[name]) for name in rows):
            _check_foreign_keys(con)  # the full check names the violations exactly as write_package does
        path = out / file_name(spec)
        path.unlink(missing_ok=True)
        try:
            con.execute("VACUUM INTO ?", (str(path),))
        except sqlite3.DatabaseError:
            path.unlink(missing_ok=True)
            raise
        sqlite_extras.apply(spec, path)  # [explorer hook] as write_package does: the same bytes
    except sqlite3.DatabaseError:  # not a database, damaged, or a NOT NULL / UNIQUE error: the full export decides
        return None
    return path


def _rowid_is_key(table_spec) -> bool:
    """True if the table's key is one INTEGER column, which SQLite makes the rowid."""
    if len(table_spec.primary_key) != 1:
        return False
    field = next(f for f in table_spec.fields if f["name"] == table_spec.primary_key[0])
    return field.get("type", "string") == "integer"


def _referenced_columns(spec: PackageSpec) -> dict[str, list[str]]:
    """Table -> the columns some foreign key points at (a change there can break rows of other tables)."""
    found: dict[str, list[str]] = {}
    for name, table_spec in spec.tables.items():
        for fk in table_spec.foreign_keys:
            target = fk["reference"].get("resource") or name
            found.setdefault(target, [])
            found[target] += [c for c in fk["reference"]["fields"] if c not in found[target]]
    return found


def _values(con: sqlite3.Connection, name: str, columns: list[str], positions: list[int]) -> list[tuple]:
    cols = ", ".join(map(_quoted_name, columns))
    return con.execute(f"SELECT {cols} FROM {_quoted_name(name)} WHERE rowid IN ({', '.join(str(p + 1) for p in positions)}) "
                       "ORDER BY rowid").fetchall()


def _update_rows(con: sqlite3.Connection, name: str, table: pa.Table, positions: list[int]) -> None:
    """Set every column of the rows at `positions` (rowid = position + 1) to the table's values, converted as `_insert` does."""
    rows = table.take(pa.array(positions, type=pa.int64()))
    columns = [_column(rows.column(c)) for c in rows.column_names]
    assignments = ", ".join(f"{_quoted_name(c)} = ?" for c in rows.column_names)
    con.executemany(f"UPDATE {_quoted_name(name)} SET {assignments} WHERE rowid = ?",
                    [(*values, p + 1) for *values, p in zip(*columns, positions)])


def _broken_reference(con: sqlite3.Connection, table_spec, positions: list[int]) -> bool:
    """True if one of these rows points at no row, as `PRAGMA foreign_key_check` would find (a NULL part points nowhere and passes)."""
    table = _quoted_name(table_spec.name)
    rowids = ", ".join(str(p + 1) for p in positions)
    for fk in table_spec.foreign_keys:
        target = _quoted_name(fk["reference"].get("resource") or table_spec.name)
        pairs = list(zip(map(_quoted_name, fk["fields"]), map(_quoted_name, fk["reference"]["fields"])))
        present = " AND ".join(f"c.{c} IS NOT NULL" for c, _ in pairs)
        match = " AND ".join(f"p.{p} = c.{c}" for c, p in pairs)
        if con.execute(f"SELECT 1 FROM {table} AS c WHERE c.rowid IN ({rowids}) AND {present} "
                       f"AND NOT EXISTS (SELECT 1 FROM {target} AS p WHERE {match}) LIMIT 1").fetchone():
            return True
    return False
