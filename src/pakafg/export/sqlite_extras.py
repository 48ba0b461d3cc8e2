"""What the release SQLite adds for browsing (datasette, sqlite-utils) beyond the published tables.

Applied to the finished `<name>.sqlite` file after `VACUUM INTO` (`apply(spec,
path)`), so the rows whose keys and CHECKs were verified are copied as they
are, and these additions never take part in those checks:

- **Label columns.** Datasette shows a foreign key by one column of the table it
  points at (`label_column`). A table whose natural label may be null (a source
  without a title) gets a VIRTUAL generated column `label` =
  `coalesce(title, publisher, …, <id>)`: never null, stored nowhere (computed
  when read), and only in the SQLite copy (CSV and Parquet are as the schemas
  say). `label_columns(spec)` says which column labels each record table.
- **Full-text search.** FTS5 tables `<table>_fts` over the free text of claims
  (summary, quote) and events (title, summary),
  as external-content tables (`content="<table>"`, the convention datasette and
  sqlite-utils detect), filled by FTS5's `rebuild`. Porter stemming: `deport`
  finds "deported" and "deportation".

The same rows and the same SQLite library give the same bytes (no clock, no
randomness); tests compare two builds byte for byte.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..schemas import PackageSpec, TableSpec
from ..targets import sql_name

LABEL_COLUMN = "label"
LABEL_CANDIDATES = ("name", "title", "publisher", "summary")  # in order of preference; the ID comes last
FTS_COLUMNS = {  # table -> its free-text fields worth searching (those the schemas still have)
    "claims": ("summary", "quote"),
    "events": ("title", "summary"),
}  # not citations: most of its quotes are the claims' own, and indexing them again doubled the cost (2 s -> 0.8 s at 100k)
FTS_SUFFIX = "_fts"
TOKENIZE = "porter unicode61 remove_diacritics 2"


def label_expression(table: TableSpec) -> tuple[str, str | None]:
    """(label column, SQL of the generated column or None when an existing column never null serves).

    The first of LABEL_CANDIDATES the table has labels it if it is required;
    otherwise a generated column coalesces every candidate present, then the ID.
    """
    present = [c for c in LABEL_CANDIDATES if c in table.field_names]
    if present and table.required(present[0]):
        return present[0], None
    parts = [*present, *([table.id_field] if table.id_field else [])]
    if not parts:
        return "", None
    name = LABEL_COLUMN if LABEL_COLUMN not in table.field_names else f"display_{LABEL_COLUMN}"
    return name, "coalesce(" + ", ".join(sql_name(p) for p in parts) + ")" if len(parts) > 1 else sql_name(parts[0])


def label_columns(spec: PackageSpec) -> dict[str, str]:
    """Record table -> the column datasette labels its rows with (every table with a single-column ID)."""
    out = {}
    for table in spec.tables.values():
        if table.id_field:
            column, _ = label_expression(table)
            if column:
                out[table.name] = column
    return out


def fts_tables(spec: PackageSpec) -> dict[str, tuple[str, list[str]]]:
    """Table -> (its FTS5 table, the columns indexed), for the tables of FTS_COLUMNS the package has."""
    out = {}
    for table, columns in FTS_COLUMNS.items():
        if table in spec.tables:
            present = [c for c in columns if c in spec.tables[table].field_names]
            if present:
                out[table] = (table + FTS_SUFFIX, present)
    return out


def statements(spec: PackageSpec) -> list[str]:
    """The SQL `apply` runs, in order (deterministic: derived from the schemas only)."""
    sql = []
    for table in spec.tables.values():
        if not table.id_field:
            continue
        column, expression = label_expression(table)
        if expression:
            sql.append(f"ALTER TABLE {sql_name(table.name)} ADD COLUMN {sql_name(column)} TEXT GENERATED ALWAYS AS ({expression}) VIRTUAL")
    for table, (fts, columns) in fts_tables(spec).items():
        cols = ", ".join(sql_name(c) for c in columns)
        # content="…" with double quotes: what datasette's detect_fts and sqlite-utils look for
        sql.append(f"CREATE VIRTUAL TABLE {sql_name(fts)} USING fts5({cols}, content=\"{table}\", tokenize='{TOKENIZE}')")
        sql.append(f"INSERT INTO {sql_name(fts)} ({sql_name(fts)}) VALUES ('rebuild')")
    return sql


def apply(spec: PackageSpec, path: Path) -> Path:
    """Add the label columns and full-text indexes to the SQLite file at `path` (see the module docstring)."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = MEMORY")  # a staged file, replaced whole if anything fails: no journal file beside it
        con.execute("PRAGMA synchronous = OFF")  # the build flushes every release file before publishing it
        con.execute("BEGIN")
        for statement in statements(spec):
            con.execute(statement)
        con.execute("COMMIT")
    except sqlite3.OperationalError as exc:  # a full disk: the build reports it as it does for the export itself
        raise OSError(f"SQLite could not add the search indexes: {exc}") from exc
    finally:
        con.close()
    return path
