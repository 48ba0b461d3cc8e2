"""`pakafg explore`: a release's SQLite in datasette, with metadata generated from schemas/.

Asserted through datasette's own test client (`Datasette(...).client.get`), on
pages and JSON, on fixture packages built in tmp_path; and once through a real
server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from pakafg import build
from pakafg.cli import cli
from pakafg.explorer import datasette_metadata, make_datasette, release_database
from pakafg.export import sqlite_extras
from pakafg.schemas import load_package_spec

from conftest import edit, make_package

pytest.importorskip("datasette")

DB = "pakistan-afghanistan-relations"


def _release(root: Path):
    build(root)
    spec = load_package_spec(root)
    return spec, release_database(root, spec)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The valid fixture; its source has no title (publisher only)."""
    return _release(make_package(tmp_path_factory.mktemp("explore") / "pkg"))


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory):
    """The valid fixture with a source that has neither title nor publisher."""
    root = make_package(tmp_path_factory.mktemp("explore-anon") / "pkg")
    edit(root / "sources" / "fp.yaml", "publisher: F.P. Report", "publisher: null")
    return _release(root)


def fetch(spec, database, *paths: str) -> list:
    """GET each path with datasette's test client; JSON paths are decoded."""
    async def run():
        ds = make_datasette(database, spec)
        await ds.invoke_startup()
        out = []
        for path in paths:
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text[:500])
            out.append(response.json() if ".json" in path else response.text)
        return out
    return asyncio.run(run())


def test_instance_and_table_metadata_come_from_the_schemas(release):
    spec, database = release
    home, table_page, table_json = fetch(spec, database, f"/{DB}", f"/{DB}/events", f"/{DB}/events.json?_size=0&_extra=metadata")
    assert spec.metadata["title"] in home
    assert "CC-BY-4.0" in home or "Creative Commons" in home  # the licence, linked
    assert spec.metadata["licenses"][0]["path"] in home
    events = spec.tables["events"]
    assert events.descriptor["description"].split(" — ")[0] in table_page
    for field in events.fields:  # every column's description, as datasette prints it (HTML-escaped)
        assert field["description"].replace('"', "&#34;").replace("'", "&#39;")[:60] in table_page, field["name"]
    assert "ASSAULT = use armed force" in table_page  # enum codes with their meaning


def test_serves_read_only_with_long_cells_cut(release):
    spec, database = release

    async def run():
        ds = make_datasette(database, spec)
        await ds.invoke_startup()
        return ds.setting("truncate_cells_html"), ds.databases[DB].is_mutable

    assert run_sync(run) == (160, False)


def run_sync(coroutine_function):
    return asyncio.run(coroutine_function())


def test_every_column_of_every_table_is_described(release):
    spec, _ = release
    tables = datasette_metadata(spec)["databases"][DB]["tables"]
    for name, table in spec.tables.items():
        columns = tables[name]["columns"]
        assert set(table.field_names) <= set(columns)
        assert all(columns.values()), name


@pytest.mark.parametrize("which", ["release", "anonymous"])
def test_labels_are_never_none(which, request):
    """Every foreign key shows a label, never "None" (a source without a title shows its publisher, else its ID)."""
    spec, database = request.getfixturevalue(which)
    labels = sqlite_extras.label_columns(spec)
    assert set(labels) == {t.name for t in spec.tables.values() if t.id_field}
    paths = [f"/{DB}/{name}.json?_labels=on&_shape=array&_size=max" for name in spec.tables]
    seen = 0
    for rows in fetch(spec, database, *paths):
        for row in rows:
            for value in row.values():
                if isinstance(value, dict) and "label" in value:
                    seen += 1
                    assert value["label"] not in (None, "None", ""), row
    assert seen > 0
    claims = fetch(spec, database, f"/{DB}/claims.json?_labels=on&_shape=array&_size=1")[0]
    expected = "F.P. Report" if which == "release" else "fp"  # title null; publisher, else the ID
    assert claims[0]["source_id"] == {"value": "fp", "label": expected}
    page = fetch(spec, database, f"/{DB}/claims")[0]
    assert ">None<" not in page


def test_default_facets_and_sort(release):
    spec, database = release
    events, claims, links = fetch(spec, database, f"/{DB}/events.json?_extra=facet_results",
                                  f"/{DB}/claims.json?_extra=facet_results", f"/{DB}/claim_links.json?_extra=facet_results")
    assert "event_type" in events["facet_results"]
    assert "speech_act" in claims["facet_results"]
    assert "relation" in links["facet_results"]
    assert {v["value"] for v in links["facet_results"]["relation"]["results"]} == {"denies"}
    # undated events never come first: newest first, undated last
    rows = fetch(spec, database, f"/{DB}/events.json?_shape=array")[0]
    starts = [r["date_start"] for r in rows]
    dated = [s for s in starts if s is not None]
    assert starts == sorted(dated, reverse=True) + [None] * (len(starts) - len(dated))


def test_undated_events_sort_last(tmp_path):
    root = make_package(tmp_path / "pkg")
    edit(root / "tables" / "events" / "deportation-campaign.yaml", "date_start: 2023-11-01\ndate_precision: month\n", "")
    spec, database = _release(root)
    events, timeline = fetch(spec, database, f"/{DB}/events.json?_shape=array", f"/{DB}/timeline.json?_shape=array")
    assert [r["event_id"] for r in events] == ["train-hijacking", "deportation-campaign"]
    assert [r["event_id"] for r in timeline] == ["train-hijacking", "deportation-campaign"]
    assert timeline[-1]["date_start"] is None


