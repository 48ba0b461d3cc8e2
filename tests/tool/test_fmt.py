"""`pakafg fmt`: canonical record files, idempotent, never changing what the loader reads."""

from __future__ import annotations

import shutil

import yaml
from click.testing import CliRunner

from pakafg.cli import cli
from pakafg.fmt import format_files, format_text
from pakafg.read import read_package
from pakafg.schemas import load_package_spec

from conftest import REPO, edit


def _run(*args):
    return CliRunner().invoke(cli, list(map(str, args)))


def _rows(root):
    tables = read_package(load_package_spec(root)).tables
    return {name: sorted(zip(*(t.text(f).to_pylist() for f in t.fields))) if len(t) else [] for name, t in tables.items()}


def _copy_repo_records(dest):
    dest.mkdir(parents=True)
    for part in ("datapackage.yaml", "schemas", "sources", "tables"):
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        elif src.exists():
            shutil.copy(src, dest / part)
    return dest


def test_fmt_is_idempotent_and_keeps_every_value(package):
    before = _rows(package)
    first = _run("fmt", "--root", package)
    assert first.exit_code == 0, first.output
    assert "formatted tables/claims/fp.yaml" in first.output
    assert _rows(package) == before
    snapshot = {p: p.read_bytes() for p in package.rglob("*.yaml")}
    second = _run("fmt", "--root", package)
    assert second.exit_code == 0 and "formatted" not in second.output
    assert {p: p.read_bytes() for p in package.rglob("*.yaml")} == snapshot
    assert _run("fmt", "--check", "--root", package).exit_code == 0
    assert _run("validate", "--root", package).exit_code == 0


def test_fmt_keeps_every_value_of_the_committed_records(tmp_path):
    root = _copy_repo_records(tmp_path / "repo")
    before = _rows(root)
    results = format_files(load_package_spec(root))
    assert not [i.format() for r in results for i in r.issues]
    assert _rows(root) == before
    assert not [r.path for r in format_files(load_package_spec(root), write=False) if r.changed]  # idempotent


