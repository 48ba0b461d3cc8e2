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


def _refuse(exc: InvalidPackage, what: str, fmt: str = "text", max_errors: int = 20, note: str = "") -> None:
    """Print a refused command's validation errors and exit 1."""
    render_issues(exc.issues, fmt, max_errors)
    click.echo(f"{what} refused: fix the errors above{note}", err=True)
    sys.exit(EXIT_INVALID)


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_USAGE)


def _interactive() -> bool:
    """Progress output only for a person at a terminal: never in CI or when stderr is piped."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def _busy(message: str):
    """A rich spinner on stderr while a long step runs (a no-op when not interactive)."""
    import contextlib

    if not _interactive():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


def _track(items, description: str):
    """A rich progress bar over `items` on stderr (plain iteration when not interactive)."""
    if not _interactive():
        return items
    from rich.console import Console
    from rich.progress import track

    return track(items, description=description, console=Console(stderr=True), transient=True)


def _sync_generated(root: Path, files_of, check: bool, command: str) -> None:
    """Shared body of the commands that regenerate committed files (schemas, dictionary, coverage).

    `files_of()` returns {relative path: text}; with --check nothing is written
    and stale files make the command exit 1.
    """
    from .schemas import sync_files

    try:
        stale = sync_files(root, files_of(), check=check)
    except PakafgError as exc:
        _fail(exc)
    for rel in stale:
        click.echo(f"{'out of date' if check else 'wrote'}: {rel}", err=check)
    if check and stale:
        click.echo(f"run `pakafg {command}` and commit the result", err=True)
        sys.exit(EXIT_INVALID)
    if not stale:
        click.echo("generated files up to date")


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
        with _busy("validating records…"):
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
    """Validate, then write build/<version>/ (CSV, Parquet, SQLite, datapackage.json).

    The release is written to a staging folder and moved into place only when
    complete; on any error the previous output is left untouched.

    Example: pakafg build
    """
    from .build import build as run
    from .release import ReleasedVersionChanged

    fmt = _fmt(fmt)
    try:
        with _busy("validating and building…"):
            result = run(root, out)
    except InvalidPackage as exc:
        _refuse(exc, "build", fmt, max_errors, note="; previous output left untouched")
    except ReleasedVersionChanged as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    except PakafgError as exc:
        _fail(exc)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if fmt == "json":
        click.echo(json.dumps({"path": str(result.path), "version": result.version, "unchanged": result.unchanged,
                               "tables": result.row_counts, "files": result.files, "notes": result.notes,
                               "edited": result.edited}, indent=2))
        return
    state = "unchanged (same bytes as before)" if result.unchanged else "written"
    click.echo(f"release {result.version} {state}: {result.path}")
    if result.edited:
        click.echo(f"  incremental: {len(result.edited)} edited record file(s) read and checked; the rest as the last build proved it")
    for table, n in result.row_counts.items():
        click.echo(f"  {table:<15} {n:>7} rows   csv/{table}.csv  parquet/{table}.parquet")
    for database in (f for f in result.files if f.endswith(".sqlite")):
        click.echo(f"  {database} (every table, with keys and foreign keys)")
    click.echo(f"  {len(result.files)} files, checksums in {result.path / 'SHA256SUMS'}")


@cli.command("new")
@click.argument("table")
@click.option("--id", "record_id", default=None, help="ID of the new record (lowercase words joined by hyphens).")
@click.option("--source", "source_id", default=None, help="For claims: the source they are read from.")
@root_option
def new(table: str, record_id: str | None, source_id: str | None, root: Path) -> None:
    """Write a new record skeleton: every field, with its description and allowed values.

    Refuses to overwrite a file or to reuse an ID. A claim is appended to
    tables/claims/<source>.yaml. Fill in the values, then run `pakafg validate`.

    Example: pakafg new events --id dar-kabul-visit
    """
    from .scaffold import scaffold
    from .schemas import load_package_spec

    if record_id is None and sys.stdin.isatty():
        record_id = click.prompt("ID (lowercase words joined by hyphens)")
    if record_id is None:
        click.echo("error: give the new record's ID with --id", err=True)
        sys.exit(EXIT_USAGE)
    try:
        spec = load_package_spec(root)
        path = scaffold(spec, table, record_id, source_id)
    except PakafgError as exc:
        _fail(exc)
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    click.echo(f"wrote {shown}: fill in the values (lines starting with #| are help), then run `pakafg validate`")


@cli.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing the files that are not canonical.")
@root_option
@format_option
@max_option
def fmt_command(paths: tuple[Path, ...], check: bool, root: Path, fmt: str | None, max_errors: int) -> None:
    """Rewrite record files in canonical form (key order from the schemas, quoting, header line).

    Without PATHS, every record file. Comments other than the header and `#|`
    help lines are never dropped silently: such a file is left unchanged and
    reported. Exit 1 when a file could not be formatted, or with --check when
    any file is not canonical.

    Example: pakafg fmt --check
    """
    from .fmt import check_issues, format_files
    from .schemas import load_package_spec

    try:
        spec = load_package_spec(root)
        results = format_files(spec, list(paths) or None, write=not check, progress=lambda items: _track(items, "formatting"))
    except PakafgError as exc:
        _fail(exc)
    fmt = _fmt(fmt)
    if check:
        issues = check_issues(results)
    else:
        issues = sorted((i for r in results for i in r.issues), key=Issue.sort_key)
    render_issues(issues, fmt, max_errors)
    if fmt == "text":
        changed = [r.path for r in results if r.changed]
        if not check:
            for path in changed:
                click.echo(f"formatted {path}")
        verb = "would change" if check else "changed"
        click.echo(f"{len(results)} file(s) checked, {len(changed)} {verb}", err=bool(issues))
    sys.exit(EXIT_INVALID if issues else 0)


@cli.command("schemas")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing generated files that are out of date.")
@root_option
def schemas_command(check: bool, root: Path) -> None:
    """Generate the JSON Schema of each record type into docs/json-schema/ (for editors).

    They are derived from schemas/ and must never be edited by hand; CI runs
    `pakafg schemas --check`.

    Example: pakafg schemas
    """
    from .schemas import json_schema_files, load_package_spec

    _sync_generated(root, lambda: json_schema_files(load_package_spec(root)), check, "schemas")


@cli.command("coverage")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if docs/coverage.md is out of date.")
@root_option
def coverage_command(check: bool, root: Path) -> None:
    """Write docs/coverage.md: records per source and every linked disagreement.

    Example: pakafg coverage --check
    """
    from .coverage import PAGE, coverage_markdown
    from .validate import validate as run

    def page() -> dict[str, str]:
        result = run(root)
        if not result.valid:
            render_issues(result.report.issues, "text", 20)
            sys.exit(EXIT_INVALID)
        return {PAGE: coverage_markdown(result)}

    _sync_generated(root, page, check, "coverage")


@cli.command("diff")
@click.argument("ref")
@root_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="text, json (machine-readable) or markdown (CI job summary).")
@click.option("--check/--no-check", default=True, show_default=True,
              help="Exit 1 when the version bump in datapackage.yaml is smaller than the changes require.")
def diff_command(ref: str, root: Path, fmt: str, check: bool) -> None:
    """Compare the data at git REF with the working tree: records, fields, schemas, required bump.

    REF is extracted with `git archive` (the working tree is untouched); both
    sides are validated and compared by primary key. Field added/removed/
    renamed/retyped = major; records added = minor; records corrected = patch.

    Example: pakafg diff v0.1.0 --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from .release import diff, render_markdown, render_text

    try:
        result = diff(root, ref)
    except InvalidPackage as exc:
        _refuse(exc, "diff")
    except PakafgError as exc:
        _fail(exc)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        click.echo(render_markdown(result), nl=False)
    else:
        click.echo(render_text(result), nl=False)
    sys.exit(EXIT_INVALID if check and not result.bump_ok else 0)


