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
from .issues import InvalidPackage, Issue, PakafgError, printable

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


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    """A workflow command property value (a path may hold `,` or `:`, which would end or split it)."""
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(issue: Issue) -> str:
    shown = issue.printable()
    props = [f"file={_github_property(shown.path)}"] if shown.path else []
    if issue.line:
        props.append(f"line={issue.line}")
    if issue.column:
        props.append(f"col={issue.column}")
    props.append(f"title={_github_property(issue.code)}")
    return f"::{'error' if issue.severity == 'error' else 'warning'} {','.join(props)}::{_github_data(issue.format())}"


def _totals(issues: list[Issue]) -> tuple[int, int]:
    """(errors, warnings) found, counting those a `more-issues` line stands for."""
    errors = warnings = 0
    for issue in issues:
        n = issue.count if issue.code == "more-issues" and issue.count else 1
        if issue.severity == "error":
            errors += n
        else:
            warnings += n
    return errors, warnings


def render_issues(issues: list[Issue], fmt: str, max_errors: int) -> None:
    """Print problems to stderr (text, github) or stdout (json).

    Every text is escaped by `Issue.printable` (a control character, a newline or
    a file-name byte that is not UTF-8 never reaches the terminal or the JSON as it is),
    so each problem is one line and the JSON always parses.
    """
    if fmt == "json":
        click.echo(json.dumps([i.to_dict() for i in issues], ensure_ascii=False, indent=2))
        return
    shown = issues if fmt == "github" else issues[:max_errors]
    for issue in shown:
        click.echo(_github(issue) if fmt == "github" else issue.format(), err=True)
    if len(shown) < len(issues):
        click.echo(f"… and {len(issues) - len(shown)} more (use --max-errors or --format json)", err=True)
    errors, warnings = _totals(issues)
    if issues:
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)


def _refuse(exc: InvalidPackage, what: str, fmt: str = "text", max_errors: int = 20, note: str = "") -> None:
    """Print a refused command's validation errors and exit 1."""
    render_issues(exc.issues, fmt, max_errors)
    click.echo(f"{what} refused: fix the errors above{note}", err=True)
    sys.exit(EXIT_INVALID)


def _fail(exc: Exception) -> None:
    click.echo(f"error: {printable(str(exc))}", err=True)
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pakafg")
def cli() -> None:
    """Validate, build and release the Pakistan–Afghanistan relations data package."""
    _tolerant_output()


def _tolerant_output() -> None:
    """Never fail on printing: a character the terminal's encoding lacks (or a lone surrogate from a
    file name) is written as a backslash escape, which in JSON output is itself a valid escape."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot change
                pass


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
    from .check import validate as run

    try:
        with _busy("validating records…"):
            result = run(root)
    except PakafgError as exc:
        _fail(exc)
    fmt = _fmt(fmt)
    render_issues(result.report.issues, fmt, max_errors)
    if fmt == "text" and result.valid:
        click.echo("valid: " + ", ".join(f"{n} {t}" for t, n in result.row_counts.items()))
    sys.exit(0 if result.valid else EXIT_INVALID)


@cli.command()
@root_option
@format_option
@max_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: <root>/build).")
@click.option("-v", "--verbose", is_flag=True, help="Also say why the whole build ran (rather than \"nothing changed\").")
def build(root: Path, fmt: str | None, max_errors: int, out: Path | None, verbose: bool) -> None:
    """Validate, then write build/<version>/ (CSV, Parquet, SQLite, datapackage.json).

    The release is written to a staging folder and moved into place only when
    complete; on any error the previous output is left untouched.

    Example: pakafg build
    """
    from .pipeline import build as run

    fmt = _fmt(fmt)
    try:
        with _busy("validating and building…"):
            result = run(root, out)
    except InvalidPackage as exc:
        _refuse(exc, "build", fmt, max_errors, note="; previous output left untouched")
    except PakafgError as exc:
        _fail(exc)
    for note in result.notes + ([f"built in full: {result.why_full}"] if verbose and result.why_full else []):
        click.echo(f"note: {note}", err=True)
    if fmt == "json":
        click.echo(json.dumps({"path": str(result.path), "version": result.version, "development": result.development,
                               "unchanged": result.unchanged, "tables": result.row_counts, "files": result.files,
                               "notes": result.notes, "built_in_full_because": result.why_full}, indent=2))
        return
    state = "unchanged (same bytes as before)" if result.unchanged else "written"
    kind = "development build" if result.development else "release"
    click.echo(f"{kind} {result.version} {state}: {result.path}")
    if result.development:
        click.echo("  (the data differs from every release; `pakafg release` makes the next one — maintainers only)")
    width = max(map(len, result.row_counts), default=0)
    for table, n in result.row_counts.items():
        click.echo(f"  {table:<{width}} {n:>7} rows   csv/{table}.csv  parquet/{table}.parquet")
    for database in (f for f in result.files if f.endswith(".sqlite")):
        click.echo(f"  {database} (every table, with keys and foreign keys)")
    click.echo(f"  {len(result.files)} files, checksums in {result.path / 'SHA256SUMS'}")


@cli.command("new")
@click.argument("table")
@click.option("--id", "record_id", default=None, help="ID of the new record (lowercase words joined by hyphens).")
@click.option("--source", "source_id", default=None, help="For claims: the source they are read from.")
@click.option("--full", is_flag=True, help="Every field, with each allowed value's meaning (default: required and common fields).")
@root_option
def new(table: str, record_id: str | None, source_id: str | None, full: bool, root: Path) -> None:
    """Write a new record skeleton: the required and common fields, one help line each.

    Refuses to overwrite a file or to reuse an ID. A claim is appended to
    tables/claims/<source>.yaml. Fill in the values, then run `pakafg validate`.

    Example: pakafg new events --id dar-kabul-visit-2025-04-19
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
        path = scaffold(spec, table, record_id, source_id, full)
    except PakafgError as exc:
        _fail(exc)
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    click.echo(f"wrote {shown}: fill in the values (lines starting with #| are help), then run `pakafg validate`")


