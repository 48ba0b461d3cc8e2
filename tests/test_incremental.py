"""Incremental rebuilds (incremental.py) publish exactly what a full build of the same inputs publishes.

The oracle of every test: the release of `build()` after some edit, compared
file by file and byte by byte with a full build (`PAKAFG_NO_CACHE=1`) of a copy
of the package as it then is. `BuildResult.edited` says which path ran: the
record files the incremental build read, or None when the full build ran.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pakafg.bench import generate
from pakafg.build import build
from pakafg.cache import CACHE_DIR
from pakafg.cli import cli
from pakafg.incremental import STATE_DIR, STATE_FILE
from pakafg.issues import InvalidPackage
from pakafg.validate.provenance import numbers_in

from conftest import edit, make_package

CLAIMS = "tables/claims/fp.yaml"
TRAIN = "tables/events/train-hijacking.yaml"
TTP = "tables/actors/ttp.yaml"


@pytest.fixture(autouse=True)
def reproducible(monkeypatch):
    """`created` from a fixed epoch (not git), and the incremental path on, whatever the caller's environment."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.delenv("PAKAFG_NO_CACHE", raising=False)
    monkeypatch.delenv("PAKAFG_INCREMENTAL", raising=False)


@pytest.fixture
def pkg(tmp_path) -> Path:
    """A valid package with a first (full, spotless) build, so the next build may be incremental."""
    package = make_package(tmp_path / "pkg")
    first = build(package)
    assert first.edited is None and not first.report.issues
    assert (state_folder(package) / STATE_FILE).is_file()
    return package


def state_folder(package: Path) -> Path:
    """Where the incremental build keeps its state (incremental.state_dir, without loading the schemas)."""
    return package / CACHE_DIR / STATE_DIR


def release(path: Path) -> dict[str, bytes]:
    """Every file of a release folder: relative path -> bytes."""
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


OUTPUTS = (".pakafg-cache", "build")


def copy_inputs(package: Path, tmp_path: Path) -> Path:
    """A fresh copy of `package` without its cache and output."""
    copy = tmp_path / f"full-{len(list(tmp_path.glob('full-*')))}"
    shutil.copytree(package, copy, symlinks=True, ignore=lambda folder, names: OUTPUTS if Path(folder) == package else ())
    return copy


_FULL_BUILDS: dict[str, tuple] = {}  # inputs' digest -> (release, files, row counts): the oracle is a function of the inputs


def inputs_digest(package: Path) -> str:
    """One digest of every input file of `package` (all but its cache and output) and of SOURCE_DATE_EPOCH."""
    h = hashlib.sha256(os.environ.get("SOURCE_DATE_EPOCH", "").encode() + b"\0")
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if relative.parts[0] not in OUTPUTS and path.is_file():
            h.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def full_build(package: Path, monkeypatch, tmp_path: Path) -> tuple[dict[str, bytes], list[str], dict[str, int]]:
    """What a full build of a copy of `package` (as it is now, without cache or output) publishes and reports."""
    digest = inputs_digest(package)
    if digest not in _FULL_BUILDS:
        copy = copy_inputs(package, tmp_path)
        with monkeypatch.context() as m:
            m.setenv("PAKAFG_NO_CACHE", "1")
            result = build(copy)
        assert result.edited is None
        _FULL_BUILDS[digest] = release(result.path), result.files, result.row_counts
    return _FULL_BUILDS[digest]


def full_build_issues(package: Path, monkeypatch, tmp_path: Path) -> list[tuple]:
    """What a full build of a copy of `package` reports (it must fail)."""
    copy = copy_inputs(package, tmp_path)
    with monkeypatch.context() as m:
        m.setenv("PAKAFG_NO_CACHE", "1")
        with pytest.raises(InvalidPackage) as exc:
            build(copy)
    return issue_keys(exc.value)


def issue_keys(exc: InvalidPackage) -> list[tuple]:
    return [(i.code, i.path, i.line, i.field, i.message) for i in exc.issues]


def assert_same(result, package: Path, monkeypatch, tmp_path: Path) -> dict[str, bytes]:
    """The published release is byte for byte a full build's; return it."""
    got = release(result.path)
    want, files, row_counts = full_build(package, monkeypatch, tmp_path)
    assert sorted(got) == sorted(want)
    differ = [name for name in want if got[name] != want[name]]
    assert not differ, f"files that differ from a full build: {differ}"
    assert (result.files, result.row_counts) == (files, row_counts)  # what `pakafg build` prints
    return got


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- edits the incremental path handles ----------------------------------------------------------------------------