@cli.command("release")
@root_option
@click.option("--base", default=None, help="Git ref of the previous release (default: tag v<newest released version>).")
def release_command(root: Path, base: str | None) -> None:
    """Freeze the version in datapackage.yaml: build, CHANGELOG.md entry, releases/<version>.json.

    Refuses when the inputs are not committed, the version is already released
    or its bump is smaller than the changes since the previous release require.
    Afterwards `pakafg build` refuses to change that version's content.

    Example: pakafg release
    """
    from .release import release

    try:
        result = release(root, base)
    except InvalidPackage as exc:
        _refuse(exc, "release")
    except PakafgError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(f"released {result.version}: {result.path}")
    click.echo(f"  manifest  {result.manifest}")
    click.echo(f"  changelog {result.changelog}")
    click.echo("now commit and tag it:")
    click.echo(f"  {result.tag_command}")


@cli.command("dictionary")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if docs/data-dictionary.md is out of date.")
@root_option
def dictionary_command(check: bool, root: Path) -> None:
    """Write docs/data-dictionary.md from schemas/: every table, field, type, rule and enum value.

    Example: pakafg dictionary --check
    """
    from .dictionary import DICTIONARY_FILE, generate

    _sync_generated(root, lambda: {DICTIONARY_FILE: generate(root)}, check, "dictionary")


