"""The codebook travels with the data: README.md, LICENSE-DATA.md and CITATION.cff in the release, and `categories`
in datapackage.json. Expectations are read from the schemas, never a frozen list."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pakafg import build, load_package_spec
from pakafg.export.codebook import render_readme

from conftest import REPO, edit, make_package
from derived_package import make_derived_package

CODEBOOK = ("README.md", "LICENSE-DATA.md", "CITATION.cff")


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    package = make_derived_package(tmp_path_factory.mktemp("codebook") / "pkg")
    (package / "docs").mkdir()
    shutil.copy(REPO / "docs" / "records.md", package / "docs" / "records.md")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
        return build(package).path


def sections(readme: str) -> dict[str, str]:
    """The README's per-table sections, by table name."""
    parts = re.split(r"^### `([a-z0-9_]+)`\n", readme, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_readme_lists_every_table_field_type_and_code_with_its_meaning(release):
    spec = load_package_spec(release.parent.parent)
    readme = (release / "README.md").read_text(encoding="utf-8")
    found = sections(readme)
    assert list(found) == list(spec.tables)
    for table in spec.tables.values():
        text = found[table.name]
        for f in table.fields:
            assert re.search(rf"^\| `{re.escape(f['name'])}` \| {f['type']} \|", text, re.M), (table.name, f["name"])
            meanings = f.get("x-enum-descriptions") or {}
            for value in f.get("constraints", {}).get("enum", []):
                meaning = " ".join(str(meanings.get(value, "")).split()).replace("|", "\\|")
                assert f"| `{value}` | {meaning} |" in text, (table.name, f["name"], value)
        description = " ".join(table.descriptor["description"].split())
        assert description in text
        assert ("**Derived table**" in text) == table.is_derived, table.name
        kind = "**derived**" if table.is_derived else ("list in records" if table.is_child else "records")
        assert f"| [`{table.name}`](#{table.name}) | {kind} | " in readme


def _version(release: Path) -> str:
    """The version this build carries (a development build's pre-release version for a fixture)."""
    return json.loads((release / "datapackage.json").read_text(encoding="utf-8"))["version"]


def test_readme_says_what_the_package_is_and_how_to_cite_it(release):
    spec = load_package_spec(release.parent.parent)
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {spec.metadata['title']}\n")
    assert f"Release **{_version(release)}** of `{spec.name}`, built 2026-01-01." in readme
    assert f"(2026). *{spec.metadata['title']}* (version {_version(release)}) [Data set]." in readme
    for licence in spec.metadata["licenses"]:
        assert f"- **{licence['name']}**" in readme


def test_citation_and_licence_travel_with_this_builds_version_and_date(release):
    citation = yaml.safe_load((release / "CITATION.cff").read_text(encoding="utf-8"))
    spec = load_package_spec(release.parent.parent)
    assert (str(citation["version"]), citation["date-released"]) == (_version(release), "2026-01-01")
    assert citation["title"] == spec.metadata["title"]
    assert (release / "LICENSE-DATA.md").read_bytes() == (REPO / "LICENSE-DATA.md").read_bytes()


def test_citation_follows_a_new_version(tmp_path, monkeypatch):
    package = make_derived_package(tmp_path / "pkg")
    edit(package / "datapackage.yaml", "version: 0.1.0", "version: 2.3.4")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    citation = yaml.safe_load((build(package).path / "CITATION.cff").read_text(encoding="utf-8"))
    assert str(citation["version"]).startswith("2.3.4-dev+") and citation["date-released"] == "2026-01-01"


def test_without_a_citation_file_one_is_made_from_the_metadata(tmp_path):
    release = build(make_package(tmp_path / "pkg")).path  # the fixture has no CITATION.cff, LICENSE-DATA.md or docs
    spec = load_package_spec(tmp_path / "pkg")
    citation = yaml.safe_load((release / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "dataset"
    assert (citation["title"], str(citation["version"])) == (spec.metadata["title"], _version(release))
    assert [a["name"] for a in citation["authors"]] == [c["title"] for c in spec.metadata["contributors"]]
    assert not (release / "LICENSE-DATA.md").exists()
    assert "## Coding rules" in (release / "README.md").read_text(encoding="utf-8")


def test_sha256sums_and_the_descriptor_cover_the_codebook(release):
    sums = dict(reversed(line.split("  ", 1)) for line in (release / "SHA256SUMS").read_text().splitlines())
    on_disk = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    assert sorted(sums) == on_disk
    for name in on_disk:
        assert sums[name] == hashlib.sha256((release / name).read_bytes()).hexdigest(), name
    listed = {f["path"]: f for f in json.loads((release / "datapackage.json").read_text())["pakafg:files"]}
    for name in CODEBOOK:
        assert name in sums
        data = (release / name).read_bytes()
        assert (listed[name]["bytes"], listed[name]["hash"]) == (len(data), "sha256:" + hashlib.sha256(data).hexdigest())
        assert data.decode("utf-8").endswith("\n") and b"\r" not in data


def test_codebook_bytes_depend_only_on_the_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first = build(make_derived_package(tmp_path / "a")).path
    second = build(make_derived_package(tmp_path / "b")).path
    for name in CODEBOOK:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_readme_shows_charts_written_before_it(release):
    """The hook for the charts: every charts/*.svg among the release files is shown, with its PNG twin linked."""
    spec = load_package_spec(release.parent.parent)
    files = ["charts/timeline.png", "charts/timeline.svg", "charts/who_claims_what.svg", "csv/claims.csv"]
    readme = render_readme(spec, {}, spec.version, None, files)
    assert "![timeline](charts/timeline.svg)" in readme and "([PNG](charts/timeline.png))" in readme
    assert "![who claims what](charts/who_claims_what.svg)" in readme
    assert "## Charts" not in render_readme(spec, {}, spec.version, None, ["csv/claims.csv"])


def test_every_code_in_the_schemas_has_a_meaning():
    """A code without a meaning could not be explained in the README or the descriptor's categories."""
    missing = [(t.name, f["name"], v) for t in load_package_spec(REPO).tables.values() for f in t.fields
               for v in f.get("constraints", {}).get("enum", []) if not (f.get("x-enum-descriptions") or {}).get(v)]
    assert not missing


# --- categories ------------------------------------------------------------------------------------------------------

def test_every_code_carries_its_meaning_in_the_descriptor(release):
    spec = load_package_spec(release.parent.parent)
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    enum_fields = 0
    for resource in descriptor["resources"]:
        table = spec.tables[resource["name"]]
        for published, f in zip(resource["schema"]["fields"], table.fields):
            enum = f.get("constraints", {}).get("enum")
            if not enum:
                assert "categories" not in published
                continue
            enum_fields += 1
            meanings = f.get("x-enum-descriptions") or {}
            # Data Package v2: a list of {value, label} objects, value required
            assert all(set(c) == {"value", "label"} and isinstance(c["label"], str) and c["label"] for c in published["categories"])
            assert [c["value"] for c in published["categories"]] == enum
            assert [c["label"] for c in published["categories"]] == [meanings.get(v) or v for v in enum]
            assert not any(k.startswith("x-") for k in published)
    assert enum_fields


def test_stock_frictionless_validates_the_descriptor_with_categories(release):
    proc = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(release / "datapackage.json")],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stdout)
    assert report["valid"], json.dumps(report["tasks"], indent=1)[:3000]
    assert proc.returncode == 0
    assert any("categories" in f for r in json.loads((release / "datapackage.json").read_text())["resources"]
               for f in r["schema"]["fields"])


def test_a_changed_rule_or_licence_reaches_the_next_build(tmp_path, monkeypatch):
    """The codebook's other inputs (docs/coding-rules.md, LICENSE-DATA.md, CITATION.cff) count as inputs of the build."""
    monkeypatch.delenv("PAKAFG_FAST", raising=False)
    package = make_derived_package(tmp_path / "pkg")
    (package / "docs").mkdir()
    (package / "docs" / "coding-rules.md").write_text("# Coding rules\n\n## 1. Rule one\n\nText.\n", encoding="utf-8")
    release = build(package).path
    assert "- 1. Rule one" in (release / "README.md").read_text(encoding="utf-8")
    assert (release / "CODING-RULES.md").read_bytes() == (package / "docs" / "coding-rules.md").read_bytes()
    edit(package / "docs" / "coding-rules.md", "## 1. Rule one", "## 1. Rule one, revised")
    edit(package / "LICENSE-DATA.md", "# Data licence", "# Data licence (revised)")
    again = build(package)
    assert not again.unchanged
    assert "- 1. Rule one, revised" in (again.path / "README.md").read_text(encoding="utf-8")
    assert (again.path / "LICENSE-DATA.md").read_bytes() == (package / "LICENSE-DATA.md").read_bytes()
