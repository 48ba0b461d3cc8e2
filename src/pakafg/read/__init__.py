"""Read: every record file of the package -> rows of text per table, with file:line, and the issues found.

The first stage of the pipeline (read -> check -> compile -> export -> publish).
Nothing is typed here; see `check`. `read_package` reads the files one after
another; `files_reader` lets the speed layer (`pakafg.speed`) supply the same
results from its cache or from worker processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..issues import Collector
from ..schemas import PackageSpec
from .files import folder_issues, record_files, stray_folders
from .records import FileReading, RawTable, TableReader, read_file

__all__ = ["FileReading", "RawTable", "Reading", "TableReader", "read_file", "read_files", "read_package"]

Todo = list[tuple[str, Path, str]]  # (table, absolute file, repo-relative path)


@dataclass
class Reading:
    """Every table's rows as written, and the issues found while reading them."""

    spec: PackageSpec
    tables: dict[str, RawTable]
    issues: Collector  # at most `Collector.keep` per file kept, the rest counted (a flood stays small)
    files: dict[str, int] = field(default_factory=dict)  # path -> number of records
    digests: dict[str, str | None] = field(default_factory=dict)  # path -> sha256 of its text


def read_files(readers: dict[str, TableReader], todo: Todo) -> list[FileReading]:
    """Read each file of `todo`, in order (the plain path; `pakafg.speed` has a faster one giving the same results)."""
    return [read_file(readers[table], file, path) for table, file, path in todo]


def read_package(spec: PackageSpec, files_reader: Callable[[dict[str, TableReader], Todo], list[FileReading]] = read_files,
                 only: set[str] | None = None) -> Reading:
    """Read every record file of the package (or only the repo-relative paths in `only`); never raises on bad input."""
    tables = {name: RawTable(name, t.field_names) for name, t in spec.tables.items()}
    issues = Collector()
    if only is None:
        issues.extend(stray_folders(spec))
    readers = {t.name: TableReader(spec, t) for t in spec.record_tables()}
    todo: Todo = []
    for table in spec.record_tables():
        if only is None:  # archived texts live beside the source records
            issues.extend(folder_issues(spec.root / table.directory, table.directory, other_files_ok=table.name == "sources"))
        todo += [(table.name, file, path) for file, path in record_files(spec.root, table.directory) if only is None or path in only]
    reading = Reading(spec, tables, issues)
    results = list(files_reader(readers, todo))
    for i, (_, _, path) in enumerate(todo):
        result, results[i] = results[i], None  # each file's rows freed once copied: a big file is not held twice
        for name, rows in result.tables.items():
            tables[name].extend(rows)
        issues.extend(result.issues)
        reading.files[path] = result.records
        reading.digests[path] = result.digest
    return reading