def test_full_text_search_finds_a_known_quote(release):
    spec, database = release
    claims, stemmed, events, hyphen = fetch(
        spec, database,
        f"/{DB}/claims.json?_search=repatriation&_shape=array",
        f"/{DB}/claims.json?_search=deny&_shape=array",  # porter stemming: "deny" finds "deny" in the quote and "denies" in the summary
        f"/{DB}/events.json?_search=hijacking&_shape=array",
        f"/{DB}/claims.json?_search=safe-havens&_shape=array")  # a phrase of two words: needs FTS5's full detail
    assert [r["claim_id"] for r in claims] == ["fp-deportations-over-800000"]
    assert "fp-afghan-officials-deny" in [r["claim_id"] for r in stemmed]
    assert [r["event_id"] for r in events] == ["train-hijacking"]
    assert [r["claim_id"] for r in hyphen] == ["fp-afghan-officials-deny", "fp-islamabad-ttp-havens"]


def test_canned_queries_run_and_return_rows(release):
    spec, database = release
    queries = datasette_metadata(spec)["databases"][DB]["queries"]
    assert set(queries) == {"disagreements", "timeline", "denials"}
    for name, query in queries.items():
        assert query["title"] and query["description"]
        rows, page = fetch(spec, database, f"/{DB}/{name}.json?_shape=array", f"/{DB}/{name}")
        assert rows, name
        assert query["title"] in page
    disagreement = fetch(spec, database, f"/{DB}/disagreements.json?_shape=array")[0][0]
    assert (disagreement["relation"], disagreement["a_claim"], disagreement["b_claim"]) == \
        ("denies", "fp-afghan-officials-deny", "fp-islamabad-ttp-havens")
    assert disagreement["b_outlet"] == "F.P. Report" and disagreement["b_claimant"]
    denial = fetch(spec, database, f"/{DB}/denials.json?_shape=array")[0]
    assert [(d["denial"], d["denies_claim"]) for d in denial] == [("fp-afghan-officials-deny", "fp-islamabad-ttp-havens")]


def test_disagreements_show_figures_and_accept_differs(release, tmp_path):
    """`differs` (figures that differ but may both hold) is listed once the vocabulary has it; figures read the qualifier."""
    spec, database = release
    copy = tmp_path / database.name
    shutil.copy(database, copy)
    con = sqlite3.connect(copy)
    con.execute("PRAGMA ignore_check_constraints = ON")  # this branch's schema may not list `differs` yet
    con.execute("INSERT INTO claim_links VALUES ('fp-hijacking-deaths', 'fp-deportations-over-800000', 'differs', NULL)")
    con.execute("INSERT INTO claim_links VALUES ('fp-hijacking-deaths', 'fp-islamabad-ttp-havens', 'corroborates', NULL)")
    con.commit()
    con.close()
    rows = fetch(spec, copy, f"/{DB}/disagreements.json?_shape=array")[0]
    assert {r["relation"] for r in rows} == {"denies", "differs"}
    differs = next(r for r in rows if r["relation"] == "differs")
    assert (differs["a_figure"], differs["b_figure"]) == ("over 60 people", "over 800000 people")


def test_metadata_is_deterministic_json(release):
    spec, _ = release
    first = json.dumps(datasette_metadata(spec), sort_keys=True)
    assert first == json.dumps(datasette_metadata(load_package_spec(spec.root)), sort_keys=True)
    out = CliRunner().invoke(cli, ["explore", "--root", str(spec.root), "--metadata"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == json.loads(first)


def test_sqlite_with_search_indexes_is_byte_identical_across_builds(tmp_path):
    a = make_package(tmp_path / "a")
    b = make_package(tmp_path / "b")
    _, db_a = _release(a)
    _, db_b = _release(b)
    assert db_a.read_bytes() == db_b.read_bytes()
    con = sqlite3.connect(db_a)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert {"claims_fts", "events_fts"} <= names
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for fts in ("claims_fts", "events_fts"):
        con.execute(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")  # FTS5 raises if the index does not match its table


def test_explore_without_a_build_says_so(tmp_path):
    root = make_package(tmp_path / "pkg")
    out = CliRunner().invoke(cli, ["explore", "--root", str(root)])
    assert out.exit_code == 2
    assert "pakafg build" in out.output and "Traceback" not in out.output


def test_explore_without_datasette_names_the_extra(release):
    """With datasette not importable, a clear message naming the extra and exit 2, never a traceback."""
    spec, _ = release
    code = ("import sys; sys.modules['datasette'] = None; sys.modules['datasette.app'] = None\n"
            "from pakafg.cli import cli; cli()")
    proc = subprocess.run([sys.executable, "-c", code, "explore", "--root", str(spec.root)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert 'pip install -e ".[explore]"' in proc.stderr
    assert "Traceback" not in proc.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_explore_serves_on_localhost(release):
    """The real command: a datasette server on 127.0.0.1 answering with the generated metadata (bounded wait)."""
    spec, _ = release
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pakafg", "explore", "--root", str(spec.root), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/metadata.json", timeout=5) as response:
                    body = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.3)
        assert body is not None, proc.stderr.read() if proc.poll() is not None else "no answer within 60 s"
        assert body["databases"][DB]["queries"]["timeline"]["title"] == "Event timeline"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