def inodes(package: Path) -> dict[str, int]:
    """Each release file's inode: a file the rebuild did not rewrite keeps it (a hard link to the last release's)."""
    folder = package / "build" / "0.1.0"
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in sorted(folder.rglob("*")) if p.is_file()}


def test_summary_edit_is_incremental_and_identical(pkg, monkeypatch, tmp_path):
    before = release(pkg / "build" / "0.1.0")
    inode_before = inodes(pkg)
    edit(pkg / CLAIMS, "The hijacking killed more than sixty people.", "The hijacking killed over sixty passengers and others.")
    result = build(pkg)
    assert result.edited == [CLAIMS]
    assert not result.unchanged
    got = assert_same(result, pkg, monkeypatch, tmp_path)
    assert b"killed over sixty passengers and others" in got["csv/claims.csv"]
    assert got["csv/actors.csv"] == before["csv/actors.csv"]
    assert got["csv/claims.csv"] != before["csv/claims.csv"]
    assert sorted(p.name for p in (pkg / "build").iterdir()) == [".lock", "0.1.0"]  # the replaced release is gone
    # the claim's citations and links are as they were: their files are the last release's, not rewritten
    assert [name for name in inode_before if inodes(pkg)[name] == inode_before[name]] == [
        name for name in inode_before if not name.split("/")[-1].startswith("claims.")
        and not name.endswith((".sqlite", "datapackage.json", "SHA256SUMS", "README.md", "LICENSE-DATA.md", "CITATION.cff"))]

    again = build(pkg)
    assert again.unchanged and again.edited == []
    assert assert_same(again, pkg, monkeypatch, tmp_path) == got


def test_touched_but_unchanged_file_is_not_read_again(pkg, monkeypatch, tmp_path):
    """A file whose bytes are the same (a `touch`, a save without change) is no edit."""
    before = release(pkg / "build" / "0.1.0")
    for path in (pkg / CLAIMS, pkg / "sources/fp.txt"):
        path.write_bytes(path.read_bytes())
    result = build(pkg)
    assert result.unchanged and result.edited == []
    assert assert_same(result, pkg, monkeypatch, tmp_path) == before


def test_edit_that_changes_no_output_byte(pkg, monkeypatch, tmp_path):
    """A YAML comment is read and checked, and the release stays as it was."""
    before = release(pkg / "build" / "0.1.0")
    inode_before = inodes(pkg)
    edit(pkg / TRAIN, "title: Train hijacking", "# checked against the source\ntitle: Train hijacking")
    result = build(pkg)
    assert result.edited == [TRAIN]
    assert result.unchanged
    assert assert_same(result, pkg, monkeypatch, tmp_path) == before
    assert inodes(pkg) == inode_before  # no table changed: the release was left as it was


def test_edit_of_the_same_size_with_the_old_modification_time(pkg, monkeypatch, tmp_path):
    """A file is compared by more than size and mtime: an edit that keeps both is still seen."""
    path = pkg / CLAIMS
    st = path.stat()
    edit(path, "more than sixty people", "more than SIXTY people")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    result = build(pkg)
    assert result.edited == [CLAIMS]
    assert b"more than SIXTY people" in assert_same(result, pkg, monkeypatch, tmp_path)["csv/claims.csv"]


def test_edit_saved_by_renaming_a_new_file_over_the_record(pkg, monkeypatch, tmp_path):
    """Editors save by writing a new file and renaming it: the folder changes, its listing does not."""
    text = (pkg / TRAIN).read_text(encoding="utf-8").replace("title: Train hijacking", "title: The train hijacking")
    (pkg / "tables/events/.train-hijacking.yaml.tmp").write_text(text, encoding="utf-8")
    os.replace(pkg / "tables/events/.train-hijacking.yaml.tmp", pkg / TRAIN)
    result = build(pkg)
    assert result.edited == [TRAIN]
    assert b"The train hijacking" in assert_same(result, pkg, monkeypatch, tmp_path)["csv/events.csv"]


