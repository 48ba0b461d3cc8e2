"""Versions and releases on real git repositories made in tmp_path: diff, bump rules, development builds, freezing.

No test here uses a git tag: releases are found through releases/<version>.json, which travels with a clone."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pakafg import build
from pakafg.cli import cli
from pakafg.issues import PakafgError
from pakafg.versioning.changelog import changelog_section, prepend_changelog
from pakafg.versioning.diff import diff
from pakafg.versioning.release import release
from pakafg.versioning.versions import development_version, next_version, parse_version, version_bump

from conftest import FIXTURE_VERSION, REPO, edit, make_package

GIT_ENV = ["-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), *GIT_ENV, *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def commit(repo: Path, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = make_package(tmp_path / "repo")
    (path / ".gitignore").write_text("build/\n")
    shutil.copy(REPO / "CITATION.cff", path / "CITATION.cff")
    git(path, "init", "-q", "-b", "main")
    commit(path, "initial data")
    return path


def set_version(repo: Path, version: str) -> None:
    text = (repo / "datapackage.yaml").read_text()
    old = next(line for line in text.splitlines() if line.startswith("version:"))
    edit(repo / "datapackage.yaml", old, f"version: {version}")


QUETTA = "place_id: quetta\nname: Quetta\nplace_type: city\nparent_place_id: balochistan\ncountry_code: PK\n"


# --- versions -------------------------------------------------------------------------

@pytest.mark.parametrize("old,new,bump", [("0.1.0", "0.1.0", "none"), ("0.1.0", "0.1.1", "patch"), ("0.1.9", "0.2.0", "minor"),
                                          ("0.9.3", "1.0.0", "major"), ("1.2.0", "1.1.5", "downgrade"),
                                          ("1.0.0-rc.1", "1.0.0", "patch")])
def test_version_bump(old, new, bump):
    assert version_bump(old, new) == bump


@pytest.mark.parametrize("version,bump,expected", [("0.1.0", "patch", "0.1.1"), ("0.1.9", "minor", "0.2.0"),
                                                   ("0.9.3", "major", "1.0.0"), ("1.2.3-rc.1", "minor", "1.3.0")])
def test_next_version(version, bump, expected):
    assert next_version(version, bump) == expected


def test_a_development_version_sorts_between_its_release_and_any_next_one():
    dev = development_version("0.1.0", released=True, digest="3f2a9c1b7d4e5f60")
    assert dev == "0.1.1-dev+3f2a9c1b7d4e"
    assert parse_version("0.1.0") < parse_version(dev) < min(parse_version(v) for v in ("0.1.1", "0.2.0", "1.0.0"))
    assert development_version("0.1.0", released=False, digest="ab" * 8) == "0.1.0-dev+abababababab"  # before a first release
    assert parse_version("0.1.0-dev+abababababab") < parse_version("0.1.0")


def test_bad_version_is_a_clear_error():
    with pytest.raises(PakafgError, match="not a semantic version"):
        parse_version("1.0")


# --- diff -----------------------------------------------------------------------------

def test_records_added_removed_changed_field_by_field(repo):
    (repo / "tables/places/quetta.yaml").write_text(QUETTA)
    edit(repo / "tables/events/train-hijacking.yaml", "title: Train hijacking in Balochistan", "title: Jaffar Express hijacking")
    edit(repo / "tables/actors/ttp.yaml", "  - TTP\n", "  - T.T.P.\n")
    status_before = git(repo, "status", "--porcelain")
    d = diff(repo, "HEAD")
    assert git(repo, "status", "--porcelain") == status_before  # the working tree is not touched
    tables = {t.table: t for t in d.tables}
    assert tables["places"].added == [("quetta",)]
    assert tables["events"].changed == [(("train-hijacking",), {"title": ("Train hijacking in Balochistan", "Jaffar Express hijacking")})]
    assert tables["actor_aliases"].added == [("ttp", "T.T.P.")] and tables["actor_aliases"].removed == [("ttp", "TTP")]
    assert d.schema == []
    assert d.required_bump == "minor"


def test_correction_needs_patch_and_removal_needs_major(repo):
    edit(repo / "tables/events/train-hijacking.yaml", "date_phrase: this month", "date_phrase: in March")
    assert diff(repo, "HEAD").required_bump == "patch"
    (repo / "tables/places/balochistan.yaml").unlink()
    edit(repo / "tables/events/train-hijacking.yaml", "place_id: balochistan\n", "")
    d = diff(repo, "HEAD")
    assert [t.removed for t in d.tables if t.table == "places"] == [[("balochistan",)]]
    assert d.required_bump == "major"
    assert any("withdraw" in reason for bump, reason in d.reasons if bump == "major")


def _add_field(repo):
    edit(repo / "schemas/places.yaml", "  - use: status", "  - {name: population, type: integer, description: Residents.}\n  - use: status")


def _remove_field(repo):
    text = (repo / "schemas/sources.yaml").read_text()
    start, end = text.index("  - name: byline\n"), text.index("  - name: published\n")
    (repo / "schemas/sources.yaml").write_text(text[:start] + text[end:])


def _rename_field(repo):
    edit(repo / "schemas/sources.yaml", "  - name: byline\n", "  - name: credit\n")


def _retype_field(repo):
    edit(repo / "schemas/citations.yaml", "  - name: start\n    type: integer", "  - name: start\n    type: number")


def _add_enum_value(repo):
    edit(repo / "schemas/places.yaml", "enum: [country, ", "enum: [continent, country, ")


@pytest.mark.parametrize("change,expected,bump", [
    (_add_field, [("places", "population", "field-added")], "major"),
    (_remove_field, [("sources", "byline", "field-removed")], "major"),
    (_rename_field, [("sources", "byline", "field-removed"), ("sources", "credit", "field-added")], "major"),
    (_retype_field, [("citations", "start", "field-retyped")], "major"),
    (_add_enum_value, [("places", "place_type", "constraints")], "minor"),
])
def test_schema_changes_and_their_bump(repo, change, expected, bump):
    change(repo)
    d = diff(repo, "HEAD")
    assert [(c.table, c.field, c.change) for c in d.schema] == expected
    assert d.required_bump == bump


def test_cli_diff_json_text_and_markdown(repo):
    (repo / "tables/places/quetta.yaml").write_text(QUETTA)
    runner = CliRunner()
    out = runner.invoke(cli, ["diff", "HEAD", "--root", str(repo), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["required_bump"] == "minor" and data["tables"]["places"]["added"] == [{"place_id": "quetta"}]
    out = runner.invoke(cli, ["diff", "HEAD", "--root", str(repo)])
    assert "  places: +1 -0 ~0\n    + quetta\n" in out.output and "required bump: minor" in out.output
    out = runner.invoke(cli, ["diff", "HEAD", "--root", str(repo), "--format", "markdown"])
    assert "| places | 1 | 0 | 0 |" in out.output


def test_diff_against_bad_refs_is_a_clear_error(repo):
    (repo / "notes.txt").write_text("x")
    git(repo, "checkout", "-q", "--orphan", "empty")
    git(repo, "rm", "-rfq", "--cached", ".")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-qm", "no package")
    git(repo, "checkout", "-q", "-f", "main")
    runner = CliRunner()
    out = runner.invoke(cli, ["diff", "empty", "--root", str(repo)])
    assert out.exit_code == 2 and "empty has no datapackage.yaml" in out.output
    out = runner.invoke(cli, ["diff", "no-such-tag", "--root", str(repo)])
    assert out.exit_code == 2 and "unknown git ref 'no-such-tag'" in out.output
    assert "main" in out.output.split("unknown git ref", 1)[1]  # it names refs that exist here
    assert "Traceback" not in out.output
    out = runner.invoke(cli, ["diff", "--root", str(repo)])  # no release yet: nothing to compare with by default
    assert out.exit_code == 2 and "no release yet" in out.output


# --- releases and development builds -----------------------------------------------------

def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def _cut(repo: Path, bump: str | None = None):
    """`pakafg release` then the commit it prints (as a maintainer does)."""
    result = release(repo, bump)
    commit(repo, f"Release {result.version}")
    return result


def test_release_cycle_without_tags(repo, tmp_path):
    assert FIXTURE_VERSION == "0.1.0"  # every version below follows from the fixture's own, never the repository's
    first = _cut(repo)  # the first release takes the version datapackage.yaml holds
    manifest = json.loads(first.manifest.read_text())
    files = _tree(first.path)
    assert first.version == manifest["version"] == "0.1.0" and first.path == repo / "build" / "0.1.0"
    assert manifest["commit"] == git(repo, "rev-parse", "HEAD~1").strip()  # the commit the release was cut from
    assert {p: e["sha256"] for p, e in manifest["files"].items()} == {p: hashlib.sha256(b).hexdigest() for p, b in files.items()}
    desc = json.loads(files["datapackage.json"])
    assert desc["version"] == "0.1.0" and "pakafg:development" not in desc and desc["created"] == manifest["created"]
    assert files["CHANGELOG.md"].decode().startswith("# 0.1.0 — ") and "First release." in files["CHANGELOG.md"].decode()
    assert f'version: 0.1.0\ndate-released: "{manifest["created"][:10]}"\n' in (repo / "CITATION.cff").read_text()

    # the same data builds as that release, byte for byte, on a fresh clone too (build/ is not tracked)
    assert build(repo).unchanged
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    assert _tree(build(clone).path) == files and build(clone).path == clone / "build" / "0.1.0"

    # a contributor adds a record, touching neither the version nor anything else: a development build
    (repo / "tables/places/quetta.yaml").write_text(QUETTA)
    commit(repo, "add Quetta")
    dev = build(repo)
    assert dev.development and dev.path == repo / "build" / "dev" and dev.version.startswith("0.1.1-dev+")
    desc = json.loads((dev.path / "datapackage.json").read_text())
    assert desc["version"] == dev.version and desc["pakafg:development"] is True
    assert _tree(repo / "build" / "0.1.0") == files  # the release is never overwritten
    out = CliRunner().invoke(cli, ["build", "--root", str(repo)])
    assert out.exit_code == 0 and "development build 0.1.1-dev+" in out.output

    # `pakafg diff` with no ref compares with the latest release's commit; it names the next version
    out = CliRunner().invoke(cli, ["diff", "--root", str(repo)])
    assert out.exit_code == 0 and out.output.startswith("release 0.1.0 -> working tree\n"), out.output
    assert "+ quetta" in out.output and "the next release will be 0.2.0" in out.output

    with pytest.raises(PakafgError, match="smaller than these changes need"):
        release(repo, "patch")
    second = _cut(repo)
    assert second.version == "0.2.0" and second.diff.required_bump == "minor"
    assert "version: 0.2.0\n" in (repo / "datapackage.yaml").read_text()
    changelog = (repo / "CHANGELOG.md").read_text()
    assert changelog.index("## 0.2.0 — ") < changelog.index("## 0.1.0 — ")
    assert "**places** added: `quetta`" in changelog and "released as 0.2.0" in changelog
    assert (second.path / "CHANGELOG.md").read_text().startswith("# 0.2.0 — ")
    assert _tree(repo / "build" / "0.1.0") == files
    assert build(repo).path == repo / "build" / "0.2.0"  # released data again: the release, not a development build

    with pytest.raises(PakafgError, match="nothing to release"):
        release(repo)
    edit(repo / "tables/places/quetta.yaml", "name: Quetta", "name: Quetta City")
    with pytest.raises(PakafgError, match="commit your changes first"):
        release(repo)
    commit(repo, "rename")
    assert _cut(repo, "major").version == "1.0.0"  # a maintainer may bump more than needed
    assert git(repo, "tag") == ""  # no step needed a tag


def test_changelog_entries_are_prepended_once_per_version(tmp_path):
    prepend_changelog(tmp_path, "## 0.1.0 — 2026-01-01\n\nFirst release.\n")
    prepend_changelog(tmp_path, "## 0.2.0 — 2026-02-01\n\nDraft.\n")
    prepend_changelog(tmp_path, "## 0.2.0 — 2026-02-02\n\nFinal.\n")  # a re-run after an interrupted release
    text = (tmp_path / "CHANGELOG.md").read_text()
    assert text.count("## 0.2.0") == 1 and "Draft." not in text
    assert text.index("## 0.2.0 — 2026-02-02") < text.index("## 0.1.0 — 2026-01-01")
    assert changelog_section(tmp_path, "0.1.0") == "# 0.1.0 — 2026-01-01\n\nFirst release.\n"
    assert changelog_section(tmp_path, "0.3.0") is None


def test_diff_of_a_package_in_a_subfolder_of_the_repository(tmp_path):
    mono = tmp_path / "mono"
    package = make_package(mono / "data")
    git(mono, "init", "-q", "-b", "main")
    commit(mono, "data in a subfolder")
    (package / "tables/places/quetta.yaml").write_text(QUETTA)
    d = diff(package, "HEAD")
    assert [t.added for t in d.tables if t.table == "places"] == [[("quetta",)]]
