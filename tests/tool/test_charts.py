"""charts/ in every release: timeline and who-claims-what, SVG + PNG, deterministic bytes, from the tables."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pakafg import build
from pakafg.bench import generate
from pakafg.export import charts
from pakafg.export.datapackage import sha256_file
from pakafg.schemas import load_package_spec

from conftest import edit, make_package

FILES = ["charts/claims-by-claimant.png", "charts/claims-by-claimant.svg", "charts/timeline.png", "charts/timeline.svg"]


def _tables(release: Path, spec) -> dict:
    return {name: pq.read_table(release / "parquet" / f"{name}.parquet") for name in spec.tables}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = make_package(tmp_path_factory.mktemp("charts") / "pkg")
    return root, build(root)


def test_charts_are_in_the_release_with_checksums(release):
    _, result = release
    for relative in FILES:
        assert relative in result.files
        assert (result.path / relative).stat().st_size > 1000
    sums = dict(line.split("  ")[::-1] for line in (result.path / "SHA256SUMS").read_text().splitlines())
    listed = {f["path"]: f for f in json.loads((result.path / "datapackage.json").read_text())["pakafg:files"]}
    for relative in FILES:
        digest = sha256_file(result.path / relative)
        assert sums[relative] == digest
        assert listed[relative]["hash"] == f"sha256:{digest}"
        assert listed[relative]["mediatype"] == {"svg": "image/svg+xml", "png": "image/png"}[relative.rsplit(".", 1)[1]]
    assert (result.path / "charts/timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (result.path / "charts/timeline.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg and "<dc:date>" not in svg


def test_two_renders_are_byte_identical(release, tmp_path):
    root, result = release
    spec = load_package_spec(root)
    tables = _tables(result.path, spec)
    first = charts.write(spec, tables, tmp_path / "a")
    second = charts.write(spec, tables, tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
        assert a.read_bytes() == (result.path / "charts" / a.name).read_bytes()  # and the same as the build's


def test_two_builds_give_the_same_charts(tmp_path):
    a, b = build(make_package(tmp_path / "a")), build(make_package(tmp_path / "b"))
    for relative in FILES:
        assert (a.path / relative).read_bytes() == (b.path / relative).read_bytes(), relative


def test_a_change_in_the_data_changes_the_chart(release, tmp_path):
    _, before = release
    root = make_package(tmp_path / "pkg")
    edit(root / "tables/events/train-hijacking.yaml", "event_type: ASSAULT", "event_type: COERCE")
    after = build(root)
    assert (after.path / "charts/timeline.svg").read_bytes() != (before.path / "charts/timeline.svg").read_bytes()
    assert (after.path / "charts/timeline.png").read_bytes() != (before.path / "charts/timeline.png").read_bytes()
    for relative in ("charts/claims-by-claimant.svg", "charts/claims-by-claimant.png"):  # claims did not change
        assert (after.path / relative).read_bytes() == (before.path / relative).read_bytes()
    claimants = (after.path / "charts/claims-by-claimant.svg").read_bytes()
    edit(root / "tables/claims/fp.yaml", "speech_act: accuses", "speech_act: alleges")
    again = build(root)  # into the same folder
    assert (again.path / "charts/claims-by-claimant.svg").read_bytes() != claimants


def test_timeline_data_is_honest_about_dates_and_disagreement(tmp_path):
    root = make_package(tmp_path / "pkg")
    edit(root / "tables/events/deportation-campaign.yaml", "date_start: 2023-11-01\ndate_precision: month\n", "")
    text = (root / "tables/claims/fp.yaml").read_text(encoding="utf-8")  # the denial is now about the hijacking
    (root / "tables/claims/fp.yaml").write_text(text.replace(
        "  speech_act: denies\n", "  speech_act: denies\n  event_id: train-hijacking\n"), encoding="utf-8")
    result = build(root)
    spec = load_package_spec(root)
    data = charts.timeline_data(spec, _tables(result.path, spec))
    assert data["undated"] == {"COERCE": 1}  # counted, not placed at a made-up date
    assert data["dated"] == [["ASSAULT", "2025-03-01", "2025-03-31", "month", True]]  # a month-precise range, disputed
    assert data["types"] == ["COERCE", "ASSAULT"]  # schema order


def test_claimant_data_ranks_and_sums_the_rest(release):
    root, result = release
    spec = load_package_spec(root)
    data = charts.claimant_data(spec, _tables(result.path, spec), top=1)
    assert data["claims"] == sum(sum(r[2]) for r in data["rows"]) + sum(data["other"]["counts"])
    assert data["rows"][0][1] == "fp" and sum(data["rows"][0][2]) == 2  # the outlet, with most claims
    assert data["speech_acts"] == [a for a in spec.tables["claims"].field("speech_act")["constraints"]["enum"]
                                   if a in {"reports", "accuses", "denies"}]


def test_chart_drawn_from_the_same_data_is_reused_only_when_its_checksum_holds(tmp_path, monkeypatch):
    monkeypatch.setenv("PAKAFG_NO_CACHE", "1")  # full builds: the release is written again each time
    root = make_package(tmp_path / "pkg")
    first = build(root)
    good = (first.path / "charts/timeline.png").read_bytes()
    (first.path / "charts/timeline.png").write_bytes(good[:-10] + b"tampered!!")  # SHA256SUMS no longer vouches for it
    edit(root / "tables/claims/fp.yaml", "The hijacking killed more than sixty people.", "The hijacking killed over sixty people.")
    second = build(root)
    assert (second.path / "charts/timeline.png").read_bytes() == good


def test_the_bundled_font_is_used():
    from matplotlib import font_manager, get_data_path

    assert Path(font_manager.findfont("DejaVu Sans")).is_relative_to(Path(get_data_path()))


def test_a_large_timeline_is_aggregated_and_stays_small(tmp_path):
    """Above DETAILED_MAX_EVENTS dated events the timeline counts per type and month: its size does not grow with them."""
    corpus = tmp_path / "corpus"
    generate(corpus, 3000)
    spec = load_package_spec(corpus)
    result = build(corpus)
    data = charts.timeline_data(spec, _tables(result.path, spec))
    assert len(data["dated"]) > charts.DETAILED_MAX_EVENTS
    assert any(d[4] for d in data["dated"])  # the corpus has contradicting claims about events
    sizes = {relative: (result.path / relative).stat().st_size for relative in FILES}
    assert sizes["charts/timeline.svg"] < 400_000, sizes
    out = tmp_path / "again"
    paths = charts.write(spec, _tables(result.path, spec), out)
    assert all(p.read_bytes() == (result.path / "charts" / p.name).read_bytes() for p in paths)
    shutil.rmtree(out)


def test_empty_and_undated_packages_still_draw(release, tmp_path):
    import pyarrow.compute as pc

    root, result = release
    spec = load_package_spec(root)
    tables = _tables(result.path, spec)
    empty = charts.write(spec, {n: t.slice(0, 0) for n, t in tables.items()}, tmp_path / "empty")
    undated = {**tables, "events": tables["events"].filter(pc.is_null(tables["events"]["date_start"]))}
    assert charts.timeline_data(spec, undated)["dated"] == []
    drawn = charts.write(spec, undated, tmp_path / "undated")
    assert [p.name for p in empty] == [p.name for p in drawn] == [Path(f).name for f in sorted(FILES, key=lambda f: (
        "claims" in f, f.endswith(".png")))]