def test_records_reordered_in_their_file(pkg, monkeypatch, tmp_path):
    """The same rows read in another order: the published order is by key, so no byte changes."""
    before = release(pkg / "build" / "0.1.0")
    text = (pkg / CLAIMS).read_text(encoding="utf-8")
    first, second, rest = text.split("\n- claim_id: ", 2)
    (pkg / CLAIMS).write_text(f"- claim_id: {second}\n{first}\n- claim_id: {rest}".replace("\n\n", "\n"), encoding="utf-8")
    assert (pkg / CLAIMS).read_text(encoding="utf-8").index("fp-hijacking-deaths") < text.index("fp-hijacking-deaths")
    result = build(pkg)
    assert result.edited == [CLAIMS]
    assert result.unchanged
    assert assert_same(result, pkg, monkeypatch, tmp_path) == before
    edit(pkg / CLAIMS, "more than sixty people", "over sixty people")  # the state holds the rows in their new order
    result = build(pkg)
    assert result.edited == [CLAIMS]
    assert_same(result, pkg, monkeypatch, tmp_path)


def test_quote_moved_to_another_passage_updates_offsets(pkg, monkeypatch, tmp_path):
    text = (pkg / "sources/fp.txt").read_text(encoding="utf-8")
    old, new = "Afghan officials deny the allegation", "Kabul denies these claims."
    assert text.count(new) == 1 and text.index(new) != text.index(old)  # occurs once, elsewhere: new offsets
    before = release(pkg / "build" / "0.1.0")
    edit(pkg / CLAIMS, f"quote: {old}", f"quote: {new}")
    result = build(pkg)
    assert result.edited == [CLAIMS]
    got = assert_same(result, pkg, monkeypatch, tmp_path)
    assert got["csv/citations.csv"] != before["csv/citations.csv"]
    assert str(text.index(new)).encode() in got["csv/citations.csv"]


def test_quote_typed_differently_publishes_the_source_characters(pkg, monkeypatch, tmp_path):
    """Quotes match across straight/curly quotes and runs of spaces; the release carries the source's characters."""
    before = release(pkg / "build" / "0.1.0")
    edit(pkg / CLAIMS, "quote: Afghan officials deny the allegation",
         "quote: Afghan officials deny the allegation and insist that Pakistan's security  issues")
    edit(pkg / "tables/places/balochistan.yaml", "quote: Pakistan’s Balochistan province", "quote: Pakistan's Balochistan province")
    result = build(pkg)
    assert result.edited == [CLAIMS, "tables/places/balochistan.yaml"]
    got = assert_same(result, pkg, monkeypatch, tmp_path)
    assert "that Pakistan’s security issues".encode() in got["csv/claims.csv"]
    assert got["csv/places.csv"] == before["csv/places.csv"]


def test_citation_start_chosen_in_the_record(tmp_path, monkeypatch):
    """A quote that occurs twice is placed by the record's `start`; choosing the other occurrence is a row edit."""
    package = make_package(tmp_path / "pkg")
    text = (package / "sources/fp.txt").read_text(encoding="utf-8")
    first = text.index("Balochistan")
    second = text.index("Balochistan", first + 1)
    assert text.count("Balochistan") == 2
    place = package / "tables/places/balochistan.yaml"
    edit(place, "quote: Pakistan’s Balochistan province", f"quote: Balochistan\n    start: {first}")
    assert build(package).edited is None
    edit(place, f"start: {first}", f"start: {second}")
    result = build(package)
    assert result.edited == ["tables/places/balochistan.yaml"]
    assert f"places,balochistan,fp,Balochistan,{second},".encode() in assert_same(result, package, monkeypatch, tmp_path)["csv/citations.csv"]


