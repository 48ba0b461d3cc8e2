"""Versions and releases on real git repositories made in tmp_path: diff, bump rules, freezing, changelog."""

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
from pakafg.release import ReleasedVersionChanged, diff, parse_version, release, version_bump

from conftest import REPO, edit, make_package

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
    assert d.actual_bump == "none" and not d.bump_ok


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
    text = (repo / "schemas/events.yaml").read_text()
    start, end = text.index("  - name: date_phrase\n"), text.index("  - name: place_id\n")
    (repo / "schemas/events.yaml").write_text(text[:start] + text[end:])
    for path in (repo / "tables/events").glob("*.yaml"):
        lines = path.read_text().splitlines()
        path.write_text("\n".join(line for line in lines if not line.startswith("date_phrase:")) + "\n")


def _rename_field(repo):
    edit(repo / "schemas/events.yaml", "  - name: date_phrase\n", "  - name: date_words\n")
    for path in (repo / "tables/events").glob("*.yaml"):
        path.write_text(path.read_text().replace("date_phrase:", "date_words:"))


def _retype_field(repo):
    edit(repo / "schemas/citations.yaml", "  - name: start\n    type: integer", "  - name: start\n    type: number")


def _add_enum_value(repo):
    edit(repo / "schemas/places.yaml", "enum: [country, ", "enum: [continent, country, ")


@pytest.mark.parametrize("change,expected,bump", [
    (_add_field, [("places", "population", "field-added")], "major"),
    (_remove_field, [("events", "date_phrase", "field-removed")], "major"),
    (_rename_field, [("events", "date_phrase", "field-removed"), ("events", "date_words", "field-added")], "major"),
    (_retype_field, [("citations", "start", "field-retyped")], "major"),
    (_add_enum_value, [("places", "place_type", "constraints")], "minor"),
])
def test_schema_changes_and_their_bump(repo, change, expected, bump):
    change(repo)
    d = diff(repo, "HEAD")
    assert [(c.table, c.field, c.change) for c in d.schema] == expected
    assert d.required_bump == bump


def test_cli_diff_json_and_exit_code_follow_the_version(repo):
    (repo / "tables/places/quetta.yaml").write_text(QUETTA)
    runner = CliRunner()
    out = runner.invoke(cli, ["diff", "HEAD", "--root", str(repo), "--format", "json"])
    assert out.exit_code == 1, out.output
    data = json.loads(out.output)
    assert data["required_bump"] == "minor" and data["actual_bump"] == "none" and data["bump_ok"] is False
    assert data["tables"]["places"]["added"] == [{"place_id": "quetta"}]
    set_version(repo, "0.2.0")
    out = runner.invoke(cli, ["diff", "HEAD", "--root", str(repo)])
    assert out.exit_code == 0, out.output
    assert "  places: +1 -0 ~0\n    + quetta\n" in out.output
    assert out.output.endswith("required bump: minor\nversion 0.1.0 -> 0.2.0 (minor): ok\n")
    set_version(repo, "0.1.1")
    out = runner.invoke(cli, ["diff", "HEAD", "--root", str(repo), "--format", "markdown"])
    assert out.exit_code == 1
    assert "| places | 1 | 0 | 0 |" in out.output and "too small, this change needs a minor bump" in out.output
    assert runner.invoke(cli, ["diff", "HEAD", "--root", str(repo), "--no-check"]).exit_code == 0


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
    assert "Traceback" not in out.output


# --- releases -------------------------------------------------------------------------

