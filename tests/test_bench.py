"""The benchmark's corpus generator makes valid, deterministic packages (timing itself lives in `pakafg bench run`)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pakafg import build, load, validate
from pakafg.bench import edit_one_record, generate, plan
from pakafg.bench_run import render
from pakafg.cli import cli


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generated_corpus_validates_and_builds(tmp_path):
    counts = generate(tmp_path / "pkg", 200, seed=3)
    result = validate(tmp_path / "pkg", cache=False)
    assert result.valid, "\n".join(i.format() for i in result.report.issues[:20])
    rows = {t: len(r) for t, r in result.collection.rows.items()}
    assert rows["claims"] == counts.claims and rows["events"] == counts.events and rows["sources"] == counts.sources
    assert sum(rows[t] for t in ("sources", "actors", "places", "events", "claims")) == counts.records
    for child in ("actor_aliases", "event_actors", "claim_links", "citations"):
        assert rows[child] > 0, child
    assert all(r.cells["start"] is not None for r in result.collection.rows["citations"])  # every quote found
    assert any(r.cells["value"] is not None or r.cells["value_low"] is not None for r in result.collection.rows["claims"])
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
    assert validate(root, cache=False).valid


def test_cli_generate(tmp_path):
    out = CliRunner().invoke(cli, ["bench", "generate", "--records", "100", "--seed", "2", str(tmp_path / "g")])
    assert out.exit_code == 0, out.output
    assert "100 records" in out.output
    assert validate(tmp_path / "g", cache=False).valid


def test_yaml_parsing_uses_libyaml():
    assert load.C_ACCELERATED, "PyYAML without libyaml: parsing is ~13x slower"


def test_results_table_renders_every_measured_size():
    step = {"seconds": 1.0, "wall_seconds": 0.6, "wall": 2.0, "rss_mib": 100.0}
    size = lambda n: {"records": n, "floor": {**step, "seconds": 0.5, "files": n // 3, "parser": "p"},  # noqa: E731
                      "peer": {**step, "seconds": 8.0, "parse_seconds": 5, "pandas_csv_seconds": 1, "frictionless_seconds": 2,
                               "valid": True, "errors": 0},
                      "validate_cold": step, "build_cold": step, "build_warm": step, "rebuild_one_edit": {**step, "edited": 1},
                      "rebuild_one_edit_full": step, "stages": {"stages": {"read": 0.5}}}
    text = render({"machine": {"nproc": 2, "free -g": "Mem: 23", "platform": "x", "python": "3.11",
                               "versions": {"pandas": "3"}}, "date": "d", "seed": 0, "sizes": [size(1000), size(10000)]})
    assert "| 1,000 | 333 | 0.50 | 8.00 |" in text and "| 10,000 |" in text
    assert "| 2.00 | 8.00 | 1.00 | 1.00 |" in text  # build/floor and peer/build, by CPU then by wall clock
    assert "(incremental: 1,000: 1 file read; 10,000: 1 file read)" in text
    built = {**step, "workers_rss_mib": 300.0, "jobs": 2}
    text = render({"machine": {"nproc": 2, "free -g": "Mem: 23", "platform": "x", "python": "3.11", "versions": {}},
                   "date": "d", "seed": 0, "sizes": [{**size(1000), "build_cold": built}]})
    assert "| 100 MiB + 2 x 300 MiB |" in text
    assert "| peak memory < 1 GiB (the command and its reading workers) | 700 MiB | yes |" in text  # no PSS: RSS upper bound
    sampled = render({"machine": {"nproc": 2, "free -g": "Mem: 23", "platform": "x", "python": "3.11", "versions": {}},
                      "date": "d", "seed": 0, "sizes": [{**size(1000), "build_cold": {**built, "pss_mib": 450.0}}]})
    assert "| 100 MiB + 2 x 300 MiB (PSS 450 MiB) |" in sampled
    assert "| peak memory < 1 GiB (the command and its reading workers) | 450 MiB | yes |" in sampled
    assert "| cold build <= 2x the floor (wall) | 1.00x | yes |" in text and "| cold build <= 2x the floor (CPU) | 2.00x | yes |" in text


def test_cyclic_gc_is_paused_during_a_run_and_restored_after(package):
    import gc

    import pytest

    from pakafg.perf import paused_gc

    seen = []

    @paused_gc
    def inner():
        seen.append(gc.isenabled())

    @paused_gc
    def failing():
        inner()  # nested: still paused, and the outer call restores
        seen.append(gc.isenabled())
        raise ValueError("boom")

    with pytest.raises(ValueError):
        failing()
    assert seen == [False, False] and gc.isenabled()
    assert validate(package).valid and gc.isenabled()
