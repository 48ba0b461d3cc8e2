"""Checks over the committed records: invariants every valid package satisfies, whatever its contents.

They never pin today's counts, IDs or version, so a contributor adding data
never has to edit them. What a contributor's change can break here, the
message says how to fix (usually one `pakafg` command).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from pakafg import build, to_pandera, validate
from pakafg.cli import cli
from pakafg.read.files import load_file, record_files
from pakafg.read.yaml import to_plain
from pakafg.schemas import JSON_SCHEMA_DIR, load_package_spec, schema_header
from pakafg.versioning.manifest import RELEASES_DIR, read_manifest, released_versions

from conftest import REPO, published_frame

SPEC = load_package_spec(REPO)


def test_the_records_are_valid():
    report = validate(REPO).report
    assert report.valid, "run `pakafg validate` and fix:\n" + "\n".join(i.format() for i in report.errors[:50])


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The committed records built once, for every check of what a consumer receives."""
    return build(REPO, out=tmp_path_factory.mktemp("build"))


def test_the_release_builds_and_stock_frictionless_accepts_it(release):
    assert all(release.row_counts[t.name] > 0 for t in SPEC.record_tables()), release.row_counts
    proc = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(release.path / "datapackage.json")],
                          capture_output=True, text=True)
    assert json.loads(proc.stdout)["valid"] is True, proc.stdout[-3000:]


@pytest.mark.parametrize("table", list(SPEC.tables))
def test_every_published_table_passes_its_full_pandera_model(release, table):
    to_pandera(SPEC.tables[table]).validate(published_frame(SPEC, release.path, table), lazy=True)


def test_every_citation_points_at_its_quote(release):
    """What a consumer does with plain Python: read the archived text, slice it at start:end, compare."""
    tables = {name: _rows(release.path, name) for name in ("sources", "citations", "claims")}
    files = {row["source_id"]: row["file"] for row in tables["sources"]}
    assert tables["citations"]
    for row in tables["citations"]:
        with open(REPO / files[row["source_id"]], encoding="utf-8", newline="") as fh:
            assert fh.read()[int(row["start"]):int(row["end"])] == row["quote"], row
    cited = {(r["record_table"], r["record_id"]): r["quote"] for r in tables["citations"]}
    assert all(cited[("claims", c["claim_id"])] == c["quote"] for c in tables["claims"])


def _rows(release, table: str) -> list[dict]:
    with open(release / "csv" / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_generated_file_is_up_to_date():
    out = CliRunner().invoke(cli, ["generate", "--check", "--root", str(REPO)])
    assert out.exit_code == 0, out.output


def test_every_record_file_is_canonical():
    out = CliRunner().invoke(cli, ["fmt", "--check", "--root", str(REPO)])
    assert out.exit_code == 0, out.output + "\nrun `pakafg fmt` and commit the result"


def test_every_record_file_names_its_json_schema_and_satisfies_it():
    """The first line lets a YAML language server complete and check the file; what it checks, the record passes."""
    problems = []
    for table in SPEC.record_tables():
        header = schema_header(SPEC, table.name)
        schema = json.loads((REPO / JSON_SCHEMA_DIR / f"{table.name}.json").read_text(encoding="utf-8"))
        validator = jsonschema.Draft7Validator(schema)
        for file, rel in record_files(REPO, table.directory):
            if file.read_text(encoding="utf-8").partition("\n")[0] != header:
                problems.append(f"{rel}: first line is not `{header}` (run `pakafg fmt`)")
            node, issues = load_file(file, rel)
            problems += [f"{rel}: {e.message}" for e in validator.iter_errors(to_plain(node))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("version", released_versions(REPO) or ["none"])
def test_every_release_manifest_is_consistent(version):
    if version == "none":
        pytest.skip("no release yet")
    manifest = read_manifest(REPO, version)
    assert manifest["name"] == SPEC.name
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    git = subprocess.run(["git", "-C", str(REPO), "cat-file", "-t", manifest["commit"]], capture_output=True, text=True)
    if git.returncode == 0 or "not a git repository" not in git.stderr:
        assert git.stdout.strip() == "commit", f"{RELEASES_DIR}/{version}.json names commit {manifest['commit']}, not in this history"
