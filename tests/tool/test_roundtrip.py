"""Property: YAML -> typed rows -> published tables (Arrow, CSV) -> YAML loses nothing.

Hypothesis writes records with the strings YAML 1.1 loves to reinterpret (`NO`,
`on`, `012`, `1e3`, `.nan`, `null` as text, quotes, NBSP, newlines …), as a
contributor would (every scalar double-quoted) and then in `pakafg fmt`'s
canonical form; the loader, the typing, the Arrow tables and the CSV files must
all give back exactly the values written, and null must stay distinct from text.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pakafg.export import csv as csv_export
from pakafg.fmt import format_text
from pakafg.check.types import type_table
from pakafg.issues import Collector
from pakafg.read import read_package
from pakafg.schemas import load_package_spec

from conftest import make_package

TRICKY = ["NO", "no", "on", "Off", "yes", "y", "n", "~", "null", "Null", "NULL", "true", "False", "012", "0o12", "0x1F", "1e3",
          "1_000", ".nan", ".inf", "-.inf", "1:20", "2025-02-30", "2025-03-01", "- item", "? key", ": colon", "a: b", "a #b", "#hash",
          "'single'", '"double"', "it's", "“curly” ‘quotes’", "back\\slash", "tab\there", "line one\nline two", "trailing \n",
          "carriage\rreturn", "crlf\r\nline", "\u00a0nbsp\u00a0", "zero\u200bwidth", "line\u2028separator", "emoji 😀",
          "اردو", "پښتو", "=SUM(A1:A2)", "+92 300", "-5", "@user", "  leading", "trailing  ", "[a, b]", "{a: b}", "&anchor",
          "*alias", "!tag", "%directive", "|", ">", "`cmd`", "0", "00", "0123456789", "1.50", "x" * 300]

_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff\ufffe\uffff")
TEXT = (st.sampled_from(TRICKY) | st.text(_chars, min_size=1, max_size=40) | st.text(st.sampled_from("\n\r\t '\"\\\u00a0#:-"), min_size=1, max_size=6)
        ).filter(lambda s: s.strip() != "")  # blank text is an error (empty-string), tested in tests/bad_inputs
SLUG = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
ACTOR_TYPES = ["state", "government", "person", "armed_group", "media_outlet"]


@st.composite
def actors(draw):
    record = {"actor_id": draw(SLUG), "name": draw(TEXT), "actor_type": draw(st.sampled_from(ACTOR_TYPES))}
    for key in ("position", "description", "note"):
        value = draw(st.none() | TEXT)
        if value is not None or draw(st.booleans()):
            record[key] = value  # sometimes an explicit null, sometimes the key left out
    record["country_code"] = draw(st.none() | st.sampled_from(["PK", "AF", "NO", "ON"]))
    aliases = draw(st.lists(TEXT, max_size=4, unique=True))
    if aliases:
        record["aliases"] = aliases
    return record


NUMBER = st.integers(-(2**53) + 1, 2**53 - 1) | st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda f: not f.is_integer())


@st.composite
def claims(draw):
    record = {"claim_id": draw(SLUG), "claimant_actor_id": draw(SLUG), "speech_act": "reports", "summary": draw(TEXT),
              "quote": draw(TEXT.filter(lambda s: len(s) <= 600)), "measure": draw(SLUG),
              "qualifier": "exact", "value": draw(NUMBER)}
    if draw(st.booleans()):
        record["period_start"] = draw(st.dates(date(1900, 1, 1), date(2100, 12, 31)))
        record["period_precision"] = "day"
    return record


def contributor_yaml(data) -> str:
    """How a careful hand writes it: every text double-quoted, numbers and dates plain."""
    def scalar(value):
        if isinstance(value, str):
            return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=10**9).rstrip("\n").removesuffix("\n...")
        if value is None:
            return "null"
        return repr(value) if isinstance(value, float) else str(value)

    def mapping(record, indent):
        lines = []
        for key, value in record.items():
            if isinstance(value, list):
                lines.append(f"{indent}{key}:")
                lines += [f"{indent}  - {scalar(item)}" for item in value]
            else:
                lines.append(f"{indent}{key}: {scalar(value)}")
        return lines

    if isinstance(data, list):
        out = []
        for record in data:
            lines = mapping(record, "  ")
            out += ["- " + lines[0][2:], *lines[1:]]
        return "\n".join(out) + "\n"
    return "\n".join(mapping(data, "")) + "\n"


class Package:
    """The package the records are read into (a pytest fixture would be printed in every falsifying example)."""

    spec = None


@pytest.fixture(scope="module", autouse=True)
def _package(tmp_path_factory):
    root = make_package(tmp_path_factory.mktemp("roundtrip") / "pkg")
    for folder in ("tables/actors", "tables/claims"):
        for f in (root / folder).glob("*.yaml"):
            f.unlink()
    Package.spec = load_package_spec(root)


def _load(spec, table: str, path: str, text: str):
    """Write `text` as the only file, read it as `pakafg validate` does; return (rows by table, issues)."""
    file = spec.root / path
    file.write_text(text, encoding="utf-8", newline="\n")
    try:
        reading = read_package(spec, only={path})
    finally:
        file.unlink()
    issues = Collector()
    issues.extend(reading.issues)
    tables = {name: type_table(spec.tables[name], raw, issues).data for name, raw in reading.tables.items()}
    return tables, [i for i in issues.issues if i.severity == "error"]


def _csv_cells(table) -> list[dict]:
    with tempfile.TemporaryDirectory() as out:
        with open(csv_export.write("t", table, Path(out)), encoding="utf-8", newline="") as fh:  # as a CSV reader must
            return list(csv.DictReader(fh))


def _check_csv(table) -> None:
    """The CSV holds each value's exact text; an empty cell only for null."""
    rows = table.to_pylist()
    cells = _csv_cells(table)
    assert len(cells) == len(rows)
    for row, cell in zip(rows, cells):
        for key, value in row.items():
            if value is None:
                assert cell[key] == ""
            elif isinstance(value, bool):
                assert cell[key] == ("true" if value else "false")
            elif isinstance(value, float):
                assert float(cell[key]) == value
            elif isinstance(value, date):
                assert cell[key] == value.isoformat()
            elif isinstance(value, bool):
                assert cell[key] == ("true" if value else "false"), key
            else:
                assert cell[key] == str(value), key


