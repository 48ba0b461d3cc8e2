"""The coverage page is generated from the records and kept fresh."""

from __future__ import annotations

from click.testing import CliRunner

from pakafg.cli import cli
from pakafg.coverage import PAGE, coverage_markdown

from conftest import published


def test_coverage_counts_and_lists_denials(package):
    import pyarrow as pa

    from pakafg.schemas import load_package_spec

    page = coverage_markdown(load_package_spec(package), {name: pa.Table.from_pylist(rows) for name, rows in published(package).items()})
    assert "| `fp` | F.P. Report | 2025-03-01 (month) | 2 | 4 | 2 | 2 |" in page
    assert "| denies | `fp-afghan-officials-deny` (fp) | Afghan officials deny the allegation |" in page


def test_coverage_check_fails_when_stale(package):
    (package / PAGE).parent.mkdir(parents=True, exist_ok=True)
    (package / PAGE).write_text("# stale\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["generate", "--check", "--root", str(package)])
    assert out.exit_code == 1
    assert "out of date: docs/coverage.md" in out.output


def test_coverage_page_waits_for_valid_records(package):
    (package / "tables/actors/pakistan.yaml").write_text("actor_id: pakistan\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["generate", "--root", str(package)])
    assert out.exit_code == 1 and "not generated: docs/coverage.md" in out.output
    assert (package / "docs/data-dictionary.md").is_file()  # the others are written all the same
