"""Export: the compiled tables -> every file of a release, in one staging folder (zavod's exporters).

One module per format. `csv` and `parquet` write one file per table
(`write(name, table, out)`); `sqlite` writes one database holding every table
(`write_package(spec, tables, out)`); `charts` draws the pictures from the
tables (`write(spec, tables, out)`); `codebook` writes the release's README
(every table, field and code), the data licence, the coding rules and
CITATION.cff; `datapackage` runs last because it
describes (path, size, sha256) what the others wrote, and `SHA256SUMS` lists
every file. Exporters only write; they never decide what goes into a release.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ..schemas import CHANGELOG_FILE, PackageSpec
from . import charts, codebook, csv, datapackage, parquet, sqlite

TABLE_EXPORTERS = (csv, parquet)
PACKAGE_EXPORTERS = (sqlite,)


@dataclass(frozen=True)
class Edition:
    """What distinguishes one release of the same tables: its version, date and release notes."""

    version: str
    created: str | None
    development: bool = False  # a build of changes made after the last release (never a released version)
    notes: str | None = None  # this version's CHANGELOG entry, once `pakafg release` wrote it


def write_tables(tables: dict[str, pa.Table], out: Path) -> None:
    """Every per-table file (CSV, Parquet): they depend on the rows alone, not on the edition."""
    for exporter in TABLE_EXPORTERS:
        for name, table in tables.items():
            exporter.write(name, table, out)


def write_database(spec: PackageSpec, tables: dict[str, pa.Table], out: Path) -> list[Path]:
    """Every file written from all tables at once (the SQLite database); needs nothing the other exports write."""
    return [exporter.write_package(spec, tables, out) for exporter in PACKAGE_EXPORTERS]


def write_package(spec: PackageSpec, tables: dict[str, pa.Table], out: Path, edition: Edition,
                  hashes: dict[str, str] | None = None, charts_drawn=None, database=None) -> list[str]:
    """The files that describe the package (SQLite, release notes, datapackage.json, SHA256SUMS), after `write_tables`.

    Returns every file of the release, relative to `out`, sorted. `hashes` (path -> sha256) holds digests already
    computed; `charts_drawn` may supply charts already drawn from the same data (see `charts.write`); `database`,
    when given, gives the paths `write_database` wrote (the speed layer may be writing them in another process).
    """
    hashes = {} if hashes is None else hashes
    described = [(exporter, out / exporter.FOLDER / f"{name}.{exporter.FORMAT}") for exporter in TABLE_EXPORTERS if exporter is not csv
                 for name in tables]
    drawn = charts.write(spec, tables, out, charts_drawn)
    described += list(zip(PACKAGE_EXPORTERS, database() if database else write_database(spec, tables, out)))
    described += [(charts, path) for path in drawn]
    if edition.notes:
        (out / CHANGELOG_FILE).write_text(edition.notes, encoding="utf-8", newline="\n")
    described += [(codebook, path) for path in codebook.write(spec, tables, out, edition)]  # last but the descriptor: it lists the files
    files = [datapackage.file_entry(path, out, *_format(exporter, path), hashes) for exporter, path in described]
    datapackage.write(spec, tables, out, files, edition, hashes)
    datapackage.write_sums(out, hashes)
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def _format(exporter, path: Path) -> tuple[str, str]:
    """(format, media type) of a file an exporter wrote (charts write two kinds)."""
    return exporter.file_format(path) if hasattr(exporter, "file_format") else (exporter.FORMAT, exporter.MEDIATYPE)


__all__ = ["Edition", "PACKAGE_EXPORTERS", "TABLE_EXPORTERS", "write_database", "write_package", "write_tables"]
