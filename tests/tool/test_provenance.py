"""Provenance: every published row traces back to the exact words of an archived source.

Each check has a real failing fixture — a copy of the valid package with one
defect — run through the real CLI, asserting the exit code and the
`path:line` message a contributor sees. The committed package must pass, and
its published citations must let a consumer check `text[start:end] == quote`.
"""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pakafg import build
from pakafg.cli import cli
from pakafg.check.provenance import IndexedText, fold, numbers_in

from conftest import edit

SOURCE = "sources/fp.yaml"
TEXT = "sources/fp.txt"
CLAIMS = "tables/claims/fp.yaml"
PLACE = "tables/places/balochistan.yaml"
EVENT = "tables/events/train-hijacking.yaml"



def reported(root: Path, path: str, line: int, code: str, *words: str) -> str:
    """Run `pakafg validate`; assert it exits 1 and prints `path:line:…[code]` containing `words`; return that line."""
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith(f"{path}:{line}:") and ln.endswith(f"[{code}]")]
    assert lines, f"no {path}:{line} [{code}] in:\n{result.stderr}"
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def passes(root: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert result.exit_code == 0, result.output


def rehash(root: Path) -> None:
    """Record the archived text's current sha256 (after a test deliberately changed the archive)."""
    text = (root / SOURCE).read_text(encoding="utf-8")
    old = next(ln for ln in text.splitlines() if ln.startswith("sha256:"))
    edit(root / SOURCE, old, "sha256: " + hashlib.sha256((root / TEXT).read_bytes()).hexdigest())


def published(root: Path, tmp_path: Path, table: str) -> list[dict]:
    result = build(root, out=tmp_path / "out")
    with open(result.path / "csv" / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- archived files ---------------------------------------------------------------

def test_missing_archived_file(package):
    (package / TEXT).unlink()
    reported(package, SOURCE, 7, "source-file-missing", "'sources/fp.txt' does not exist")


def test_archived_file_is_a_directory(package):
    (package / TEXT).unlink()
    (package / TEXT).mkdir()
    reported(package, SOURCE, 7, "source-file-missing", "'sources/fp.txt' is a directory, not a file")


def test_archived_file_changed(package):
    with open(package / TEXT, "a", encoding="utf-8") as fh:
        fh.write(" ")
    reported(package, SOURCE, 8, "source-hash-mismatch", "sources/fp.txt has sha256",
             "not the recorded 3f36d46f6456b6f47e5d14a1b03203a3687cc37d2471bc64a091b2649b17b3fd")


def test_symlink_pointing_out_of_the_repository(package, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes((package / TEXT).read_bytes())  # same bytes, same hash: only the path is wrong
    (package / TEXT).unlink()
    os.symlink(outside, package / TEXT)
    reported(package, SOURCE, 7, "source-path-unsafe", "'sources/fp.txt' leads outside sources/")


def test_symlinked_sources_folder_pointing_out(package, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (package / "sources").rename(elsewhere)
    os.symlink(elsewhere, package / "sources")
    # the folder is refused as a whole (load.folder_issues): no record or text is read from outside the repository
    result = CliRunner().invoke(cli, ["validate", "--root", str(package)])
    assert result.exit_code == 1
    assert "sources: is a symlink to a folder outside the repository; its files are not read" in result.stderr
    assert "[file-outside-repo]" in result.stderr


def test_dotdot_path(package):
    edit(package / SOURCE, "file: sources/fp.txt", "file: sources/..")
    reported(package, SOURCE, 7, "source-path-unsafe", "'sources/..' leads outside sources/")


def test_absolute_path_is_refused(package):
    edit(package / SOURCE, "file: sources/fp.txt", f"file: {(package / TEXT).resolve()}")
    result = CliRunner().invoke(cli, ["validate", "--root", str(package)])
    assert result.exit_code == 1
    line = next(ln for ln in result.stderr.splitlines() if ln.startswith(f"{SOURCE}:7:"))
    assert "sources.file" in line and str((package / TEXT).resolve()) in line


# --- coverage ----------------------------------------------------------------------

def test_event_citing_nothing(package):
    text = (package / EVENT).read_text(encoding="utf-8")
    (package / EVENT).write_text(text.split("citations:")[0], encoding="utf-8")
    reported(package, EVENT, 1, "uncited-record", "'train-hijacking' cites no source", "add `citations:")


def test_source_cited_by_nothing(package):
    (package / "sources/other.txt").write_text("An uncited text.\n", encoding="utf-8")
    digest = hashlib.sha256(b"An uncited text.\n").hexdigest()
    (package / "sources/other.yaml").write_text(
        f"source_id: other\npublisher: Nobody\nfile: sources/other.txt\nsha256: {digest}\nlanguage: en\nrights: Test.\n",
        encoding="utf-8")
    reported(package, "sources/other.yaml", 1, "source-not-cited", "no record cites source 'other'")


def test_withdrawn_source_need_not_be_cited(package):
    (package / "sources/other.txt").write_text("An uncited text.\n", encoding="utf-8")
    digest = hashlib.sha256(b"An uncited text.\n").hexdigest()
    (package / "sources/other.yaml").write_text(
        f"source_id: other\npublisher: Nobody\nfile: sources/other.txt\nsha256: {digest}\nlanguage: en\nrights: Test.\n"
        "status: withdrawn\nnote: Duplicate of fp.\n", encoding="utf-8")
    passes(package)


# --- quotes ------------------------------------------------------------------------

def test_claim_quote_not_in_source_shows_the_closest_passage(package):
    edit(package / CLAIMS, "repatriation of over 800,000", "repatriation of more than 800,000")
    line = reported(package, CLAIMS, 6, "quote-not-found", "claims.quote: quote not found in source 'fp' (sources/fp.txt)")
    assert 'closest passage at 2189: "The campaign has led to the repatriation of over 800,000 Afghans' in line
    assert 'quote has "more than", source has "over"' in line


def test_citation_quote_typo(package):
    edit(package / PLACE, "quote: Pakistan’s Balochistan province", "quote: Pakistan’s Balochistn province")
    line = reported(package, PLACE, 8, "quote-not-found", "citations.quote: quote not found in source 'fp'")
    assert 'quote has "Balochistn", source has "Balochistan"' in line


def test_quote_matching_folds_quotes_dashes_and_spaces_but_publishes_the_source_characters(package, tmp_path):
    edit(package / PLACE, "quote: Pakistan’s Balochistan province", "quote: \"Pakistan's   Balochistan\\u00a0province\"")
    rows = published(package, tmp_path, "citations")
    row = next(r for r in rows if r["record_id"] == "balochistan")
    assert row["quote"] == "Pakistan’s Balochistan province"  # curly apostrophe and single space, as archived


def test_quote_across_a_line_break(package, tmp_path):
    edit(package / PLACE, "quote: Pakistan’s Balochistan province", "quote: 'hostage for a day. \"DPM [Dar] emphasized'")
    row = next(r for r in published(package, tmp_path, "citations") if r["record_id"] == "balochistan")
    assert row["quote"] == "hostage for a day.\n“DPM [Dar] emphasized"


def test_ambiguous_citation_quote(package):
    edit(package / PLACE, "quote: Pakistan’s Balochistan province", "quote: Balochistan")
    reported(package, PLACE, 8, "quote-ambiguous", "quote occurs more than once in source 'fp'", "add `start:")


def test_ambiguous_claim_quote(package):
    edit(package / CLAIMS, "quote: Afghan officials deny the allegation", "quote: Balochistan")
    reported(package, CLAIMS, 34, "quote-ambiguous", "quote occurs more than once", "quote more words")


def test_start_chooses_between_occurrences(package, tmp_path):
    text = (package / TEXT).read_text(encoding="utf-8")
    second = text.index("Balochistan", text.index("Balochistan") + 1)
    edit(package / PLACE, "quote: Pakistan’s Balochistan province", f"quote: Balochistan\n    start: {second}")
    row = next(r for r in published(package, tmp_path, "citations") if r["record_id"] == "balochistan")
    assert (int(row["start"]), int(row["end"])) == (second, second + len("Balochistan"))


def test_start_that_does_not_point_at_the_quote(package):
    edit(package / PLACE, "quote: Pakistan’s Balochistan province", "quote: Pakistan’s Balochistan province\n    start: 5")
    text = (package / TEXT).read_text(encoding="utf-8")
    reported(package, PLACE, 9, "quote-offset-mismatch", "start 5 does not point at the quote",
             f"the quote starts at {text.index('Pakistan’s Balochistan province')}")


# --- numbers -------------------------------------------------------------------------

def test_number_not_in_quote(package):
    edit(package / CLAIMS, "value_low: 800000", "value_low: 900000")
    reported(package, CLAIMS, 8, "number-not-in-quote", "claims.value_low: 900000 does not appear in the quote",
             "numbers in the quote: 800000")


@pytest.mark.parametrize("text, number", [
    ("over 800,000 Afghans", 800_000), ("one million", 1_000_000), ("nearly a million", 1_000_000),
    ("2.5 million", 2_500_000), ("1.1 million", 1_100_000), ("10,000", 10_000), ("70%", 70), ("six calls", 6),
    ("Twenty-three", 23), ("a dozen", 12), ("two dozen", 24), ("a three-day visit", 3), ("half a million", 500_000),
    ("one hundred and fifty", 150), ("two hundred and fifty thousand", 250_000), ("8,00,000", 800_000), ("3 lakh", 300_000),
    ("Rs2.5bn", 2_500_000_000), ("for a day-long visit", 1), ("nearly a month", 1), ("in 1979", 1979),
])
def test_numbers_in_reads_digits_and_words(text, number):
    assert float(number) in numbers_in(text)


@pytest.mark.parametrize("text, absent", [
    ("twenty-three", 20), ("one million", 1), ("2.5 million", 2.5), ("hundreds of people", 100), ("a visit", 1),
    ("over 800,000", 800),
])
def test_numbers_in_does_not_read_parts_of_a_number(text, absent):
    assert float(absent) not in numbers_in(text)


# --- offsets ---------------------------------------------------------------------------

def test_offsets_are_code_points_through_nbsp_crlf_and_space_runs():
    text = "Ishaq\u00a0Dar  said,\r\n“sustained   dialogue” — now.\n"
    indexed = IndexedText.of(text)
    for quote in ['Dar said, "sustained dialogue" - now.', "Ishaq Dar", "now."]:
        [(start, end)] = indexed.find_all(quote)
        assert fold(text[start:end]) == fold(quote)
    [(start, end)] = indexed.find_all("said, “sustained")
    assert text[start:end] == "said,\r\n“sustained"


def test_offsets_in_a_crlf_archive_with_nbsp(package, tmp_path):
    text = (package / TEXT).read_text(encoding="utf-8").replace("\n", "\r\n").replace("Ishaq Dar", "Ishaq\u00a0Dar")
    (package / TEXT).write_bytes(text.encode("utf-8"))
    rehash(package)
    rows = published(package, tmp_path, "citations")
    archived = (package / TEXT).read_bytes().decode("utf-8")
    assert rows and all(archived[int(r["start"]):int(r["end"])] == r["quote"] for r in rows)
