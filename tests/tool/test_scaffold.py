"""`pakafg new` and `pakafg add-source`: short skeletons that validate once filled in; never overwrite or reuse IDs."""

from __future__ import annotations

import hashlib

from click.testing import CliRunner

from pakafg.cli import cli
from pakafg.schemas import load_package_spec

from conftest import edit


def _run(*args, **kwargs):
    return CliRunner().invoke(cli, list(map(str, args)), **kwargs)


def _issues_in(package, rel):
    result = _run("validate", "--root", package, "--format", "text")
    return [line for line in result.output.splitlines() if line.startswith(rel)]


def test_new_event_is_short_and_validates_once_filled_in(package):
    result = _run("new", "events", "--id", "fp-talks", "--root", package)
    assert result.exit_code == 0, result.output
    assert "wrote tables/events/fp-talks.yaml" in result.output
    path = package / "tables" / "events" / "fp-talks.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../docs/json-schema/events.json\n")
    spec = load_package_spec(package)
    for name in spec.record_keys("events"):  # required and common fields as keys, the rest as one help line at most
        table = spec.tables["events"]
        required = name in table.field_names and table.required(name) and table.default(name) is None
        common = name in spec.tables["events"].descriptor["x-skeleton"]
        assert (f"\n{name}:" in text) == (required or common), name
    assert "\n#| participants: " in text and "\nparticipants:" not in text  # no placeholder item to delete
    assert "#| title: Short title in the coder's own words (required)" in text
    assert "docs/data-dictionary.md#events" in text
    assert len(text.splitlines()) < 40

    # unfilled: validate points at each required field still to fill
    unfilled = _issues_in(package, "tables/events/fp-talks.yaml")
    assert any("events.event_type: is required" in line for line in unfilled)
    assert any("events.title: is required" in line for line in unfilled)

    edit(path, "event_type: null", "event_type: COERCE")
    edit(path, "title: null", "title: Deportation talks")
    edit(path, "  - source_id: null", "  - source_id: fp")
    edit(path, "    quote: null", "    quote: Pakistan also launched a nationwide deportation campaign")
    assert _issues_in(package, "tables/events/fp-talks.yaml") == []
    assert _run("validate", "--root", package).exit_code == 0

    # fmt turns the filled skeleton into a canonical record with the same values
    assert _run("fmt", "--root", package, path).exit_code == 0
    formatted = path.read_text(encoding="utf-8")
    assert "#|" not in formatted and "status: active" not in formatted
    assert _run("validate", "--root", package).exit_code == 0


def test_new_claim_is_appended_to_its_source_file(package):
    claims = package / "tables" / "claims" / "fp.yaml"
    before = claims.read_text(encoding="utf-8")
    result = _run("new", "claims", "--source", "fp", "--id", "fp-officials-deny-again", "--root", package)
    assert result.exit_code == 0, result.output
    text = claims.read_text(encoding="utf-8")
    assert text.startswith(before)  # existing claims untouched
    assert "\n- claim_id: fp-officials-deny-again\n" in text
    assert "source_id:" not in text[len(before):]  # implied by the file name

    edit(claims, "  claimant_actor_id: null", "  claimant_actor_id: afghan-officials")
    edit(claims, "  speech_act: null", "  speech_act: denies")
    edit(claims, "  summary: null", "  summary: Afghan officials deny the allegation.")
    edit(claims, "  quote: null\n", "  quote: Afghan officials deny the allegation\n  links:\n"
         "    - other_claim_id: fp-islamabad-ttp-havens\n      relation: denies\n")
    result = _run("validate", "--root", package)
    assert result.exit_code == 0, result.output


def test_new_claim_creates_the_file_for_a_new_source(package):
    (package / "tables" / "claims" / "fp.yaml").unlink()
    result = _run("new", "claims", "--source", "fp", "--id", "fp-first", "--root", package)
    assert result.exit_code == 0, result.output
    text = (package / "tables" / "claims" / "fp.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../docs/json-schema/claims.json\n")
    assert "\n- claim_id: fp-first\n" in text


def test_refuses_an_id_already_in_use(package):
    actor = package / "tables" / "actors" / "pakistan.yaml"
    original = actor.read_bytes()
    result = _run("new", "actors", "--id", "pakistan", "--root", package)
    assert result.exit_code == 2
    assert "actor_id 'pakistan' is already used in tables/actors/pakistan.yaml" in result.output
    assert actor.read_bytes() == original

    claims = package / "tables" / "claims" / "fp.yaml"
    before = claims.read_bytes()
    result = _run("new", "claims", "--source", "fp", "--id", "fp-hijacking-deaths", "--root", package)
    assert result.exit_code == 2
    assert "already used in tables/claims/fp.yaml" in result.output
    assert claims.read_bytes() == before


