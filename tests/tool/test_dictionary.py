"""The data dictionary is generated from schemas/ and the committed copy is never stale."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pakafg.cli import cli
from pakafg.dictionary import DICTIONARY_FILE, render
from pakafg.schemas import load_package_spec

from conftest import REPO, edit

SPEC = load_package_spec(REPO)


@pytest.mark.parametrize("table", list(SPEC.tables))
def test_every_field_type_and_enum_value_is_documented(table):
    text = render(SPEC)
    section = text.split(f"## `{table}`\n", 1)[1].split("\n## `", 1)[0]
    for f in SPEC.tables[table].fields:
        required = "yes" if f.get("constraints", {}).get("required") else ""
        assert f"| `{f['name']}` | {f.get('type', 'string')} | {required} |" in section
        for value, meaning in f.get("x-enum-descriptions", {}).items():
            assert f"| `{value}` | {' '.join(meaning.split())} |" in section
    assert "- Primary key: " + ", ".join(f"`{k}`" for k in SPEC.tables[table].primary_key) in section


def test_check_fails_when_a_schema_changes(package):
    runner = CliRunner()
    assert runner.invoke(cli, ["generate", "--root", str(package)]).exit_code == 0
    assert runner.invoke(cli, ["generate", "--check", "--root", str(package)]).exit_code == 0
    edit(package / "schemas/places.yaml", "description: Kind of place.", "description: Kind of place (country, city …).")
    out = runner.invoke(cli, ["generate", "--check", "--root", str(package)])
    assert out.exit_code == 1 and "out of date: docs/data-dictionary.md" in out.output
    assert "run `pakafg generate`" in out.output
    assert "Kind of place (country, city …)." not in (package / DICTIONARY_FILE).read_text()