# [explorer] `pakafg explore`: explorer.py does the work
@cli.command("explore")
@root_option
@click.option("--version", "version", default=None, help="Release to serve: build/<VERSION>/ (default: the version in datapackage.yaml).")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Port on 127.0.0.1.")
@click.option("--metadata", "print_metadata", is_flag=True,
              help="Print the generated datasette metadata as JSON and exit (usable with `datasette -m`; needs no datasette).")
def explore_command(root: Path, version: str | None, port: int, print_metadata: bool) -> None:
    """Browse a built release in datasette on http://127.0.0.1:PORT/ (descriptions, facets, search, saved queries).

    Needs the optional extra: pip install -e ".[explore]". Serves only on this
    machine (127.0.0.1), the database read-only. Saved queries: disagreements,
    timeline, denials.

    Example: pakafg explore --port 8001
    """
    from . import explorer
    from .schemas import load_package_spec

    try:
        spec = load_package_spec(root)
        if print_metadata:
            click.echo(json.dumps(explorer.datasette_metadata(spec, version), ensure_ascii=False, indent=2))
            return
        database = explorer.release_database(root, spec, version)
        explorer.serve(database, spec, port, version or database.parent.name, echo=lambda m: click.echo(m, err=True))
    except explorer.DatasetteMissing as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except PakafgError as exc:
        _fail(exc)
    except OSError as exc:  # the port is taken, say
        _fail(exc)


@cli.group("bench")
def bench_group() -> None:
    """Performance benchmark on generated corpora (see README "Performance").

    Example: pakafg bench run --sizes 1000,10000
    """


@bench_group.command("generate")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--records", type=click.IntRange(min=10), default=1000, show_default=True, help="How many records to generate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--sources", type=click.IntRange(min=1), default=None, help="Override the number of sources (e.g. 1000).")
@click.option("--claims", type=click.IntRange(min=1), default=None, help="Override the number of claims (e.g. 10000).")
def bench_generate(dest: Path, records: int, seed: int, sources: int | None, claims: int | None) -> None:
    """Write a valid synthetic package of N records into DEST (an empty or new folder).

    Example: pakafg bench generate --records 10000 /tmp/corpus-10k
    """
    from .bench import generate

    try:
        counts = generate(dest, records, seed=seed, sources=sources, claims=claims)
    except (FileExistsError, OSError) as exc:
        _fail(exc)
    click.echo(f"wrote {counts.records} records to {dest}: " + ", ".join(f"{v} {k}" for k, v in vars(counts).items()))


@bench_group.command("run")
@click.option("--sizes", default="1000,10000,100000", show_default=True, help="Comma-separated corpus sizes.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where corpora are generated (default: a folder in the system temp dir).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("benchmarks/RESULTS.md"), show_default=True,
              help="Markdown table to write (the raw numbers go beside it as .json).")
@click.option("--no-provenance", is_flag=True, help="Skip the quote-check scaling measurement.")
def bench_run(sizes: str, workdir: Path | None, seed: int, out: Path, no_provenance: bool) -> None:
    """Time floor, naive peer, validate, build cold/warm and rebuild-after-one-edit; write RESULTS.md.

    Example: pakafg bench run --sizes 1000,10000
    """
    from .bench_run import run

    try:
        numbers = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        _fail(click.BadParameter(f"--sizes must be integers, got {sizes!r}"))
    run(numbers, workdir=workdir, seed=seed, out=out, provenance=not no_provenance, log=lambda m: click.echo(m, err=True))
    click.echo(f"wrote {out}")
