"""The coverage page is generated from the records and kept fresh."""

from __future__ import annotations

from click.testing import CliRunner

from pakafg.cli import cli
from pakafg.coverage import PAGE, coverage_markdown
from pakafg.validate import validate

from conftest import REPO


def test_committed_coverage_page_is_fresh():
    out = CliRunner().invoke(cli, ["coverage", "--check", "--root", str(REPO)])
    assert out.exit_code == 0, out.output + "\nrun `pakafg coverage` and commit docs/coverage.md"


def test_coverage_counts_and_lists_denials(package):
    page = coverage_markdown(validate(package))
    assert "| `fp` | F.P. Report | 2025-03-01 (month) | 2 | 4 | 2 | 2 |" in page
    assert "| denies | `fp-afghan-officials-deny` (fp) | Afghan officials deny the allegation |" in page


def test_coverage_check_fails_when_stale(package):
    (package / PAGE).parent.mkdir(parents=True, exist_ok=True)
    (package / PAGE).write_text("# stale\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["coverage", "--check", "--root", str(package)])
    assert out.exit_code == 1
    assert "out of date: docs/coverage.md" in out.output