@cli.command("add-source")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "source_id", default=None, help="The source's ID (default: the file name as lowercase words joined by hyphens).")
@click.option("--retrieved-from", default=None, help="Address of the page the text was copied from (kept apart from `url`).")
@click.option("--retrieved-on", default=None, help="Day it was copied, YYYY-MM-DD.")
@root_option
def add_source_command(file: Path, source_id: str | None, retrieved_from: str | None, retrieved_on: str | None, root: Path) -> None:
    """Archive an article's text as sources/<id>.txt (byte for byte) and write sources/<id>.yaml with its sha256.

    Fill in the metadata the text states (title, publisher, date …), then code
    its claims: `pakafg new claims --source <id> --id <claim-id>`.

    Example: pakafg add-source ~/ceasefire-report.txt --retrieved-from https://example.org/a --retrieved-on 2025-10-20
    """
    from .scaffold import add_source
    from .schemas import load_package_spec

    try:
        text, record = add_source(load_package_spec(root), file, source_id, retrieved_from, retrieved_on)
    except PakafgError as exc:
        _fail(exc)
    click.echo(f"archived {text.relative_to(root) if text.is_relative_to(root) else text}")
    click.echo(f"wrote {record.relative_to(root) if record.is_relative_to(root) else record}: fill in what the text states, "
               "then run `pakafg validate`")


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


@cli.command("generate")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing the generated files that are out of date.")
@root_option
def generate_command(check: bool, root: Path) -> None:
    """Bring every generated file up to date: JSON Schemas, data dictionary, coverage page, README/CONTRIBUTING blocks.

    They are derived from schemas/, the records and the code, and never edited
    by hand. CI and pre-commit run `pakafg generate --check`.

    Example: pakafg generate
    """
    from .generated import COMMAND, sync

    try:
        stale, problems = sync(root, check=check)
    except PakafgError as exc:
        _fail(exc)
    for rel in stale:
        click.echo(f"{'out of date' if check else 'wrote'}: {rel}", err=check)
    for problem in problems:
        click.echo(f"not generated: {problem}", err=True)
    if check and stale:
        click.echo(f"run `{COMMAND}` and commit the result", err=True)
    if not stale and not problems:
        click.echo("generated files up to date")
    sys.exit(EXIT_INVALID if problems or (check and stale) else 0)


@cli.command("diff")
@click.argument("ref", required=False)
@root_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="text, json (machine-readable) or markdown (CI job summary).")
def diff_command(ref: str | None, root: Path, fmt: str) -> None:
    """Compare the working tree with git REF (default: the latest release): records, fields, schemas, required bump.

    Without REF the base is the commit recorded in the newest releases/<version>.json
    (no git tag needed). REF is extracted with `git archive` (the working tree is
    untouched); both sides are validated and compared by primary key. Field
    added/removed/renamed/retyped = major; records added = minor; records
    corrected = patch. Contributors never change the version: `pakafg release` does.

    Example: pakafg diff origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from .versioning.diff import diff
    from .versioning.render import render_markdown, render_text

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


@cli.command("release")
@root_option
@click.option("--bump", type=click.Choice(["patch", "minor", "major"]), default=None,
              help="Bump at least this much (default: the smallest bump the changes since the latest release need).")
def release_command(root: Path, bump: str | None) -> None:
    """Cut the next release (maintainers): version from the diff, CHANGELOG entry, build, releases/<version>.json.

    Compares the committed data with the commit of the latest release, sets the
    next version in datapackage.yaml (the smallest bump the changes need, or
    --bump), writes the CHANGELOG.md entry and CITATION.cff, builds
    build/<version>/ and freezes it. Refuses uncommitted inputs and a --bump
    smaller than the changes need.

    Example: pakafg release
    """
    from .versioning.release import release

    try:
        result = release(root, bump)
    except InvalidPackage as exc:
        _refuse(exc, "release")
    except PakafgError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(f"released {result.version}: {result.path}")
    click.echo(f"  manifest  {result.manifest}")
    click.echo(f"  changelog {result.changelog}")
    click.echo("now commit it:")
    click.echo(f"  {result.commit_command}")


@cli.command("explore")
@root_option
@click.option("--version", "version", default=None, help="Release to serve: build/<VERSION>/ (default: the development build, build/dev/, else the version in datapackage.yaml).")
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
@click.option("--baseline", default=None, help="Also time the build commands with the code of this git ref, side by side.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("benchmarks/RESULTS.md"), show_default=True,
              help="Markdown report to write (the raw numbers go beside it as .json).")
def bench_run(sizes: str, workdir: Path | None, seed: int, baseline: str | None, out: Path) -> None:
    """Time whole commands beside their floors (parse floor, naive peer, import floor); write RESULTS.md.

    Example: pakafg bench run --sizes 1000,10000 --baseline 273ed48
    """
    from .bench.run import run_all

    try:
        numbers = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        _fail(click.BadParameter(f"--sizes must be integers, got {sizes!r}"))
    run_all(numbers, workdir=workdir, seed=seed, out=out, baseline=baseline, log=lambda m: click.echo(m, err=True))
    click.echo(f"wrote {out}")
