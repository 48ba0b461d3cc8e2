"""The derived tables, read back from a built release of a hand-checkable fixture (tests/tool/derived_package.py)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pakafg import PakafgError, build, load_package_spec, to_pandera, to_pyarrow
from pakafg.derived import DERIVED, QUALIFIER_TEXT, RANGE, number_text, number_texts, relation_labels
from pakafg.check.frame import PANDAS_DTYPES

from derived_package import make_derived_package

D = dt.date


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return build(make_derived_package(tmp_path_factory.mktemp("derived") / "pkg")).path


@pytest.fixture(scope="module")
def measured(release) -> Path:
    """The package with its measures vocabulary table (the unit and `counts_deaths` live there)."""
    return release


def rows(release: Path, table: str, key: str | tuple = None) -> dict:
    """A Parquet table of the release as {key: row}."""
    data = pq.read_table(release / "parquet" / f"{table}.parquet").to_pylist()
    if key is None:
        return data
    return {(tuple(r[k] for k in key) if isinstance(key, tuple) else r[key]): r for r in data}


def csv_frame(release: Path, table) -> pd.DataFrame:
    """A published CSV read with the dtypes the table's pandera model expects."""
    dtypes = {f["name"]: PANDAS_DTYPES[f["type"]] for f in table.fields if f["type"] != "date"}
    frame = pd.read_csv(release / "csv" / f"{table.name}.csv", dtype=dtypes, keep_default_na=False, na_values=[""])
    for f in table.fields:
        if f["type"] == "date":
            frame[f["name"]] = pd.to_datetime(frame[f["name"]]).astype(PANDAS_DTYPES["date"])
    return frame


# --- numeric_claims ------------------------------------------------------------------------------------------------

def test_numeric_claims_give_one_honest_interval_and_text_per_qualifier(release):
    got = {k: (r["qualifier"], r["figure"], r["figure_low"], r["figure_low_inclusive"], r["figure_high"],
               r["figure_high_inclusive"], r["figure_text"]) for k, r in rows(release, "numeric_claims", "claim_id").items()}
    assert got == {
        "fp-deportations-over-800000": ("over", 800000, 800000, False, None, None, "over 800,000"),
        "fp-hijacking-deaths": ("over", 60, 60, False, None, None, "over 60"),
        "wire-deaths-852": ("exact", 852, 852, True, 852, True, "852"),
        "wire-deaths-about-900": ("about", 900, 900, True, 900, True, "about 900"),
        "wire-soldiers-at-least-685": ("at_least", 685, 685, True, None, None, "at least 685"),
        "wire-hurt-up-to-23": ("as_many_as", 23, None, None, 23, True, "as many as 23"),
        "wire-villages-10-20": ("range", None, 10, True, 20, True, "between 10 and 20"),
        "wire-returned-nearly-1000000": ("nearly", 1000000, None, None, 1000000, False, "nearly 1,000,000"),
    }  # the withdrawn claim (wire-deaths-withdrawn-40) and the claims without a number are not there


def test_numeric_claims_carry_measure_unit_period_source_and_claimant(release):
    row = rows(release, "numeric_claims", "claim_id")["fp-deportations-over-800000"]
    assert {k: row[k] for k in ("source_id", "claimant_actor_id", "event_id", "measure", "unit", "period_start",
                                "period_end", "period_precision", "period_phrase")} == {
        "source_id": "fp", "claimant_actor_id": "fp", "event_id": "deportation-campaign", "measure": "afghans-returned",
        "unit": "people", "period_start": D(2023, 11, 1), "period_end": None, "period_precision": "month",
        "period_phrase": "In Nov. 2023"}


def test_numeric_claims_take_the_unit_from_the_measures_table(measured):
    units = {k: r["unit"] for k, r in rows(measured, "numeric_claims", "claim_id").items()}
    assert units["wire-villages-10-20"] == "villages" and units["wire-deaths-852"] == "people"
    assert "unit" not in pq.read_schema(measured / "parquet" / "claims.parquet").names


def test_every_qualifier_of_the_claims_schema_has_a_figure_text():
    """A qualifier added to schemas/claims.yaml must be given its words in derived.QUALIFIER_TEXT."""
    enum = load_package_spec(Path(__file__).resolve().parents[2]).tables["claims"].field("qualifier")["constraints"]["enum"]
    assert set(enum) == set(QUALIFIER_TEXT) | {RANGE}


# --- claim_relations -----------------------------------------------------------------------------------------------

def test_claim_relations_hold_every_live_link_both_ways(release):
    links = rows(release, "claim_links")
    relations = rows(release, "claim_relations")
    forward = {(r["claim_id"], r["other_claim_id"], r["relation"], r["note"]) for r in relations if r["direction"] == "forward"}
    inverse = {(r["other_claim_id"], r["claim_id"], r["relation"], r["note"]) for r in relations if r["direction"] == "inverse"}
    live = {c["claim_id"] for c in rows(release, "claims") if c["status"] == "active"}
    assert forward == inverse == {(r["claim_id"], r["other_claim_id"], r["relation"], r["note"]) for r in links
                                  if r["claim_id"] in live and r["other_claim_id"] in live}
    assert len(relations) == 2 * len(forward)