def test_refuses_an_id_used_in_another_file_of_the_table(package):
    """Claim IDs are unique across every claims file, not only within one source's."""
    (package / "sources" / "fp2.yaml").write_text((package / "sources" / "fp.yaml").read_text().replace("source_id: fp", "source_id: fp2"))
    result = _run("new", "claims", "--source", "fp2", "--id", "fp-hijacking-deaths", "--root", package)
    assert result.exit_code == 2
    assert "already used in tables/claims/fp.yaml" in result.output
    assert not (package / "tables" / "claims" / "fp2.yaml").exists()


def test_refuses_bad_input(package):
    bad_id = _run("new", "events", "--id", "Bad ID", "--root", package)
    assert bad_id.exit_code == 2 and "not a valid event_id" in bad_id.output
    unknown = _run("new", "villages", "--id", "x", "--root", package)
    assert unknown.exit_code == 2 and "unknown table 'villages'" in unknown.output and "events" in unknown.output
    no_source = _run("new", "claims", "--id", "x", "--root", package)
    assert no_source.exit_code == 2 and "--source" in no_source.output
    unknown_source = _run("new", "claims", "--source", "nope", "--id", "x", "--root", package)
    assert unknown_source.exit_code == 2 and "pakafg new sources --id nope" in unknown_source.output
    stray_source = _run("new", "events", "--id", "x", "--source", "fp", "--root", package)
    assert stray_source.exit_code == 2 and "--source applies only" in stray_source.output
    no_id = _run("new", "events", "--root", package, input="")
    assert no_id.exit_code == 2 and "--id" in no_id.output
    assert sorted(p.name for p in (package / "tables" / "events").iterdir()) == ["deportation-campaign.yaml", "train-hijacking.yaml"]


def test_new_source_records_the_archived_text_hash(package):
    text = package / "sources" / "dawn-example.txt"
    text.write_bytes("An archived article.\n".encode())
    result = _run("new", "sources", "--id", "dawn-example", "--root", package)
    assert result.exit_code == 0, result.output
    record = (package / "sources" / "dawn-example.yaml").read_text(encoding="utf-8")
    assert record.startswith("# yaml-language-server: $schema=../docs/json-schema/sources.json\n")
    assert "\nfile: sources/dawn-example.txt\n" in record
    assert f"\nsha256: {hashlib.sha256(text.read_bytes()).hexdigest()}\n" in record


def test_every_record_table_has_a_skeleton_that_reads_back(package):
    from pakafg.read.files import load_file
    from pakafg.read.yaml import to_plain

    spec = load_package_spec(package)
    for table in spec.record_tables():
        args = ["new", table.name, "--id", f"skeleton-{table.name}", "--root", package]
        if table.group_by:
            args += ["--source", "fp"]
        result = _run(*args)
        assert result.exit_code == 0, result.output
        rel = result.output.split("wrote ", 1)[1].split(":", 1)[0]
        node, issues = load_file(package / rel, rel)
        assert not issues, [i.format() for i in issues]
        record = to_plain(node)
        record = record[-1] if table.group_by else record
        keys = spec.record_keys(table.name)
        assert list(record) == [k for k in keys if k in record], table.name  # in schema order
        assert table.id_field in record


def test_full_skeleton_lists_every_field_with_code_meanings(package):
    result = _run("new", "events", "--id", "fp-full", "--full", "--root", package)
    assert result.exit_code == 0, result.output
    text = (package / "tables" / "events" / "fp-full.yaml").read_text(encoding="utf-8")
    for name in load_package_spec(package).record_keys("events"):
        assert f"\n{name}:" in text, name
    assert "#|   COERCE = use state coercion" in text


def test_add_source_archives_the_text_byte_for_byte(package, tmp_path):
    article = tmp_path / "Ceasefire Report.txt"
    article.write_bytes("KABUL: The ceasefire held on Sunday.\r\nOfficials said talks would resume.\n".encode())
    result = _run("add-source", article, "--retrieved-from", "https://example.org/ceasefire", "--retrieved-on", "2025-10-20",
                  "--root", package)
    assert result.exit_code == 0, result.output
    text, record = package / "sources" / "ceasefire-report.txt", package / "sources" / "ceasefire-report.yaml"
    assert text.read_bytes() == article.read_bytes()
    body = record.read_text(encoding="utf-8")
    assert f"\nsha256: {hashlib.sha256(article.read_bytes()).hexdigest()}\n" in body
    assert "\nretrieved_from: https://example.org/ceasefire\n" in body and "\nretrieved_on: 2025-10-20\n" in body
    assert "\nurl: null\n" in body  # what the text states is not what the contributor browsed
    again = _run("add-source", article, "--root", package)
    assert again.exit_code == 2 and "already used" in again.output


def test_add_source_refuses_text_that_cannot_be_archived(package, tmp_path):
    for name, data in (("bom.txt", b"\xef\xbb\xbfText"), ("nul.txt", b"Te\x00xt"), ("latin.txt", "caf\xe9".encode("latin-1"))):
        (tmp_path / name).write_bytes(data)
        result = _run("add-source", tmp_path / name, "--root", package)
        assert result.exit_code == 2 and "plain UTF-8" in result.output, result.output
        assert not (package / "sources" / name.replace(".txt", ".yaml")).exists()

