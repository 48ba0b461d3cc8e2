"""`build`: the pipeline, read -> check -> compile -> export -> publish, in one straight function.

A build of data that a release froze (`releases/<version>.json`) is that
release and goes to `build/<version>/`; a build of anything else is a
development build: `build/dev/`, its version a pre-release such as
`0.1.1-dev+3f2a9c1b7d4e` and `"pakafg:development": true` in its
datapackage.json, so it can never overwrite, or be mistaken for, a release.
Only `pakafg release` (versioning/release.py) makes a new release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .issues import InvalidPackage, PakafgError, Report
from .schemas import PackageSpec, load_package_spec
from .versioning import git

BUILD_DIR = "build"
DEV_FOLDER = "dev"


@dataclass
class BuildResult:
    path: Path
    version: str
    row_counts: dict[str, int]
    files: list[str] = field(default_factory=list)
    unchanged: bool = False
    report: Report | None = None  # what validation found (warnings only: a build with errors raises)
    notes: list[str] = field(default_factory=list)
    development: bool = False
    why_full: str | None = None  # why the whole pipeline ran rather than "nothing changed" (`pakafg build -v`)

    def summary(self) -> dict:
        """What is remembered of this build (plain data): enough to answer for it when nothing changed."""
        return {"path": str(self.path), "version": self.version, "row_counts": self.row_counts, "files": self.files,
                "development": self.development}

    @classmethod
    def unchanged_since(cls, summary: dict) -> BuildResult:
        """The result of a build that found nothing changed since the one `summary` describes."""
        return cls(path=Path(summary["path"]), version=summary["version"], row_counts=summary["row_counts"],
                   files=summary["files"], unchanged=True, development=summary["development"],
                   notes=["nothing changed since the last build: its release folder is this build's"])


def choose_edition(spec: PackageSpec, tables: dict, staging: Path, release: bool, hashes: dict[str, str],
                   source_date: str | None) -> tuple:
    """(edition, folder name, manifest) of this build, once its CSV files are in `staging`.

    The data is compared with the release of the version in datapackage.yaml:
    the same data is that release (its frozen `created` and notes); other
    data is a development build. `release` (from `pakafg release`) publishes
    the version itself.
    """
    from .export import Edition, datapackage
    from .versioning.changelog import changelog_section
    from .versioning.manifest import content_sha256, read_manifest
    from .versioning.versions import development_version

    version = spec.version
    manifest = None if release else read_manifest(spec.root, version)
    created = manifest["created"] if manifest else source_date
    candidate = Edition(version, created, notes=changelog_section(spec.root, version))
    if release:
        return candidate, version, None
    content = content_sha256(datapackage.descriptor(spec, tables, staging, [], candidate, hashes))
    if manifest is not None and content == manifest.get("content_sha256"):
        return candidate, version, manifest
    development = development_version(version, released=manifest is not None, digest=content)
    return Edition(development, source_date, development=True), DEV_FOLDER, None


def build(root: str | Path = ".", out: str | Path | None = None, release: bool = False, fast: bool = True) -> BuildResult:
    """Validate the package at `root` and write its release folder; raise InvalidPackage on errors.

    `fast` lets the speed layer (`pakafg.speed`) supply unchanged files from its cache, and answer at once when
    nothing changed since the last build; the output is the same.
    """
    root = Path(root)
    spec = load_package_spec(root)
    out_dir = Path(out) if out else root / BUILD_DIR
    source_date = git.source_date(root)  # SOURCE_DATE_EPOCH, else the last commit's date: `created` of a new edition
    if not fast or release:
        return _build(spec, out_dir, release, fast, source_date)
    from . import speed

    return speed.skip_unchanged(lambda: _build(spec, out_dir, release, fast, source_date), BuildResult.unchanged_since, spec,
                                out_dir, source_date)


def _build(spec: PackageSpec, out_dir: Path, release: bool, fast: bool, source_date: str | None) -> BuildResult:
    """The stages in order (imported here: a build that finds nothing changed needs none of them)."""
    from . import export
    from .check import validate_spec
    from .compile import compile_tables
    from .publish import build_lock, publish, recover, staging_folder
    from .versioning.manifest import library_differences

    validation = validate_spec(spec, fast)
    if not validation.valid:
        raise InvalidPackage(validation.report.issues)
    tables = compile_tables(validation)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with build_lock(out_dir):
            notes = recover(out_dir)
            with staging_folder(out_dir, "release") as staging, \
                    _database(fast, lambda: export.write_database(spec, tables, staging)) as database:
                hashes: dict[str, str] = {}
                export.write_tables(tables, staging)
                edition, folder, manifest = choose_edition(spec, tables, staging, release, hashes, source_date)
                files = export.write_package(spec, tables, staging, edition, hashes, _charts_drawn(spec, fast), database.result)
                if manifest is not None:
                    notes += library_differences(manifest, staging, hashes)
                target = out_dir / folder
                changed = publish(staging, target)
    except OSError as exc:
        raise PakafgError(f"could not write the release to {out_dir}: {exc}") from exc
    return BuildResult(path=target, version=edition.version, row_counts={n: t.num_rows for n, t in tables.items()}, files=files,
                       unchanged=not changed, report=validation.report, notes=notes, development=edition.development)


def _charts_drawn(spec: PackageSpec, fast: bool):
    """The speed layer's chart cache, when allowed (charts already drawn from the same data are copied)."""
    if not fast:
        return None
    from . import speed

    return speed.charts_drawn(spec)


def _database(fast: bool, write):
    """The SQLite export, written beside the other files by the speed layer when allowed, else when asked for."""
    from . import speed

    return speed.beside(write, allowed=fast)