def test_check_lists_files_and_changes_nothing(package):
    target = package / "tables" / "actors" / "pakistan.yaml"
    target.write_text("name: Pakistan\nactor_id: pakistan\nactor_type: state\ncountry_code: PK\n", encoding="utf-8")
    original = target.read_bytes()
    result = _run("fmt", "--check", "--root", package, "--format", "text")
    assert result.exit_code == 1
    assert "tables/actors/pakistan.yaml:1: not in canonical format (run `pakafg fmt tables/actors/pakistan.yaml`) [not-canonical]" in result.output
    assert target.read_bytes() == original
    assert _run("fmt", "--root", package, str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == (
        "# yaml-language-server: $schema=../../docs/json-schema/actors.json\n"
        "actor_id: pakistan\nname: Pakistan\nactor_type: state\ncountry_code: PK\n"
    )


def test_canonical_form(package):
    spec = load_package_spec(package)
    text = (
        "note: \"Said \\\"hello\\\"\"\r\n"
        "status: active\r\n"
        "citations:\r\n"
        "- quote: 'Pakistan’s Balochistan province'\r\n"
        "  source_id: fp\r\n"
        "name: \"NO\"\r\n"
        "place_type: province\r\n"
        "place_id: balochistan\r\n"
        "parent_place_id: pakistan\r\n"
        "country_code: PK\r\n"
    )
    out, issues = format_text(spec, spec.tables["places"], text, "tables/places/balochistan.yaml")
    assert not issues
    assert out == (
        "# yaml-language-server: $schema=../../docs/json-schema/places.json\n"
        "place_id: balochistan\n"
        "name: 'NO'\n"  # quoted: YAML 1.1 readers would take plain NO as false
        "place_type: province\n"
        "parent_place_id: pakistan\n"
        "country_code: PK\n"
        "note: Said \"hello\"\n"
        "citations:\n"
        "  - source_id: fp\n"
        "    quote: Pakistan’s Balochistan province\n"
    )


def test_ambiguous_text_is_quoted_so_any_yaml_reader_gets_the_same_text(package):
    spec = load_package_spec(package)
    values = ["NO", "yes", "012", "1:20", "2025-01-01", "null", "~", "0o17", "1e3", ".inf", "@here", "- dash",
              "a: b", "x #y", "it's", "trailing ", "#hash", "two\nlines", "line\u2028separator", "cr\rhere"]
    aliases = "".join(f"  - {yaml.safe_dump(v, default_style=chr(34)).strip()}\n" for v in values)
    text = f"actor_id: x\nname: X\nactor_type: state\naliases:\n{aliases}"
    out, issues = format_text(spec, spec.tables["actors"], text, "tables/actors/x.yaml")
    assert not issues
    assert yaml.safe_load(out)["aliases"] == values  # YAML 1.1 (PyYAML) reads the same strings
    again, _ = format_text(spec, spec.tables["actors"], out, "tables/actors/x.yaml")
    assert again == out
    assert "  - '012'\n" in out and "  - 'NO'\n" in out and "  - it's\n" in out


def test_dates_and_numbers_stay_plain(package):
    spec = load_package_spec(package)
    text = "- claim_id: c\n  value_low: '800000'\n  period_start: \"2023-11-01\"\n  summary: '800000'\n"
    out, issues = format_text(spec, spec.tables["claims"], text, "tables/claims/fp.yaml")
    assert not issues
    assert "  value_low: 800000\n" in out and "  period_start: 2023-11-01\n" in out
    assert "  summary: '800000'\n" in out  # text that looks like a number stays quoted


def test_grouped_records_are_separated_by_a_blank_line(package):
    out = (package / "tables" / "claims" / "fp.yaml")
    _run("fmt", "--root", package, out)
    text = out.read_text(encoding="utf-8")
    assert text.count("\n\n- claim_id: ") == 3 and text.endswith("\n") and not text.endswith("\n\n")


def test_comments_are_refused_not_lost(package):
    target = package / "tables" / "actors" / "pakistan.yaml"
    edit(target, "actor_type: state\n", "actor_type: state  # checked against the text\n# TODO: aliases\n")
    original = target.read_bytes()
    result = _run("fmt", "--root", package, "--format", "text")
    assert result.exit_code == 1
    assert "tables/actors/pakistan.yaml:3:20: this comment would be lost by `pakafg fmt`" in result.output
    assert "tables/actors/pakistan.yaml:4:1:" in result.output
    assert "[yaml-comment]" in result.output
    assert target.read_bytes() == original  # left untouched


def test_scaffold_help_lines_are_dropped(package):
    target = package / "tables" / "actors" / "pakistan.yaml"
    target.write_text("# yaml-language-server: $schema=old.json\n#| Stable slug.\nactor_id: pakistan\n#| Name.\n"
                      "name: Pakistan\nactor_type: state\ncountry_code: PK\n", encoding="utf-8")
    assert _run("fmt", "--root", package, target).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "#|" not in text and text.startswith("# yaml-language-server: $schema=../../docs/json-schema/actors.json\n")


def test_unreadable_files_are_reported_and_left_alone(package):
    target = package / "tables" / "events" / "train-hijacking.yaml"
    edit(target, "title: Train", "title: Train\ntitle: Again")
    original = target.read_bytes()
    result = _run("fmt", "--root", package)
    assert result.exit_code == 1
    assert "[duplicate-key]" in result.output
    assert target.read_bytes() == original


def test_paths_outside_record_folders_are_a_usage_error(package):
    result = _run("fmt", "--root", package, package / "datapackage.yaml")
    assert result.exit_code == 2
    assert "not a record file" in result.output


def test_unknown_keys_are_kept_at_the_end(package):
    target = package / "tables" / "actors" / "fp.yaml"
    target.write_text("colour: red\nactor_id: fp\nname: F.P. Report\nactor_type: media_outlet\n", encoding="utf-8")
    assert _run("fmt", "--root", package, target).exit_code == 0
    assert target.read_text(encoding="utf-8").endswith("actor_type: media_outlet\ncolour: red\n")
    assert "[unknown-field]" in _run("validate", "--root", package).output


def test_a_comment_on_the_first_line_is_not_lost(package):
    target = package / "tables" / "actors" / "fp.yaml"
    target.write_text("# coded by A. Coder\nactor_id: fp\nname: F.P. Report\nactor_type: media_outlet\n", encoding="utf-8")
    result = _run("fmt", "--root", package, target)
    assert result.exit_code == 1
    assert "tables/actors/fp.yaml:1:1: this comment would be lost" in result.output
    assert target.read_text(encoding="utf-8").startswith("# coded by A. Coder\n")