def test_claim_relations_read_from_either_side(release):
    by_key = rows(release, "claim_relations", ("claim_id", "other_claim_id"))
    assert by_key[("fp-afghan-officials-deny", "fp-islamabad-ttp-havens")]["label"] == "denies"
    assert by_key[("fp-islamabad-ttp-havens", "fp-afghan-officials-deny")]["label"] == "denied by"
    assert by_key[("fp-islamabad-ttp-havens", "fp-afghan-officials-deny")]["relation"] == "denies"
    assert by_key[("fp-hijacking-deaths", "wire-deaths-852")]["label"] == "contradicted by"
    # one query in one column finds everything said about a claim, whichever side coded the link
    about = sorted((r["other_claim_id"], r["label"]) for r in rows(release, "claim_relations") if r["claim_id"] == "wire-deaths-852")
    assert about == [("fp-hijacking-deaths", "contradicts"), ("wire-deaths-about-900", "contradicted by"),
                     ("wire-islamabad-disputes-toll", "denied by")]


def test_every_relation_of_the_claim_links_schema_has_both_labels():
    """A relation added to schemas/claim_links.yaml needs its two readings in claim_relations.yaml (x-labels)."""
    spec = load_package_spec(Path(__file__).resolve().parents[2])
    enum = spec.tables["claim_links"].field("relation")["constraints"]["enum"]
    labels = relation_labels(spec)
    assert set(labels) == set(enum)
    assert all(forward and inverse and forward != inverse for forward, inverse in labels.values())


# --- claim_attribution ---------------------------------------------------------------------------------------------

def test_claimant_kind_follows_the_rule(release):
    kinds = {k: (r["claimant_name"], r["claimant_kind"]) for k, r in rows(release, "claim_attribution", "claim_id").items()}
    assert kinds["wire-deaths-about-900"] == ("Wire", "outlet_own_voice")  # the source's publisher_actor_id
    assert kinds["wire-deaths-852"] == ("Unnamed officials", "unnamed_official_or_group")  # actors.anonymous
    assert kinds["wire-soldiers-at-least-685"] == ("Ishaq Dar", "named_person")
    assert kinds["fp-islamabad-ttp-havens"] == ("Pakistan", "named_institution")
    assert kinds["fp-afghan-officials-deny"] == ("Afghan officials", "named_institution")
    assert kinds["fp-hijacking-deaths"] == ("F.P. Report", "outlet_own_voice")  # its source names it as publisher_actor_id
    assert "wire-deaths-withdrawn-40" not in kinds
    assert set(kinds) == {c["claim_id"] for c in rows(release, "claims") if c["status"] == "active"}


# --- event_timeline ------------------------------------------------------------------------------------------------

def test_timeline_sort_bounds_and_end_status(release):
    got = {k: (r["sort_start"], r["sort_end"], r["end_status"], r["undated"], r["sequence"])
           for k, r in rows(release, "event_timeline", "event_id").items()}
    assert got == {
        "ongoing-insurgency": (D(2021, 1, 1), D(2021, 12, 31), "ongoing", False, 1),  # a year-precise start spans its year
        "deportation-campaign": (D(2023, 11, 1), D(2023, 11, 30), "end_unknown", False, 2),  # a month-precise one its month
        "train-hijacking": (D(2025, 3, 1), D(2025, 3, 31), "ended", False, 3),
        "dar-kabul-visit": (D(2025, 3, 10), D(2025, 3, 10), "ended", False, 4),
        "undated-meeting": (None, None, "end_unknown", True, 5),  # undated: last
    }  # withdrawn-event is not on the timeline


def test_timeline_names_places_participants_and_counts_sources(release):
    got = rows(release, "event_timeline", "event_id")
    assert got["train-hijacking"]["place_name"] == "Balochistan"
    assert got["ongoing-insurgency"]["participants"] == "Pakistan (target); Tehreek-e-Taliban Pakistan (perpetrator)"
    assert got["ongoing-insurgency"]["participant_count"] == 2
    assert got["dar-kabul-visit"]["participants"] is None and got["dar-kabul-visit"]["participant_count"] == 0
    # cited by fp, claimed about by fp and wire: two sources, two live claims
    assert (got["deportation-campaign"]["source_count"], got["deportation-campaign"]["claim_count"]) == (2, 2)
    # five live claims (the withdrawn one does not count) from two sources
    assert (got["train-hijacking"]["source_count"], got["train-hijacking"]["claim_count"]) == (2, 5)


# --- event_fatalities ----------------------------------------------------------------------------------------------

