"""The SQLite copy: same tables, types and foreign keys as the Table Schemas, read back with sqlite3."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3

import pyarrow as pa
import pytest

from pakafg import build
from pakafg.schemas import load_package_spec, to_sqlite_ddl

from conftest import make_package


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build(make_package(tmp_path_factory.mktemp("sqlite") / "pkg"))


@pytest.fixture
def db(release):
    con = sqlite3.connect(release.path / "pakistan-afghanistan-relations.sqlite")
    con.execute("PRAGMA foreign_keys = ON")
    yield con
    con.close()


def test_same_tables_and_rows_as_csv(release, db):
    desc = json.loads((release.path / "datapackage.json").read_text())
    names = [r["name"] for r in desc["resources"]]
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
    assert tables == names
    for res in desc["resources"]:
        with open(release.path / res["path"], encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        columns = [r[1] for r in db.execute(f'PRAGMA table_info("{res["name"]}")')]
        assert columns == rows[0] == [f["name"] for f in res["schema"]["fields"]]
        db_rows = db.execute(f'SELECT * FROM "{res["name"]}"').fetchall()  # rowid order = primary-key order
        booleans = [f.get("type") == "boolean" for f in res["schema"]["fields"]]  # SQLite keeps 0/1, CSV true/false
        as_text = [["" if v is None else ("true" if v else "false") if boolean else
                    (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v, boolean in zip(r, booleans)]
                   for r in db_rows]
        assert as_text == rows[1:], res["name"]


def test_types_and_nulls(db):
    row = db.execute("SELECT typeof(value), typeof(value_low), value_low, period_start, typeof(period_start) "
                     "FROM claims WHERE claim_id = 'fp-deportations-over-800000'").fetchone()
    assert row == ("null", "real", 800000.0, "2023-11-01", "text")
    assert db.execute("SELECT typeof(start) FROM citations LIMIT 1").fetchone() == ("integer",)


def test_foreign_keys_declared_and_enforced(db):
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    fks = {(r[2], r[3], r[4]) for r in db.execute("PRAGMA foreign_key_list(claims)")}
    assert ("sources", "source_id", "source_id") in fks
    assert ("actors", "claimant_actor_id", "actor_id") in fks
    assert ("claims", "superseded_by", "claim_id") in fks
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO claims (claim_id, source_id, claimant_actor_id, speech_act, summary, quote, status) "
                   "VALUES ('x', 'no-such-source', 'pakistan', 'states', 's', 'q', 'active')")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("DELETE FROM sources")  # every source is cited


def test_constraints_enforced(db):
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("UPDATE events SET event_type = 'PARTY' WHERE rowid = 1")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("UPDATE events SET date_start = '2025-02-30' WHERE rowid = 1")
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        db.execute("UPDATE claims SET quote = NULL WHERE rowid = 1")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute("INSERT INTO actor_aliases SELECT * FROM actor_aliases LIMIT 1")


def test_polymorphic_citation_reference_has_no_foreign_key(db):
    assert [r[3] for r in db.execute("PRAGMA foreign_key_list(citations)")] == ["source_id"]


def test_listed_with_hash(release):
    desc = json.loads((release.path / "datapackage.json").read_text())
    entry = next(e for e in desc["pakafg:files"] if e["format"] == "sqlite")
    data = (release.path / entry["path"]).read_bytes()
    assert entry["path"] == "pakistan-afghanistan-relations.sqlite"
    assert entry["mediatype"] == "application/vnd.sqlite3"
    assert entry["bytes"] == len(data) and entry["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    sums = (release.path / "SHA256SUMS").read_text().splitlines()
    assert f"{hashlib.sha256(data).hexdigest()}  pakistan-afghanistan-relations.sqlite" in sums


def test_two_builds_give_identical_sqlite(release, tmp_path):
    again = build(make_package(tmp_path / "again"))
    name = "pakistan-afghanistan-relations.sqlite"
    assert (again.path / name).read_bytes() == (release.path / name).read_bytes()


@pytest.mark.parametrize("table", sorted(load_package_spec(make_package.__globals__["REPO"]).tables))
def test_ddl_is_valid_sqlite(table):
    spec = load_package_spec(make_package.__globals__["REPO"])
    con = sqlite3.connect(":memory:")
    con.execute(to_sqlite_ddl(spec.tables[table]))
    columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
    assert columns == spec.tables[table].field_names


def test_export_refuses_rows_that_break_a_check(package, tmp_path):
    """The bulk CHECK verification after the inserts still catches a row the schema forbids."""
    from pakafg import PakafgError
    from pakafg.export import sqlite
    from pakafg.tables import compile_tables
    from pakafg.validate import validate

    spec = load_package_spec(package)
    tables = compile_tables(spec, validate(package).collection.rows)
    events = tables["events"]
    bad = events.set_column(events.schema.get_field_index("event_type"), "event_type",
                            pa.array(["PARTY"] * events.num_rows, type=pa.string()))
    with pytest.raises(PakafgError, match=r"table events breaks its schema: row \d+ fails CHECK"):
        sqlite.write_package(spec, {**tables, "events": bad}, tmp_path)


def test_nulls_are_null_and_no_value_is_a_blob(release, db):
    """Nulls are inserted through a stand-in (an empty blob) and set back: none may be left."""
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for column in [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]:
            blobs = db.execute(f'SELECT count(*) FROM "{table}" WHERE typeof("{column}") = \'blob\'').fetchone()[0]
            assert blobs == 0, (table, column)
    assert db.execute("SELECT count(*) FROM claims WHERE value IS NULL").fetchone()[0] > 0


def test_rows_per_insert_does_not_change_the_file(package, tmp_path, monkeypatch):
    """Rows go in several to a statement; how many does not change a byte (every batch size and remainder)."""
    from pakafg.export import sqlite
    from pakafg.tables import compile_tables
    from pakafg.validate import validate

    spec = load_package_spec(package)
    tables = compile_tables(spec, validate(package).collection.rows)
    files = []
    for rows_per_insert in (1, 2, 3, 1000):
        monkeypatch.setattr(sqlite, "ROWS_PER_INSERT", rows_per_insert)
        out = tmp_path / str(rows_per_insert)
        out.mkdir()
        files.append(sqlite.write_package(spec, tables, out).read_bytes())
    assert files[1:] == files[:1] * 3


def test_export_refuses_a_null_in_a_required_column(package, tmp_path):
    """Nulls of nullable columns go in through a stand-in; a required column's null is still refused by SQLite."""
    from pakafg import PakafgError
    from pakafg.export import sqlite
    from pakafg.tables import compile_tables
    from pakafg.validate import validate

    spec = load_package_spec(package)
    tables = compile_tables(spec, validate(package).collection.rows)
    events = tables["events"]
    bad = events.set_column(events.schema.get_field_index("event_type"), "event_type",
                            pa.array([None] * events.num_rows, type=pa.string()))
    with pytest.raises(PakafgError, match=r"table events breaks its schema: NOT NULL constraint failed: events\.event_type"):
        sqlite.write_package(spec, {**tables, "events": bad}, tmp_path)


def test_a_database_that_cannot_be_written_is_an_os_error(package, tmp_path):
    """SQLite's own errors on writing (a full disk, a missing folder) reach `build` as OSError, which it reports
    as "could not write the release", not as a traceback."""
    from pakafg.export import sqlite
    from pakafg.tables import compile_tables
    from pakafg.validate import validate

    spec = load_package_spec(package)
    tables = compile_tables(spec, validate(package).collection.rows)
    with pytest.raises(OSError, match="SQLite could not write the database: unable to open database"):
        sqlite.write_package(spec, tables, tmp_path / "no-such-folder")
    (tmp_path / "out").mkdir()
    with pytest.raises(OSError):  # the working copy's folder is missing: refused before SQLite opens it
        sqlite.write_package(spec, tables, tmp_path / "out", working=tmp_path / "no-such-folder" / "working.sqlite")