OFFICIALS = "tables/actors/afghan-officials.yaml"
INCREMENTAL_EDITS = {  # name -> (file, old, new) edits, all of fields no whole-table check reads
    "csv-quoting": [(CLAIMS, "summary: The hijacking killed more than sixty people.",
                     'summary: "The hijacking, \\"F.P. Report\\" says, killed\\nmore than sixty people."')],
    "first-and-last-actor": [(OFFICIALS, "name: Afghan officials", "name: Officials of Afghanistan"),
                             (TTP, "name: Tehreek-e-Taliban Pakistan\n", "name: Tehrik-i-Taliban Pakistan\n")],
    "event-title-and-date-and-place-name": [
        (TRAIN, "title: Train hijacking in Balochistan", "title: Jaffar Express hijacking in Balochistan"),
        (TRAIN, "date_start: 2025-03-01\ndate_end: 2025-03-31", "date_start: 2025-03-01\ndate_end: 2025-04-30"),
        ("tables/places/balochistan.yaml", "name: Balochistan", "name: Balochistan province")],
    "claim-link-note": [(CLAIMS, "note: Denial of the safe-haven accusation.", "note: Denies the safe-haven accusation.")],
    "citation-of-an-actor": [(TTP, "quote: Tehreek-e-Taliban Pakistan (TTP)", "quote: the Tehreek-e-Taliban Pakistan (TTP)")],
    "source-record": [("sources/fp.yaml", "rights: Fixture copy for tests.", "rights: Fixture copy for the tests.")],
}


@pytest.mark.parametrize("name", INCREMENTAL_EDITS)
def test_incremental_edits(name, pkg, monkeypatch, tmp_path):
    before = release(pkg / "build" / "0.1.0")
    for file, old, new in INCREMENTAL_EDITS[name]:
        edit(pkg / file, old, new)
    result = build(pkg)
    assert result.edited == sorted({file for file, _, _ in INCREMENTAL_EDITS[name]})
    assert not result.unchanged
    assert assert_same(result, pkg, monkeypatch, tmp_path) != before


def test_successive_incremental_builds(pkg, monkeypatch, tmp_path):
    """Each rebuild starts from the state the previous rebuild saved."""
    summaries = ["killed more than sixty people", "killed at least sixty", "killed more than 60"]
    for old, new in itertools.pairwise(summaries):
        edit(pkg / CLAIMS, f"The hijacking {old}", f"The hijacking {new}")
        result = build(pkg)
        assert result.edited == [CLAIMS]
    assert_same(result, pkg, monkeypatch, tmp_path)


def test_citation_that_moves_before_another_of_its_record(tmp_path, monkeypatch):
    """A changed offset reorders the citations of one record: the rows after it change place too."""
    package = make_package(tmp_path / "pkg")
    edit(package / TRAIN, "citations:\n", "citations:\n  - source_id: fp\n    quote: which killed over 60 passengers\n")
    assert build(package).edited is None
    text = (package / "sources/fp.txt").read_text(encoding="utf-8")
    new = "Tensions escalated this month"
    assert text.count(new) == 1 and text.index(new) < text.index("a train hijacking by the Baloch")
    edit(package / TRAIN, "quote: which killed over 60 passengers", f"quote: {new}")
    result = build(package)
    assert result.edited == [TRAIN]
    assert_same(result, package, monkeypatch, tmp_path)
    edit(package / TRAIN, "title: Train hijacking", "title: The train hijacking")  # from the state that rebuild saved
    result = build(package)
    assert result.edited == [TRAIN]
    assert_same(result, package, monkeypatch, tmp_path)


def test_record_file_that_is_a_symlink(tmp_path, monkeypatch):
    """Editing the file a symlinked record leads to changes no stat of the link: the build must still see it."""
    package = make_package(tmp_path / "pkg")
    (package / "shared").mkdir()
    (package / "tables/places/pakistan.yaml").rename(package / "shared/pakistan.yaml")
    (package / "tables/places/pakistan.yaml").symlink_to("../../shared/pakistan.yaml")
    assert build(package).edited is None
    edit(package / "shared/pakistan.yaml", "name: Pakistan", "name: Islamic Republic of Pakistan")
    result = build(package)
    assert result.edited in (None, ["tables/places/pakistan.yaml"])
    assert b"Islamic Republic of Pakistan" in assert_same(result, package, monkeypatch, tmp_path)["csv/places.csv"]


