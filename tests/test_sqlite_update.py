"""Updating the SQLite copy in place (incremental builds) writes the same bytes as filling it from scratch."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sqlite3

import pyarrow as pa
import pytest

from pakafg import PakafgError
from pakafg.export import sqlite
from pakafg.schemas import load_package_spec
from pakafg.tables import compile_tables
from pakafg.validate import validate

from conftest import make_package


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    package = make_package(tmp_path_factory.mktemp("update") / "pkg")
    spec = load_package_spec(package)
    return spec, compile_tables(spec, validate(package).collection.rows)


@pytest.fixture
def built(compiled, tmp_path):
    """A cold export with its working database saved: (spec, tables, working, bytes of the file)."""
    spec, tables = compiled
    (tmp_path / "cold").mkdir()
    path = sqlite.write_package(spec, tables, tmp_path / "cold", working=tmp_path / "working.sqlite")
    return spec, tables, tmp_path / "working.sqlite", path.read_bytes()


def with_values(table: pa.Table, column: str, values: dict[int, object]) -> pa.Table:
    """`table` with the cells of `column` at these row positions replaced."""
    cells = table.column(column).to_pylist()
    for position, value in values.items():
        cells[position] = value
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(index), pa.array(cells, type=table.schema.field(index).type))


def cold_bytes(spec, tables, folder) -> bytes:
    folder.mkdir()
    return sqlite.write_package(spec, tables, folder).read_bytes()


def update(spec, tables, working, changed, tmp_path, name="inc"):
    out = tmp_path / name
    out.mkdir()
    return sqlite.update_package(spec, tables, out, working, changed, tmp_path / f"{name}.working.sqlite"), out


def test_rowid_is_the_row_position_plus_one(built, tmp_path):
    """update_package finds row p at rowid p + 1: true of every table of a cold export."""
    spec, tables, working, data = built
    con = sqlite3.connect(working)
    for name, table in tables.items():
        key = spec.tables[name].primary_key
        rows = con.execute(f'SELECT rowid, {", ".join(key)} FROM "{name}" ORDER BY rowid').fetchall()
        assert rows == [(i + 1, *row) for i, row in enumerate(zip(*(table.column(k).to_pylist() for k in key)))], name
    con.close()


def test_updated_rows_give_the_bytes_of_a_cold_export(built, tmp_path):
    spec, tables, working, before = built
    claims = with_values(tables["claims"], "summary", {0: "Edited summary."})
    claims = with_values(claims, "value_low", {1: None, 2: 61.5})  # a value set to null, a number changed
    claims = with_values(claims, "value", {3: 12.0})  # a null set to a value, in a column null throughout
    events = with_values(tables["events"], "date_start", {0: dt.date(2020, 2, 29)})
    assert events.column("date_end").null_count == 1  # so one null gets a date and one date changes
    events = with_values(events, "date_end", {0: dt.date(2025, 3, 1), 1: dt.date(2025, 3, 1)})
    changed = {**tables, "claims": claims, "events": events}

    path, out = update(spec, changed, working, {"claims": [0, 1, 2, 3], "events": [0, 1]}, tmp_path)

    expected = cold_bytes(spec, changed, tmp_path / "cold-changed")
    assert expected != before
    assert path == out / sqlite.file_name(spec) and path.read_bytes() == expected
    con = sqlite3.connect(path)
    assert con.execute("SELECT summary, typeof(value_low) FROM claims WHERE rowid = 1").fetchone() == ("Edited summary.", "null")
    assert con.execute("SELECT value FROM claims WHERE rowid = 4").fetchone() == (12.0,)
    assert con.execute("SELECT date_start FROM events WHERE rowid = 1").fetchone() == ("2020-02-29",)
    con.close()


def test_nothing_changed_gives_the_same_bytes(built, tmp_path):
    spec, tables, working, before = built
    path, _ = update(spec, tables, working, {}, tmp_path, "none")
    assert path.read_bytes() == before
    path, _ = update(spec, tables, working, {"claims": [0, 3], "citations": pa.array([2])}, tmp_path, "same")
    assert path.read_bytes() == before


def test_updates_chain_from_the_saved_working_database(built, tmp_path):
    """`working` is left as it was; `working_out` is the updated database, and the next update starts from it."""
    spec, tables, working, before = built
    digest = hashlib.sha256(working.read_bytes()).hexdigest()
    first = {**tables, "actors": with_values(tables["actors"], "name", {1: "Renamed actor"})}
    path, _ = update(spec, first, working, {"actors": [1]}, tmp_path, "first")
    assert hashlib.sha256(working.read_bytes()).hexdigest() == digest
    working_out = tmp_path / "first.working.sqlite"
    assert working_out.is_file()
    assert sqlite3.connect(working_out).execute("SELECT name FROM actors WHERE rowid = 2").fetchone() == ("Renamed actor",)
    second = {**first, "places": with_values(first["places"], "name", {0: "Renamed place"})}
    path, _ = update(spec, second, working_out, {"places": [0]}, tmp_path, "second")
    assert path.read_bytes() == cold_bytes(spec, second, tmp_path / "cold-second")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("damage", ["missing", "random bytes", "damaged pages", "fewer rows", "other schema"])
def test_unusable_working_database_gives_none_and_writes_nothing(built, tmp_path, damage):
    spec, tables, working, _ = built
    if damage == "missing":
        working.unlink()
    elif damage == "random bytes":
        working.write_bytes(random.Random(8).randbytes(working.stat().st_size))
    elif damage == "damaged pages":  # a valid header and schema, garbage rows
        data = working.read_bytes()
        working.write_bytes(data[:sqlite.PAGE_SIZE] + random.Random(8).randbytes(len(data) - sqlite.PAGE_SIZE))
    elif damage == "fewer rows":
        tables = {**tables, "citations": tables["citations"].slice(1)}
    else:
        con = sqlite3.connect(working)
        con.execute('ALTER TABLE "claims" ADD COLUMN extra TEXT')
        con.commit()
        con.close()
    path, out = update(spec, tables, working, {"claims": [0]}, tmp_path)
    assert path is None
    assert list(out.iterdir()) == []
    assert not (tmp_path / "inc.working.sqlite").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("table, column, value, message", [
    ("claims", "status", "bogus", "table claims breaks its schema: row 4 fails CHECK"),  # not in the enum
    ("events", "date_start", "2025-02-30", "table events breaks its schema: row 2 fails CHECK"),  # not a date
    ("claims", "source_id", "no-such-source", "1 foreign key violation(s), first: claims row 4 -> sources"),
    ("sources", "source_id", "renamed-source", "first: citations row 1 -> sources"),  # a key other tables point at
])
def test_broken_row_raises_what_a_cold_export_raises(built, tmp_path, table, column, value, message):
    spec, tables, working, _ = built
    if column == "date_start":  # the column holds dates: replace it with text to get a value no date can be
        cells = tables[table].column(column).to_pylist()
        broken_column = pa.array([c.isoformat() for c in cells[:1]] + [value] + [c.isoformat() for c in cells[2:]])
        broken = {**tables, table: tables[table].set_column(tables[table].schema.get_field_index(column), column, broken_column)}
    else:
        broken = {**tables, table: with_values(tables[table], column, {tables[table].num_rows - 1: value})}
    with pytest.raises(PakafgError) as cold:
        cold_bytes(spec, broken, tmp_path / "cold-broken")
    positions = [1] if column == "date_start" else [tables[table].num_rows - 1]
    with pytest.raises(PakafgError) as updated:
        update(spec, broken, working, {table: positions}, tmp_path)
    assert message in str(updated.value)
    assert str(updated.value) == str(cold.value)
    assert list((tmp_path / "inc").iterdir()) == []
    assert not (tmp_path / "inc.working.sqlite").exists()


def test_null_in_a_required_column_is_left_to_the_cold_export(built, tmp_path):
    """NOT NULL and UNIQUE errors come from SQLite itself: update_package returns None and write_package reports them."""
    spec, tables, working, _ = built
    broken = {**tables, "claims": with_values(tables["claims"], "quote", {0: None})}
    path, out = update(spec, broken, working, {"claims": [0]}, tmp_path)
    assert path is None and list(out.iterdir()) == []
    with pytest.raises(PakafgError, match="table claims breaks its schema: NOT NULL constraint failed: claims.quote"):
        cold_bytes(spec, broken, tmp_path / "cold-broken")
