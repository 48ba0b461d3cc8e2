"""How problems are printed: text, GitHub annotations, JSON; all of them in one run; exit codes 0/1/2."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pakafg.cli import cli

from conftest import edit

TEXT_LINE = re.compile(r"^(?P<path>[^:]+\.yaml):(?P<line>\d+):(?P<col>\d+): (?P<what>[a-z_]+\.[a-z_]+): (?P<msg>.+) \((?P<hint>.+)\) \[(?P<code>[a-z-]+)\]$")
GITHUB_LINE = re.compile(r"^::error file=(?P<path>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),title=(?P<code>[a-z-]+)::(?P<text>.+)$")


@pytest.fixture
def broken(package):
    """Three independent mistakes in three files."""
    edit(package / "tables" / "events" / "deportation-campaign.yaml", "event_type: COERCE", "event_type: COERSE")
    edit(package / "tables" / "actors" / "pakistan.yaml", "country_code: PK", "country_code: PK\ncolour: green")
    edit(package / "tables" / "events" / "train-hijacking.yaml", "date_start: 2025-03-01", "date_start: 2025-02-30")
    return package


EXPECTED = {
    ("tables/actors/pakistan.yaml", 5, 9, "unknown-field", "actors.colour"),
    ("tables/events/deportation-campaign.yaml", 2, 13, "enum", "events.event_type"),
    ("tables/events/train-hijacking.yaml", 5, 13, "type-error", "events.date_start"),
}


def _run(*args, env=None):
    return CliRunner(env=env).invoke(cli, list(map(str, args)))


def test_text_format_reports_every_problem_with_place_field_and_hint(broken):
    result = _run("validate", "--root", broken, "--format", "text")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if TEXT_LINE.match(line)]
    found = {(m["path"], int(m["line"]), int(m["col"]), m["code"], m["what"]) for m in map(TEXT_LINE.match, lines)}
    assert found == EXPECTED
    assert "did you mean 'COERCE'?" in result.output
    assert "'2025-02-30' is not a valid date (write the date as YYYY-MM-DD)" in result.output
    assert result.output.rstrip().endswith("3 error(s), 0 warning(s)")


def test_github_format_prints_annotations(broken):
    result = _run("validate", "--root", broken, "--format", "github")
    assert result.exit_code == 1
    matches = [m for m in map(GITHUB_LINE.match, result.output.splitlines()) if m]
    assert {(m["path"], int(m["line"]), int(m["col"]), m["code"]) for m in matches} == {e[:4] for e in EXPECTED}
    assert all("\n" not in m["text"] for m in matches)


def test_github_format_is_the_default_in_github_actions(broken):
    result = _run("validate", "--root", broken, env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    assert sum(1 for line in result.output.splitlines() if GITHUB_LINE.match(line)) == 3


def test_json_format_for_tools(broken):
    result = CliRunner().invoke(cli, ["validate", "--root", str(broken), "--format", "json"])
    assert result.exit_code == 1
    issues = json.loads(result.stdout)
    assert {(i["path"], i["line"], i["column"], i["code"], f"{i['table']}.{i['field']}") for i in issues} == EXPECTED
    assert all(i["severity"] == "error" and i["message"] and i["hint"] for i in issues)


def test_max_errors_caps_the_text_but_counts_everything(broken):
    result = _run("validate", "--root", broken, "--format", "text", "--max-errors", "1")
    assert result.exit_code == 1
    assert sum(1 for line in result.output.splitlines() if TEXT_LINE.match(line)) == 1
    assert "… and 2 more (use --max-errors or --format json)" in result.output
    assert "3 error(s)" in result.output


def test_build_reports_the_same_problems_and_refuses(broken):
    result = _run("build", "--root", broken, "--format", "text")
    assert result.exit_code == 1
    assert {m["code"] for m in map(TEXT_LINE.match, result.output.splitlines()) if m} == {"enum", "unknown-field", "type-error"}
    assert "build refused" in result.output
    assert not (broken / "build").exists()


def test_exit_codes(package, tmp_path):
    ok = _run("validate", "--root", package)
    assert ok.exit_code == 0 and ok.output.startswith("valid: ")
    missing = _run("validate", "--root", tmp_path / "nowhere")
    assert missing.exit_code == 2
    assert missing.output.startswith("error: ") and "datapackage.yaml" in missing.output
    assert _run("validate", "--format", "xml", "--root", package).exit_code == 2  # usage error (click)


def test_real_entry_point_in_ci(broken):
    """The installed command, as CI runs it: not a TTY, CI=true, GitHub annotations, no progress output."""
    env = {**os.environ, "CI": "true", "GITHUB_ACTIONS": "true"}
    proc = subprocess.run([sys.executable, "-m", "pakafg", "validate", "--root", str(broken)], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert sum(1 for line in lines if GITHUB_LINE.match(line)) == 3
    assert lines[-1] == "3 error(s), 0 warning(s)"
    assert "\x1b[" not in proc.stderr  # no spinner or colour escape codes