def test_generated_corpus_edits_across_many_files(tmp_path, monkeypatch):
    """Tables whose rows come from many files: the edited rows sit between rows of other files (spliced in place)."""
    package = tmp_path / "pkg"
    generate(package, 120, seed=1)
    assert build(package).edited is None
    claims = sorted((package / "tables/claims").glob("*.yaml"))
    for path in claims[1], claims[4]:
        text = path.read_text(encoding="utf-8")
        at = text.index("\n  summary: ", len(text) // 2) + len("\n  summary: ")
        path.write_text(text[:at] + "Edited, a summary in the middle of the table." + text[text.index("\n", at):], encoding="utf-8")
    path = claims[2]  # a claim without numbers quotes another sentence of its source: its citation's offsets change
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    n = next(i for i, r in enumerate(records) if not {"value", "value_low", "value_high"} & set(r))
    source = (package / "sources" / f"{path.stem}.txt").read_text(encoding="utf-8")
    sentence = next(line for line in reversed(source.splitlines()) if line and source.count(line) == 1
                    and line != records[n]["quote"] and not numbers_in(line))
    lines = path.read_text(encoding="utf-8").split("\n")
    at = [i for i, line in enumerate(lines) if line.startswith("  quote: ")][n]
    lines[at] = "  quote: " + json.dumps(sentence, ensure_ascii=False)
    path.write_text("\n".join(lines), encoding="utf-8")
    event, actor = sorted((package / "tables/events").glob("*.yaml"))[7], sorted((package / "tables/actors").glob("*.yaml"))[3]
    event.write_text(re.sub(r"(?m)^title: .*$", "title: An edited title", event.read_text(encoding="utf-8")), encoding="utf-8")
    actor.write_text(re.sub(r"(?m)^name: .*$", "name: An Edited Name", actor.read_text(encoding="utf-8")), encoding="utf-8")
    result = build(package)
    edited = [claims[1], claims[2], claims[4], event, actor]
    assert result.edited == sorted(p.relative_to(package).as_posix() for p in edited)
    got = assert_same(result, package, monkeypatch, tmp_path)
    assert got["csv/claims.csv"].count(b"Edited, a summary in the middle of the table.") == 2
    assert json.dumps(sentence, ensure_ascii=False)[1:-1].encode() in got["csv/citations.csv"]


# --- edits that need a full build ----------------------------------------------------------------------------------


def _reference(root: Path) -> None:
    edit(root / CLAIMS, "event_id: train-hijacking", "event_id: deportation-campaign")


def _withdraw(root: Path) -> None:
    edit(root / CLAIMS, "  quote: Afghan officials deny the allegation\n",
         "  quote: Afghan officials deny the allegation\n  status: withdrawn\n")


def _actor_id_and_file(root: Path) -> None:
    edit(root / "tables/actors/afghan-officials.yaml", "actor_id: afghan-officials", "actor_id: afghan-govt")
    (root / "tables/actors/afghan-officials.yaml").rename(root / "tables/actors/afghan-govt.yaml")
    edit(root / CLAIMS, "claimant_actor_id: afghan-officials", "claimant_actor_id: afghan-govt")


def _new_file(root: Path) -> None:
    (root / "tables/actors/dar.yaml").write_text("actor_id: dar\nname: Ishaq Dar\nactor_type: person\ncountry_code: PK\n",
                                                 encoding="utf-8")


def _delete_file(root: Path) -> None:
    (root / "tables/actors/dar.yaml").unlink()


def _archived_text(root: Path) -> None:
    text = root / "sources/fp.txt"
    old = sha256(text)
    text.write_bytes(text.read_bytes() + b"\nA sentence added to the archived copy.")
    edit(root / "sources/fp.yaml", old, sha256(text))


def _schema(root: Path) -> None:
    edit(root / "schemas/claims.yaml", "description: Stable slug of the claim.", "description: Stable slug of one claim.")


def _metadata(root: Path) -> None:
    edit(root / "datapackage.yaml", "hand-coded from archived\n  news sources.", "hand-coded from archived\n  news reports.")


FULL_BUILD_EDITS = {
    "reference": (None, _reference),
    "withdrawn": (None, _withdraw),
    "actor-id-and-file-renamed": (None, _actor_id_and_file),
    "file-added": (None, _new_file),
    "file-deleted": (_new_file, _delete_file),
    "archived-text": (None, _archived_text),
    "schema": (None, _schema),
    "datapackage-yaml": (None, _metadata),
}


@pytest.mark.parametrize("name", FULL_BUILD_EDITS)
def test_edits_that_need_a_full_build(name, tmp_path, monkeypatch):
    setup, change = FULL_BUILD_EDITS[name]
    package = make_package(tmp_path / "pkg")
    if setup:
        setup(package)
    assert build(package).edited is None
    before = release(package / "build" / "0.1.0")
    change(package)
    result = build(package)
    assert result.edited is None
    assert not result.report.issues
    assert assert_same(result, package, monkeypatch, tmp_path) != before
    if name in ("file-added", "archived-text"):  # the full build saved a state to go on from
        edit(package / CLAIMS, "more than sixty people", "over sixty people")
        result = build(package)
        assert result.edited == [CLAIMS]
        assert_same(result, package, monkeypatch, tmp_path)


def test_new_source_date_means_a_full_build(pkg, monkeypatch, tmp_path):
    """`created` is part of every release: another SOURCE_DATE_EPOCH is no edit of records but a full build."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1710000000")
    result = build(pkg)
    assert result.edited is None and not result.unchanged
    assert b"2024-03-09" in assert_same(result, pkg, monkeypatch, tmp_path)["datapackage.json"]


def test_stray_file_warning_means_full_builds_until_it_is_gone(pkg, monkeypatch, tmp_path):
    (pkg / "tables/claims/notes.txt").write_text("to do\n", encoding="utf-8")
    result = build(pkg)
    assert result.edited is None
    assert [i.code for i in result.report.issues] == ["stray-file"]
    assert_same(result, pkg, monkeypatch, tmp_path)
    assert not (state_folder(pkg) / STATE_FILE).exists()  # a build with a warning keeps no state

    edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
    result = build(pkg)
    assert result.edited is None
    assert [i.code for i in result.report.issues] == ["stray-file"]
    assert_same(result, pkg, monkeypatch, tmp_path)

    (pkg / "tables/claims/notes.txt").unlink()
    result = build(pkg)
    assert result.edited is None and not result.report.issues
    assert (state_folder(pkg) / STATE_FILE).is_file()


def test_formula_warning_in_an_edit_means_a_full_build(pkg, monkeypatch, tmp_path):
    edit(pkg / TRAIN, "title: Train hijacking in Balochistan", "title: '=Train hijacking in Balochistan'")
    result = build(pkg)
    assert result.edited is None
    assert [i.code for i in result.report.issues] == ["formula-like-text"]
    assert_same(result, pkg, monkeypatch, tmp_path)


# --- edits with errors -------------------------------------------------------------------------------------------


def _bad_quote(root: Path) -> None:
    edit(root / CLAIMS, "quote: Afghan officials deny the allegation", "quote: Afghan officials deny every allegation")


def _bad_date(root: Path) -> None:
    edit(root / TRAIN, "date_end: 2025-03-31", "date_end: 2025-02-30")


def _end_before_start(root: Path) -> None:
    edit(root / TRAIN, "date_end: 2025-03-31", "date_end: 2024-03-31")


def _number_not_in_quote(root: Path) -> None:
    edit(root / CLAIMS, "value_low: 60", "value_low: 70")


def _duplicate_alias(root: Path) -> None:
    edit(root / TTP, "  - TTP\n", "  - TTP\n  - TTP\n")


def _text_without_hash(root: Path) -> None:
    (root / "sources/fp.txt").write_bytes((root / "sources/fp.txt").read_bytes() + b"\nAn unrecorded change.")


def _ids_swapped_between_files(root: Path) -> None:
    """The same keys as before, each in the other's file: `id-filename-mismatch` is found reading the files."""
    a, b = root / "tables/actors/fp.yaml", root / "tables/actors/pakistan.yaml"
    a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
    a.write_bytes(b_bytes)
    b.write_bytes(a_bytes)


ERROR_EDITS = {
    "quote-not-in-source": _bad_quote,
    "bad-date": _bad_date,
    "end-before-start": _end_before_start,
    "number-not-in-quote": _number_not_in_quote,
    "duplicate-key": _duplicate_alias,
    "archived-text-changed": _text_without_hash,
    "ids-swapped-between-files": _ids_swapped_between_files,
}


@pytest.mark.parametrize("name", ERROR_EDITS)
def test_edit_with_an_error(name, pkg, monkeypatch, tmp_path):
    before = release(pkg / "build" / "0.1.0")
    saved = {p: p.read_bytes() for p in pkg.rglob("*") if p.is_file() and p.relative_to(pkg).parts[0] not in OUTPUTS}
    ERROR_EDITS[name](pkg)
    with pytest.raises(InvalidPackage) as exc:
        build(pkg)
    assert exc.value.issues
    assert issue_keys(exc.value) == full_build_issues(pkg, monkeypatch, tmp_path)
    assert release(pkg / "build" / "0.1.0") == before  # the last release is untouched

    for path, data in saved.items():  # fixed: back to the last build's inputs
        if path.read_bytes() != data:
            path.write_bytes(data)
    result = build(pkg)
    assert result.edited == [] and result.unchanged  # the state of the last good build still holds
    assert release(result.path) == before

    if name == "quote-not-in-source":  # and a rebuild goes on from it
        edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
        result = build(pkg)
        assert result.edited == [CLAIMS]
        assert_same(result, pkg, monkeypatch, tmp_path)


def test_archived_text_symlink_pointed_at_another_text(tmp_path, monkeypatch):
    """The text behind a symlinked archived copy changes when the link is turned: checked as a full build does."""
    package = make_package(tmp_path / "pkg")
    sources = package / "sources"
    (sources / "fp.txt").rename(sources / "fp-original.txt")
    (sources / "fp.txt").symlink_to("fp-original.txt")
    assert build(package).edited is None
    (sources / "fp-other.txt").write_bytes((sources / "fp-original.txt").read_bytes().replace(b"Kabul", b"Kaabul"))
    (sources / "fp-link.txt").symlink_to("fp-other.txt")
    os.replace(sources / "fp-link.txt", sources / "fp.txt")
    with pytest.raises(InvalidPackage) as exc:
        build(package)
    assert issue_keys(exc.value) == full_build_issues(package, monkeypatch, tmp_path)
    assert "source-hash-mismatch" in {code for code, *_ in issue_keys(exc.value)}


# --- a release or state that is not what the last build left -------------------------------------------------------


def test_tampered_release_is_not_copied(pkg, monkeypatch, tmp_path):
    actors = pkg / "build/0.1.0/csv/actors.csv"
    actors.write_bytes(actors.read_bytes().replace(b"Pakistan", b"Pakistn"))
    edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
    result = build(pkg)
    assert result.edited is None
    got = assert_same(result, pkg, monkeypatch, tmp_path)
    assert b"Pakistn" not in got["csv/actors.csv"]


@pytest.mark.parametrize("tampered, old, new", [
    ("csv/actors.csv", b"Pakistan", b"Pakistn"),  # a table the edit leaves alone: copied
    ("csv/citations.csv", b"Tehreek-e-Taliban Pakistan (TTP)", b"Tehreek-e-Taliban Pakistan [TTP]"),  # spliced around the edit
])
def test_release_tampered_then_rebuilt_without_edit(tampered, old, new, pkg, monkeypatch, tmp_path):
    """A full build replaces a release edited by hand even when its SHA256SUMS still matches, so the state it
    saves never vouches for a tampered file that the next rebuild would link or splice into the release."""
    path = pkg / "build/0.1.0" / tampered
    assert old in path.read_bytes()
    path.write_bytes(path.read_bytes().replace(old, new))
    result = build(pkg)  # nothing edited: a full build (the release is not the state's)
    assert result.edited is None
    assert_same(result, pkg, monkeypatch, tmp_path)
    edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
    result = build(pkg)
    assert result.edited == [CLAIMS]  # the full build's state describes the release it put back
    got = assert_same(result, pkg, monkeypatch, tmp_path)
    assert new not in got[tampered]


def test_release_file_deleted_by_hand(pkg, monkeypatch, tmp_path):
    """A build puts back a release file deleted by hand (and does not fail looking for it)."""
    (pkg / "build/0.1.0/parquet/actors.parquet").unlink()
    result = build(pkg)
    assert result.edited is None
    assert_same(result, pkg, monkeypatch, tmp_path)
    edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
    result = build(pkg)
    assert result.edited == [CLAIMS]
    assert_same(result, pkg, monkeypatch, tmp_path)


@pytest.mark.parametrize("with_edit", [False, True])
def test_file_added_to_the_release_by_hand(with_edit, pkg, monkeypatch, tmp_path):
    """A file dropped into the release folder is not part of the release: a build removes it, edit or not."""
    (pkg / "build/0.1.0/csv/notes.csv").write_text("not published\n", encoding="utf-8")
    if with_edit:
        edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
    result = build(pkg)
    assert result.edited in (None, [CLAIMS] if with_edit else [])  # either path, if it gives a full build's folder
    assert "csv/notes.csv" not in assert_same(result, pkg, monkeypatch, tmp_path)


def _garbage_state(folder: Path) -> None:
    (folder / STATE_FILE).write_bytes(b"\x80\x05garbage, not a pickle")


def _arrow_deleted(folder: Path) -> None:
    next(folder.glob("claims-*.arrow")).unlink()


def _arrow_garbage(folder: Path) -> None:
    next(folder.glob("actors-*.arrow")).write_bytes(b"ARROW1 but not really")


def _working_deleted(folder: Path) -> None:
    next(folder.glob("working-*.sqlite")).unlink()


def _working_garbage(folder: Path) -> None:
    next(folder.glob("working-*.sqlite")).write_bytes(b"not a database" * 100)


CORRUPTIONS = {
    "state-garbage": _garbage_state,
    "arrow-deleted": _arrow_deleted,
    "arrow-garbage": _arrow_garbage,
    "working-sqlite-deleted": _working_deleted,
    "working-sqlite-garbage": _working_garbage,
}


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_corrupt_state(name, pkg, monkeypatch, tmp_path):
    CORRUPTIONS[name](state_folder(pkg))
    edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
    result = build(pkg)
    assert result.edited in (None, [CLAIMS])
    assert_same(result, pkg, monkeypatch, tmp_path)
    if name in ("state-garbage", "working-sqlite-garbage"):  # whatever ran, it left a usable state
        edit(pkg / CLAIMS, "over sixty people", "more than sixty people")
        result = build(pkg)
        assert result.edited == [CLAIMS]
        assert_same(result, pkg, monkeypatch, tmp_path)


def test_state_of_another_output_folder_is_not_used(pkg, monkeypatch, tmp_path):
    """A build into another folder is a full build there (the state is bound to its release)."""
    edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
    result = build(pkg, out=tmp_path / "elsewhere")
    assert result.edited is None
    assert_same(result, pkg, monkeypatch, tmp_path)


# --- the command line ----------------------------------------------------------------------------------------------


def test_cli_build_says_incremental(pkg):
    edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
    out = CliRunner().invoke(cli, ["build", "--root", str(pkg)])
    assert out.exit_code == 0, out.output
    assert any("incremental" in line and "1 edited record file" in line for line in out.output.splitlines()), out.output

    edit(pkg / TRAIN, "title: Train hijacking in Balochistan", "title: Jaffar Express hijacking")
    out = CliRunner().invoke(cli, ["build", "--root", str(pkg), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["edited"] == [TRAIN]


@pytest.mark.parametrize("variable, value", [("PAKAFG_NO_CACHE", "1"), ("PAKAFG_INCREMENTAL", "0")])
def test_turned_off_means_full_build(variable, value, pkg, monkeypatch, tmp_path):
    edit(pkg / CLAIMS, "more than sixty people", "over sixty people")
    monkeypatch.setenv(variable, value)
    result = build(pkg)
    assert result.edited is None
    assert_same(result, pkg, monkeypatch, tmp_path)
    edit(pkg / CLAIMS, "over sixty people", "at least sixty people")
    out = CliRunner().invoke(cli, ["build", "--root", str(pkg), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["edited"] is None

    monkeypatch.delenv(variable)  # on again: the state saved before the full builds describes neither their inputs nor output
    edit(pkg / CLAIMS, "at least sixty people", "more than 60 people")
    result = build(pkg)
    assert_same(result, pkg, monkeypatch, tmp_path)


@pytest.mark.parametrize("command", ["build", "validate"])
def test_schema_frictionless_rejects_is_reported_after_a_build(command, pkg):
    """The rebuild trusts schemas its state shows were accepted; a schema edited since is checked as always."""
    edit(pkg / "schemas/places.yaml", "type: string\n    description: Name in English.", "type: strin\n    description: Name in English.")
    result = CliRunner().invoke(cli, [command, "--root", str(pkg)])
    assert result.exit_code == 2, result.output
    assert "places.yaml: not a valid Table Schema" in result.output
    assert "Traceback" not in result.output
