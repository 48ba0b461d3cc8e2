"""The editor JSON Schemas: generated from schemas/, up to date, and agreeing with the records."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from pakafg.cli import cli
from pakafg.read.files import load_file
from pakafg.read.yaml import to_plain
from pakafg.read.files import record_files
from pakafg.schemas import JSON_SCHEMA_DIR, load_package_spec, schema_header
from pakafg.targets import to_json_schema

from conftest import FIXTURES, REPO, make_package

SPEC = load_package_spec(REPO)
RECORD_TABLES = [t.name for t in SPEC.record_tables()]


def _records(root: Path):
    spec = load_package_spec(root) if root != REPO else SPEC
    for table in spec.record_tables():
        for file, rel in record_files(spec.root, table.directory):
            node, issues = load_file(file, rel)
            assert not issues, [i.format() for i in issues]
            yield table.name, rel, to_plain(node)


def _validator(table: str) -> jsonschema.Draft7Validator:
    schema = json.loads((REPO / JSON_SCHEMA_DIR / f"{table}.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_schemas_check_fails_when_stale_and_regenerates(tmp_path):
    pkg = make_package(tmp_path / "pkg")
    runner = CliRunner()
    first = runner.invoke(cli, ["generate", "--root", str(pkg)])
    assert first.exit_code == 0, first.output
    assert runner.invoke(cli, ["generate", "--check", "--root", str(pkg)]).exit_code == 0
    # a schema change (new allowed value) makes the generated file stale
    schema = pkg / "schemas" / "places.yaml"
    schema.write_text(schema.read_text(encoding="utf-8").replace("border_crossing, region]", "border_crossing, region, village]"),
                      encoding="utf-8")
    stale = runner.invoke(cli, ["generate", "--check", "--root", str(pkg)])
    assert stale.exit_code == 1
    assert f"out of date: {JSON_SCHEMA_DIR}/places.json" in stale.output
    assert runner.invoke(cli, ["generate", "--root", str(pkg)]).exit_code == 0
    assert "village" in json.loads((pkg / JSON_SCHEMA_DIR / "places.json").read_text())["properties"]["place_type"]["enum"]


def test_json_schema_accepts_every_record(tmp_path):
    root = make_package(tmp_path / "pkg")
    validators = {t: _validator(t) for t in RECORD_TABLES}
    seen = 0
    for table, rel, record in _records(root):
        errors = [f"{rel}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validators[table].iter_errors(record)]
        assert not errors, errors
        seen += 1
    assert seen > 0


def test_json_schema_accepts_numbers_as_an_editor_parses_them():
    """A YAML language server reads `value_low: 800000` as a number, the loader as text: both pass."""
    validator = _validator("claims")
    claim = {"claim_id": "x", "claimant_actor_id": "fp", "speech_act": "reports", "summary": "s", "quote": "q",
             "measure": "deaths", "value_low": 60, "qualifier": "over"}
    assert not list(validator.iter_errors([claim]))
    assert not list(validator.iter_errors([{**claim, "value_low": "60"}]))
    assert list(validator.iter_errors([{**claim, "value_low": "sixty"}]))


def _fixture_record(table: str) -> dict:
    pkg = FIXTURES / "valid"
    folder = {"events": "tables/events/deportation-campaign.yaml", "actors": "tables/actors/ttp.yaml",
              "claims": "tables/claims/fp.yaml", "sources": "sources/fp.yaml"}[table]
    node, _ = load_file(pkg / folder, folder)
    return to_plain(node)


def test_json_schema_rejects_unknown_fields():
    events = _validator("events")
    event = _fixture_record("events")
    assert not list(events.iter_errors(event))
    bad = {**event, "colour": "red"}
    assert any("colour" in e.message for e in events.iter_errors(bad))
    nested = copy.deepcopy(event)
    nested["citations"][0]["page"] = "3"
    assert any("page" in e.message for e in events.iter_errors(nested))
    claims = _validator("claims")
    listed = _fixture_record("claims")
    listed[0]["source_id"] = "fp"  # implied by the file name, never written in a claim
    assert any("source_id" in e.message for e in claims.iter_errors(listed))


def test_json_schema_rejects_what_validate_rejects():
    events = _validator("events")
    event = _fixture_record("events")
    assert list(events.iter_errors({**event, "event_type": "COERSE"}))  # not an allowed value
    assert list(events.iter_errors({**event, "date_start": "1 March 2025"}))  # not YYYY-MM-DD
    assert list(events.iter_errors({**event, "event_id": "Bad ID"}))  # not a slug
    assert list(events.iter_errors({k: v for k, v in event.items() if k != "title"}))  # required
    assert list(events.iter_errors({**event, "title": None}))  # required, not nullable
    assert not list(events.iter_errors({**event, "status": None, "summary": None}))  # null = not known
    actors = _validator("actors")
    assert not list(actors.iter_errors(_fixture_record("actors")))
    assert list(actors.iter_errors({**_fixture_record("actors"), "aliases": [{"alias": "TTP", "lang": "en"}]}))


def test_json_schema_documents_fields_and_allowed_values():
    schema = to_json_schema(SPEC, "claims")
    assert schema["type"] == "array"
    props = schema["items"]["properties"]
    assert "source_id" not in props  # the file name
    assert props["qualifier"]["enum"][:2] == ["exact", "about"]
    assert len(props["qualifier"]["enumDescriptions"]) == len(SPEC.tables["claims"].field("qualifier")["constraints"]["enum"])
    assert props["quote"]["maxLength"] == 600
    assert props["links"]["items"]["required"] == ["other_claim_id", "relation"]
    for table in RECORD_TABLES:
        record = to_json_schema(SPEC, table)
        record = record.get("items", record)
        assert record["additionalProperties"] is False
        assert all(p.get("description") for p in record["properties"].values()), table


@pytest.mark.parametrize("table", RECORD_TABLES)
def test_schema_header_points_at_the_generated_schema(table):
    header = schema_header(SPEC, table)
    target = (REPO / SPEC.tables[table].directory / header.split("$schema=", 1)[1]).resolve()
    assert target == (REPO / JSON_SCHEMA_DIR / f"{table}.json").resolve()
    assert target.is_file()