def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_release_freezes_version_and_build_refuses_changed_content(repo, tmp_path):
    first = release(repo)
    manifest = json.loads(first.manifest.read_text())
    files = _tree(first.path)
    assert manifest["version"] == "0.1.0" and manifest["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert {p: e["sha256"] for p, e in manifest["files"].items()} == {p: hashlib.sha256(b).hexdigest() for p, b in files.items()}
    assert json.loads(files["datapackage.json"])["created"] == manifest["created"]
    changelog = (repo / "CHANGELOG.md").read_text()
    assert "## 0.1.0 — " in changelog and "First release." in changelog and "| places | 2 |" in changelog
    notes = files["CHANGELOG.md"].decode()  # the release ships its own entry, covered by SHA256SUMS
    assert notes.startswith("# 0.1.0 — ") and "| places | 2 |" in notes and "CHANGELOG.md" in manifest["files"]
    assert first.tag_command == ("git add releases/0.1.0.json CHANGELOG.md CITATION.cff && git commit -m 'Release 0.1.0' && "
                                 "git tag -a v0.1.0 -m 'pakafg 0.1.0'")
    assert f'version: 0.1.0\ndate-released: "{manifest["created"][:10]}"\n' in (repo / "CITATION.cff").read_text()
    commit(repo, "Release 0.1.0")
    git(repo, "tag", "-a", "v0.1.0", "-m", "pakafg 0.1.0")

    # a fresh clone (build/ is not tracked) rebuilds the released version byte for byte
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    assert _tree(build(clone).path) == files

    with pytest.raises(PakafgError, match="already released"):
        release(repo)

    edit(repo / "tables/events/train-hijacking.yaml", "title: Train hijacking in Balochistan", "title: Jaffar Express hijacking")
    with pytest.raises(ReleasedVersionChanged, match=r"version 0\.1\.0 is released .*csv/events\.csv.*bump the version"):
        build(repo)
    assert _tree(repo / "build" / "0.1.0") == files  # the released output is left untouched
    out = CliRunner().invoke(cli, ["build", "--root", str(repo)])
    assert out.exit_code == 1 and "bump the version in datapackage.yaml" in out.output

    set_version(repo, "0.1.1")
    with pytest.raises(PakafgError, match="commit your changes first"):
        release(repo)
    commit(repo, "fix a title")
    second = release(repo)
    assert second.diff is not None and second.diff.base_label == "v0.1.0" and second.diff.required_bump == "patch"
    changelog = (repo / "CHANGELOG.md").read_text()
    assert changelog.index("## 0.1.1 — ") < changelog.index("## 0.1.0 — ")
    assert "Changes since 0.1.0 (`v0.1.0`); required bump: patch" in changelog
    assert "**events** changed `train-hijacking`: title: 'Train hijacking in Balochistan' → 'Jaffar Express hijacking'" in changelog
    assert changelog.count("## 0.1.1 — ") == 1 and changelog.startswith("# Changelog\n")
    assert (second.path / "CHANGELOG.md").read_text().startswith("# 0.1.1 — ")
    assert (repo / "releases" / "0.1.1.json").is_file() and (repo / "build" / "0.1.0").is_dir()
    citation = (repo / "CITATION.cff").read_text()
    assert "version: 0.1.1\n" in citation and citation.count("date-released:") == 1


def test_release_refuses_a_bump_smaller_than_the_changes(repo):
    release(repo)
    commit(repo, "Release 0.1.0")
    git(repo, "tag", "-a", "v0.1.0", "-m", "pakafg 0.1.0")
    (repo / "tables/places/quetta.yaml").write_text(QUETTA)
    set_version(repo, "0.1.1")
    commit(repo, "add Quetta")
    out = CliRunner().invoke(cli, ["release", "--root", str(repo)])
    assert out.exit_code == 1
    assert "release refused: version 0.1.0 -> 0.1.1 (patch): too small, this change needs a minor bump" in out.output
    assert not (repo / "releases" / "0.1.1.json").exists()


def test_citation_and_licence_files():
    import yaml

    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    package = yaml.safe_load((REPO / "datapackage.yaml").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "dataset"
    assert citation["title"] == package["title"] and citation["authors"]
    assert parse_version(str(citation["version"])) <= parse_version(str(package["version"]))
    assert citation["license"] in [lic["name"] for lic in package["licenses"]]
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    data_licence = (REPO / "LICENSE-DATA.md").read_text()
    assert "CC-BY-4.0" in data_licence and "not part of the published package" in data_licence


def test_changelog_entries_are_prepended_once_per_version(tmp_path):
    from pakafg.release import changelog_section, prepend_changelog

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