def test_fatalities_low_best_high_from_the_claims_whose_measure_counts_deaths(release):
    # measures.counts_deaths decides (deliberately unlike the slugs): injured counts deaths, security-force-deaths does not
    got = rows(release, "event_fatalities", ("event_id", "measure"))
    assert set(got) == {("train-hijacking", "deaths"), ("train-hijacking", "incident-deaths"), ("train-hijacking", "injured")}
    deaths = got[("train-hijacking", "deaths")]
    assert (deaths["low"], deaths["best"], deaths["high"], deaths["high_open"]) == (852, 852, 900, False)
    assert (deaths["claim_count"], deaths["source_count"]) == (2, 1)  # the withdrawn 40 is left out
    assert deaths["figures"] == "852 (wire-deaths-852); about 900 (wire-deaths-about-900)"
    over = got[("train-hijacking", "incident-deaths")]  # "over 60": a floor, no ceiling stated
    assert (over["low"], over["best"], over["high"], over["high_open"]) == (60, None, 60, True)


# --- every derived table -------------------------------------------------------------------------------------------

def test_derived_tables_match_their_schemas_in_every_format(release):
    folder = release
    spec = load_package_spec(folder.parent.parent)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    db = sqlite3.connect(folder / f"{spec.name}.sqlite")
    derived = [t for t in spec.tables.values() if t.is_derived]
    assert [t.name for t in derived] == list(DERIVED)
    for table in derived:
        parquet = pq.read_table(folder / "parquet" / f"{table.name}.parquet")
        assert parquet.schema.equals(to_pyarrow(table), check_metadata=False), table.name
        to_pandera(table).validate(csv_frame(folder, table), lazy=True)  # types, enums, required, keys
        assert resources[table.name]["pakafg:derived"] is True
        assert (folder / "csv" / f"{table.name}.csv").is_file()
        assert db.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0] == parquet.num_rows
    assert not any(r.get("pakafg:derived") for name, r in resources.items() if not spec.tables[name].is_derived)
    db.close()


def test_derived_schemas_say_what_they_are_derived_from():
    spec = load_package_spec(Path(__file__).resolve().parents[2])
    derived = [t for t in spec.tables.values() if t.is_derived]
    assert derived
    for table in derived:
        description = table.descriptor.get("description", "")
        assert table.descriptor.get("title") and description.startswith("DERIVED at build time from"), table.name
        sources = [name for name in spec.tables if f"`{name}`" in description]
        assert sources, f"{table.name}: the description names no table it is derived from"
        assert all(f.get("description") for f in table.fields), table.name


# --- a rebuild after an edit recomputes them -----------------------------------------------------------------------

def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_rebuild_after_a_number_edit_equals_a_fresh_build(tmp_path, monkeypatch):
    monkeypatch.delenv("PAKAFG_FAST", raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    package = make_derived_package(tmp_path / "pkg")
    first = build(package)
    before = _files(first.path)
    claims = package / "tables" / "claims" / "wire.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace("  value: 900\n  qualifier: about\n",
                                                                  "  value: 900\n  qualifier: exact\n"),
                      encoding="utf-8")
    again = build(package)  # the record cache reads only the edited file
    got = _files(again.path)
    assert got["csv/numeric_claims.csv"] != before["csv/numeric_claims.csv"]
    assert b"wire-deaths-about-900,wire,wire,train-hijacking,deaths,people,exact,900,900,true,900,true,900," in got[
        "csv/numeric_claims.csv"]
    assert got["csv/claim_relations.csv"] == before["csv/claim_relations.csv"]
    full = tmp_path / "full"
    shutil.copytree(package, full, ignore=shutil.ignore_patterns("build", ".pakafg-cache"))
    monkeypatch.setenv("PAKAFG_FAST", "0")
    want = _files(build(full).path)
    assert got == want


# --- pieces ----------------------------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-10**15, 10**15).map(float), st.floats(allow_nan=True, allow_infinity=True),
                          st.decimals(-10**9, 10**9, places=3).map(float)), max_size=40))
def test_figures_are_written_the_same_by_arrow_and_by_python(values):
    """number_texts (Arrow kernels, used for whole columns) gives number_text's text for every value."""
    assert number_texts(pa.array(values, pa.float64())).to_pylist() == [None if v is None else number_text(v) for v in values]


def test_number_text_reads_like_a_reader_writes():
    assert [number_text(v) for v in (800000.0, 1e6, 60.0, 2.5, 1234.5, -1234.0, 0.0)] == [
        "800,000", "1,000,000", "60", "2.5", "1,234.5", "-1,234", "0"]


def test_a_derived_resource_without_a_function_is_an_error_not_a_crash(tmp_path):
    package = make_derived_package(tmp_path / "pkg")
    (package / "schemas" / "bogus.yaml").write_text(
        "title: Bogus\ndescription: DERIVED at build time from `claims`.\nfields:\n"
        "  - {name: claim_id, type: string, description: A claim.}\n", encoding="utf-8")
    with open(package / "datapackage.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - name: bogus\n    schema: schemas/bogus.yaml\n    records: {derived: true}\n")
    with pytest.raises(PakafgError, match="'bogus' is marked derived"):
        build(package)
    assert not (package / "build" / "0.1.0").exists()