def _published(rows: list[dict], drop: set[str]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in drop} for r in rows]


def _loaded_both_ways(spec, table: str, path: str, data) -> list[dict]:
    """The rows of `data` written as a contributor would and as `pakafg fmt` rewrites it; both load without issues."""
    first = contributor_yaml(data)
    canonical, issues = format_text(spec, spec.tables[table], first, path)
    assert canonical is not None, issues
    loaded = []
    for text in (first, canonical):
        rows, issues = _load(spec, table, path, text)
        assert not issues, [i.format() for i in issues]
        loaded.append(rows)
    return loaded


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=actors())
def test_actor_round_trip(record):
    spec = Package.spec
    path = f"tables/actors/{record['actor_id']}.yaml"
    actors_spec = spec.tables["actors"]
    defaults = {k: {"true": True, "false": False}.get(d, d) for k in actors_spec.field_names if (d := actors_spec.default(k))}
    for rows in _loaded_both_ways(spec, "actors", path, record):
        table = rows["actors"]
        (row,) = table.to_pylist()
        for key in actors_spec.field_names:  # every value as written; a missing or null key is null (or its default)
            expected = record.get(key, defaults.get(key))
            assert row[key] == expected, key
        alias_table = rows["actor_aliases"]
        assert sorted(alias_table.column("alias").to_pylist()) == sorted(record.get("aliases", []))
        _check_csv(table)
        _check_csv(alias_table)

    # tables -> YAML: the published row, written back as a record, formats to the same canonical text
    defaults = {k: {"true": True, "false": False}.get(d, d) for k in actors_spec.field_names if (d := actors_spec.default(k))}
    back = {k: v for k, v in table.to_pylist()[0].items() if v is not None and not (k in defaults and v == defaults[k])}
    if record.get("aliases"):
        back["aliases"] = record["aliases"]  # the child table is keyed, not ordered: restore the record's order
    again, issues = format_text(spec, actors_spec, contributor_yaml(back), path)
    expected_canonical, _ = format_text(spec, actors_spec, contributor_yaml({k: v for k, v in record.items() if v is not None}), path)
    assert again == expected_canonical


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(claims(), min_size=1, max_size=3, unique_by=lambda r: r["claim_id"]))
def test_claims_numbers_and_dates_round_trip(records):
    spec = Package.spec
    path = "tables/claims/src.yaml"
    for rows in _loaded_both_ways(spec, "claims", path, records):
        table = rows["claims"]
        published = {r["claim_id"]: r for r in table.to_pylist()}
        for record in records:
            row = published[record["claim_id"]]
            for key, value in record.items():
                assert row[key] == value and type(row[key]) is type(value) or (key == "value" and row[key] == value), key
            assert row["source_id"] == "src"
        _check_csv(table)
