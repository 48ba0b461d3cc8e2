"""Referential integrity: every reference resolves, tombstones stay resolvable, no self-links or parent loops.

Each test copies the valid package, introduces one defect, runs the real
`pakafg validate` and asserts the exit code and the `path:line` message.
"""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from pakafg import build
from pakafg.cli import cli

from conftest import edit
from test_provenance import passes, reported

CLAIMS = "tables/claims/fp.yaml"
HIJACKING = "tables/events/train-hijacking.yaml"
DEPORTATION = "tables/events/deportation-campaign.yaml"
BALOCHISTAN = "tables/places/balochistan.yaml"
PAKISTAN = "tables/places/pakistan.yaml"


def append(path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


# --- every foreign key resolves ---------------------------------------------------------

@pytest.mark.parametrize("path, old, new, line, message", [
    (CLAIMS, "claimant_actor_id: fp\n", "claimant_actor_id: fpx\n", 2, "claims.claimant_actor_id: 'fpx' is not a known actors ID (did you mean 'fp'?)"),
    (CLAIMS, "event_id: deportation-campaign", "event_id: deportation-campain", 4, "claims.event_id: 'deportation-campain' is not a known events ID"),
    (HIJACKING, "place_id: balochistan", "place_id: balochistn", 9, "events.place_id: 'balochistn' is not a known places ID"),
    (DEPORTATION, "  - actor_id: pakistan", "  - actor_id: pakistn", 10, "event_actors.actor_id: 'pakistn' is not a known actors ID"),
    (CLAIMS, "other_claim_id: fp-islamabad-ttp-havens", "other_claim_id: fp-islamabad-havens", 36,
     "claim_links.other_claim_id: 'fp-islamabad-havens' is not a known claims ID"),
    (BALOCHISTAN, "parent_place_id: pakistan", "parent_place_id: pakistn", 4, "places.parent_place_id: 'pakistn' is not a known places ID"),
    (BALOCHISTAN, "  - source_id: fp", "  - source_id: fpp", 7, "citations.source_id: 'fpp' is not a known sources ID"),
], ids=["claimant-actor", "claim-event", "event-place", "participant-actor", "link-claim", "parent-place", "citation-source"])
def test_unknown_reference(package, path, old, new, line, message):
    edit(package / path, old, new)
    reported(package, path, line, "foreign-key", message)


def test_unknown_parent_event(package):
    append(package / HIJACKING, "parent_event_id: balochistan-insurgency\n")
    reported(package, HIJACKING, 13, "foreign-key", "events.parent_event_id: 'balochistan-insurgency' is not a known events ID")


def test_claims_file_without_a_source(package):
    (package / "tables/claims/ghost.yaml").write_text(
        "- claim_id: ghost-claim\n  claimant_actor_id: fp\n  speech_act: reports\n  summary: A claim from nowhere.\n"
        "  quote: Kabul denies these claims.\n", encoding="utf-8")
    reported(package, "tables/claims/ghost.yaml", 1, "foreign-key", "claims.source_id: 'ghost' is not a known sources ID",
             "add sources/ghost.yaml")


# --- no self-links, no loops ---------------------------------------------------------------

def test_place_is_its_own_parent(package):
    edit(package / BALOCHISTAN, "parent_place_id: pakistan", "parent_place_id: balochistan")
    reported(package, BALOCHISTAN, 4, "self-link", "places.parent_place_id: 'balochistan' refers to itself")


def test_event_is_its_own_parent(package):
    append(package / HIJACKING, "parent_event_id: train-hijacking\n")
    reported(package, HIJACKING, 13, "self-link", "'train-hijacking' refers to itself")


def test_claim_linked_to_itself(package):
    edit(package / CLAIMS, "other_claim_id: fp-islamabad-ttp-havens", "other_claim_id: fp-afghan-officials-deny")
    reported(package, CLAIMS, 36, "self-link", "claim_links.other_claim_id: claim_id and other_claim_id are both 'fp-afghan-officials-deny'")


def test_record_superseded_by_itself(package):
    append(package / HIJACKING, "status: superseded\nsuperseded_by: train-hijacking\n")
    reported(package, HIJACKING, 14, "self-link", "events.superseded_by: 'train-hijacking' refers to itself")


def test_parent_cycle_of_two(package):
    append(package / PAKISTAN, "parent_place_id: balochistan\n")
    reported(package, BALOCHISTAN, 4, "parent-cycle", "parent_place_id chain loops: balochistan -> pakistan -> balochistan")


def test_parent_cycle_of_three(package):
    (package / "tables/places/south-asia.yaml").write_text(
        "place_id: south-asia\nname: South Asia\nplace_type: region\nparent_place_id: balochistan\n", encoding="utf-8")
    append(package / PAKISTAN, "parent_place_id: south-asia\n")
    reported(package, BALOCHISTAN, 4, "parent-cycle",
             "parent_place_id chain loops: balochistan -> pakistan -> south-asia -> balochistan")


# --- tombstones ------------------------------------------------------------------------------

WITHDRAWN = "status: withdrawn\nnote: Merged into another event.\n"


def test_withdrawn_record_citing_nothing_passes(package):
    text = (package / HIJACKING).read_text(encoding="utf-8")
    (package / HIJACKING).write_text(text.split("citations:")[0] + WITHDRAWN, encoding="utf-8")
    edit(package / CLAIMS, "  event_id: train-hijacking\n", "")
    passes(package)


def test_live_record_pointing_at_a_withdrawn_one(package):
    append(package / HIJACKING, WITHDRAWN)
    reported(package, CLAIMS, 17, "dead-reference", "claims.event_id: 'train-hijacking' is withdrawn")


def test_children_of_a_withdrawn_record_may_point_at_withdrawn_records(package):
    edit(package / CLAIMS, "  attribution: Islamabad says\n", "  attribution: Islamabad says\n  status: withdrawn\n")
    edit(package / CLAIMS, "  quote: Afghan officials deny the allegation\n",
         "  quote: Afghan officials deny the allegation\n  status: withdrawn\n")
    passes(package)  # the link between two withdrawn claims is a tombstone too


def _supersede_hijacking(package) -> None:
    text = (package / HIJACKING).read_text(encoding="utf-8")
    (package / "tables/events/train-hijacking-2025.yaml").write_text(
        text.replace("event_id: train-hijacking", "event_id: train-hijacking-2025"), encoding="utf-8")
    append(package / HIJACKING, "status: superseded\nsuperseded_by: train-hijacking-2025\n")


def test_live_record_pointing_at_a_superseded_one(package):
    _supersede_hijacking(package)
    reported(package, CLAIMS, 17, "dead-reference", "'train-hijacking' is superseded by 'train-hijacking-2025'",
             "use 'train-hijacking-2025'")


def test_superseded_record_stays_resolvable(package, tmp_path):
    _supersede_hijacking(package)
    edit(package / CLAIMS, "event_id: train-hijacking\n", "event_id: train-hijacking-2025\n")
    result = build(package, out=tmp_path / "out")
    with open(result.path / "csv" / "events.csv", encoding="utf-8", newline="") as fh:
        events = {row["event_id"]: row for row in csv.DictReader(fh)}
    assert events["train-hijacking"]["status"] == "superseded"
    assert events["train-hijacking"]["superseded_by"] == "train-hijacking-2025"
    assert events["train-hijacking-2025"]["status"] == "active"


def test_superseded_by_chain_names_the_live_end(package):
    _supersede_hijacking(package)
    (package / "tables/events/train-hijacking-final.yaml").write_text(
        (package / HIJACKING).read_text(encoding="utf-8").split("status:")[0].replace("event_id: train-hijacking", "event_id: train-hijacking-final"),
        encoding="utf-8")
    append(package / "tables/events/train-hijacking-2025.yaml", "status: superseded\nsuperseded_by: train-hijacking-final\n")
    edit(package / CLAIMS, "event_id: train-hijacking\n", "event_id: train-hijacking-final\n")
    reported(package, HIJACKING, 14, "dead-reference", "superseded_by points at 'train-hijacking-2025', which is superseded",
             "point at the live record that replaced it (train-hijacking-final)")


def test_superseded_by_unknown_record(package):
    append(package / HIJACKING, "status: superseded\nsuperseded_by: train-hijack\n")
    reported(package, HIJACKING, 14, "foreign-key", "events.superseded_by: 'train-hijack' is not a known events ID",
             "did you mean 'train-hijacking'?")


def test_superseded_without_replacement(package):
    append(package / HIJACKING, "status: superseded\n")
    reported(package, HIJACKING, 1, "tombstone", "status is 'superseded' but superseded_by is empty")


def test_cli_reports_every_broken_reference_in_one_run(package):
    edit(package / CLAIMS, "claimant_actor_id: fp\n", "claimant_actor_id: fpx\n")
    edit(package / HIJACKING, "place_id: balochistan", "place_id: balochistn")
    result = CliRunner().invoke(cli, ["validate", "--root", str(package)])
    assert result.exit_code == 1
    assert f"{CLAIMS}:2:" in result.stderr and f"{HIJACKING}:9:" in result.stderr
