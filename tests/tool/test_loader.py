"""The strict loader: YAML 1.1 pitfalls, duplicate and unknown keys, anchors — each a file:line error."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pakafg import validate
from pakafg.cli import cli

from conftest import edit, published

ACTOR = "tables/actors/pakistan.yaml"
CLAIMS = "tables/claims/fp.yaml"


def issues_of(root):
    return [(i.code, i.path, i.line, i.field) for i in validate(root).report.issues]


def test_valid_fixture_has_no_issues(package):
    assert issues_of(package) == []


def test_no_stays_a_string(package):
    # YAML 1.1 would read NO as false; here it is the text "NO", and not an allowed country pattern? It is: two capitals.
    edit(package / ACTOR, "country_code: PK", "country_code: NO")
    row = next(r for r in published(package)["actors"] if r["actor_id"] == "pakistan")
    assert row["country_code"] == "NO"


def test_sexagesimal_and_octal_stay_text(package):
    edit(package / ACTOR, "name: Pakistan", "name: 1:20")
    edit(package / "tables/places/pakistan.yaml", "name: Pakistan", "name: 012")
    tables = published(package)
    names = {r["name"] for t in ("actors", "places") for r in tables[t]}
    assert {"1:20", "012"} <= names


@pytest.mark.parametrize(
    "old,new,code,line,field",
    [
        ("actor_type: state", "actor_type: state\nactor_type: government", "duplicate-key", 4, None),
        ("country_code: PK", "country_code: PK\ncountry: Pakistan", "unknown-field", 5, "country"),
        ("actor_type: state", "actor_type: country", "enum", 3, "actor_type"),
        ("name: Pakistan", "name: &n Pakistan", "yaml-anchor", 2, None),
        ("name: Pakistan", "name: !!python/object:os.system Pakistan", "yaml-tag", 2, None),
        ("name: Pakistan", 'name: ""', "empty-string", 2, "name"),
        ("actor_id: pakistan", "actor_id: pakistan-state", "id-filename-mismatch", 1, "actor_id"),
        ("country_code: PK", "country_code:\n  - PK", "wrong-shape", 5, "country_code"),
        ("actor_type: state", "actor_type:\tstate", "yaml-syntax", 3, None),
    ],
)
def test_actor_file_errors(package, old, new, code, line, field):
    edit(package / ACTOR, old, new)
    found = issues_of(package)
    assert (code, ACTOR, line, field) in found, found


def test_impossible_date_is_a_type_error(package):
    edit(package / "tables/events/train-hijacking.yaml", "date_start: 2025-03-01", "date_start: 2025-02-30")
    assert ("type-error", "tables/events/train-hijacking.yaml", 5, "date_start") in issues_of(package)


def test_broken_foreign_key_exits_1_with_file_and_line(package):
    edit(package / CLAIMS, "claimant_actor_id: afghan-officials", "claimant_actor_id: afghan-official")
    out = CliRunner().invoke(cli, ["validate", "--root", str(package)])
    assert out.exit_code == 1
    assert "tables/claims/fp.yaml:31:22: claims.claimant_actor_id: 'afghan-official' is not a known actors ID" in out.output
    assert "did you mean 'afghan-officials'?" in out.output


def test_all_errors_reported_in_one_run(package):
    edit(package / ACTOR, "actor_type: state", "actor_type: country")
    edit(package / "tables/events/train-hijacking.yaml", "date_start: 2025-03-01", "date_start: March 2025")
    edit(package / CLAIMS, "claimant_actor_id: afghan-officials", "claimant_actor_id: nobody")
    codes = {c for c, *_ in issues_of(package)}
    assert {"enum", "type-error", "foreign-key"} <= codes


def test_cross_field_rules(package):
    edit(package / "tables/events/train-hijacking.yaml", "date_end: 2025-03-31", "date_end: 2025-02-28")
    edit(package / CLAIMS, "  value_low: 60\n", "  value: 60\n")
    found = issues_of(package)
    assert ("date-order", "tables/events/train-hijacking.yaml", 6, "date_end") in found
    assert ("qualifier-bounds", CLAIMS, 23, "qualifier") in found


EVENT = "tables/events/train-hijacking.yaml"


@pytest.mark.parametrize("old,new,valid", [
    # "shortly before 11 October": only the latest possible day is known
    ("date_start: 2025-03-01\ndate_end: 2025-03-31\ndate_precision: month", "date_end: 2025-03-10\ndate_precision: range", True),
    ("date_start: 2025-03-01\ndate_end: 2025-03-31\ndate_precision: month", "date_start: 2025-03-03\ndate_end: 2025-03-10\ndate_precision: range",
     True),  # somewhere between two days, no alignment to months
    ("date_start: 2025-03-01\ndate_end: 2025-03-31\ndate_precision: month", "date_end: 2025-03-31\ndate_precision: month", False),
    ("date_start: 2025-03-01\ndate_end: 2025-03-31\ndate_precision: month", "date_start: 2025-03-01", False),
    ("date_start: 2025-03-01\ndate_end: 2025-03-31\ndate_precision: month", "date_precision: day", False),
])
def test_a_date_known_only_to_lie_in_a_range(package, old, new, valid):
    edit(package / EVENT, old, new)
    found = issues_of(package)
    assert (not found) == valid, found
    if not valid:
        assert any(code == "missing-companion" and field == "date_precision" for code, _, _, field in found), found


@pytest.mark.parametrize("dates,valid", [
    ("date_precision: month\nongoing: true", True),  # still under way: no end
    ("date_precision: month\nongoing: false\ndate_end: 2024-12-31", True),  # ended
    ("date_precision: month\nongoing: true\ndate_end: 2024-12-31", False),  # both at once
])
def test_an_ongoing_event_has_no_end_date(package, dates, valid):
    edit(package / "tables/events/deportation-campaign.yaml", "date_precision: month", dates)
    found = issues_of(package)
    assert (not found) == valid, found
    if not valid:
        assert [(code, field) for code, _, _, field in found] == [("ongoing-with-end", "date_end")], found
