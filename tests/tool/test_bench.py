"""The benchmark's corpus generator makes valid, deterministic packages (timing itself lives in `pakafg bench run`)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pakafg import build, validate
from pakafg.read import yaml as strict_yaml
from pakafg.bench import edit_one_record, generate, plan
from pakafg.cli import cli


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generated_corpus_validates_and_builds(tmp_path):
    counts = generate(tmp_path / "pkg", 200, seed=3)
    result = validate(tmp_path / "pkg", fast=False)
    assert result.valid, "\n".join(i.format() for i in result.report.issues[:20])
    rows = result.row_counts
    assert rows["claims"] == counts.claims and rows["events"] == counts.events and rows["sources"] == counts.sources
    assert sum(rows[t] for t in ("sources", "actors", "places", "events", "claims")) == counts.records
    for child in ("actor_aliases", "event_actors", "claim_links", "citations"):
        assert rows[child] > 0, child
    assert len(result.located.spans) == rows["citations"]  # every quote found
    claims = result.tables["claims"]
    assert any(v is not None or low is not None for v, low in zip(claims.column("value"), claims.column("value_low")))
    release = build(tmp_path / "pkg", out=tmp_path / "out")
    assert release.row_counts["claims"] == counts.claims


def test_generator_is_deterministic_from_its_seed(tmp_path):
    generate(tmp_path / "a", 150, seed=7)
    generate(tmp_path / "b", 150, seed=7)
    generate(tmp_path / "c", 150, seed=8)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert _tree(tmp_path / "a") != _tree(tmp_path / "c")


def test_provenance_shape_claims_over_sources():
    counts = plan(11_000, sources=1_000, claims=10_000)
    assert (counts.claims, counts.sources) == (10_000, 1_000)


def test_one_record_edit_keeps_the_corpus_valid_and_changes_one_file(tmp_path):
    root = tmp_path / "pkg"
    generate(root, 120, seed=1)
    before = _tree(root)
    changed = edit_one_record(root)
    after = _tree(root)
    assert [p for p in after if after[p] != before.get(p)] == [changed.relative_to(root).as_posix()]
    assert validate(root, fast=False).valid


def test_cli_generate(tmp_path):
    out = CliRunner().invoke(cli, ["bench", "generate", "--records", "100", "--seed", "2", str(tmp_path / "g")])
    assert out.exit_code == 0, out.output
    assert "100 records" in out.output
    assert validate(tmp_path / "g", fast=False).valid


def test_yaml_parsing_uses_libyaml():
    assert strict_yaml.C_ACCELERATED, "PyYAML without libyaml: parsing is ~13x slower"
