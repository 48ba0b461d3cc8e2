"""The `pakafg` command: thin commands over the library (sqlite-utils style).

Each command parses its options, calls one library function, renders the
result and sets the exit code: 0 success, 1 invalid data, 2 usage or
environment error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .issues import InvalidPackage, Issue, PakafgError

EXIT_INVALID = 1
EXIT_USAGE = 2

root_option = click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
                           help="Repository root (the folder holding datapackage.yaml).")
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default=None,
                             help="How to print problems: text (default), json, or github annotations "
                                  "(default when GITHUB_ACTIONS=true).")
max_option = click.option("--max-errors", type=int, default=200, show_default=True,
                          help="Print at most this many problems in text mode (all are counted).")


def _fmt(fmt: str | None) -> str:
    if fmt:
        return fmt
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _github(issue: Issue) -> str:
    props = [f"file={issue.path}"] if issue.path else []
    if issue.line:
        props.append(f"line={issue.line}")
    if issue.column:
        props.append(f"col={issue.column}")
    props.append(f"title={issue.code}")
    text = issue.format().replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{issue.severity} {','.join(props)}::{text}"


def render_issues(issues: list[Issue], fmt: str, max_errors: int) -> None:
    """Print problems to stderr (text, github) or stdout (json)."""
    if fmt == "json":
        click.echo(json.dumps([i.to_dict() for i in issues], ensure_ascii=False, indent=2))
        return
    shown = issues if fmt == "github" else issues[:max_errors]
    for issue in shown:
        click.echo(_github(issue) if fmt == "github" else issue.format(), err=True)
    if len(shown) < len(issues):
        click.echo(f"… and {len(issues) - len(shown)} more (use --max-errors or --format json)", err=True)
    errors = sum(i.severity == "error" for i in issues)
    warnings = len(issues) - errors
    if issues:
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pakafg")
def cli() -> None:
    """Validate, build and release the Pakistan–Afghanistan relations data package."""


@cli.command()
@root_option
@format_option
@max_option
def validate(root: Path, fmt: str | None, max_errors: int) -> None:
    """Check every record: types, enums, keys, cross-field rules, provenance.

    Prints every problem as `path:line:col: table.field: message (hint) [code]`
    and exits 1 if there is any error.

    Example: pakafg validate --format github
    """
    from .validate import validate as run

    try:
        result = run(root)
    except PakafgError as exc:
        _fail(exc)
    fmt = _fmt(fmt)
    render_issues(result.report.issues, fmt, max_errors)
    if fmt == "text" and result.valid:
        counts = ", ".join(f"{n} {t}" for t, n in ((t, len(r)) for t, r in result.collection.rows.items()))
        click.echo(f"valid: {counts}")
    sys.exit(0 if result.valid else EXIT_INVALID)


@cli.command()
@root_option
@format_option
@max_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: <root>/build).")
def build(root: Path, fmt: str | None, max_errors: int, out: Path | None) -> None:
    """Validate, then write build/<version>/ (CSV, Parquet, datapackage.json).

    The release is written to a staging folder and moved into place only when
    complete; on any error the previous output is left untouched.

    Example: pakafg build
    """
    from .build import build as run

    fmt = _fmt(fmt)
    try:
        result = run(root, out)
    except InvalidPackage as exc:
        render_issues(exc.issues, fmt, max_errors)
        click.echo("build refused: fix the errors above; previous output left untouched", err=True)
        sys.exit(EXIT_INVALID)
    except PakafgError as exc:
        _fail(exc)
    if fmt == "json":
        click.echo(json.dumps({"path": str(result.path), "version": result.version, "unchanged": result.unchanged,
                               "tables": result.row_counts, "files": result.files}, indent=2))
        return
    state = "unchanged (same bytes as before)" if result.unchanged else "written"
    click.echo(f"release {result.version} {state}: {result.path}")
    for table, n in result.row_counts.items():
        click.echo(f"  {table:<15} {n:>7} rows   csv/{table}.csv  parquet/{table}.parquet")
    click.echo(f"  {len(result.files)} files, checksums in {result.path / 'SHA256SUMS'}")
