"""Read: every record file of the package -> rows of text per table, with file:line, and the issues found.

The first stage of the pipeline (read -> check -> compile -> export -> publish).
Nothing is typed here; see `check`. Files are read in batches (`read_batch`):
each file's rows are gathered as Python lists, and a batch's rows become one
Arrow table per table (`Rows`), whose columns `check` types at once. The
plain path reads all files as one batch; the speed layer (`pakafg.speed`)
supplies batches from its cache and from worker processes instead. Batches
may come in any order: the rows are put in file order here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..issues import Collector
from ..schemas import PackageSpec
from .files import folder_issues, record_files, stray_folders
from .records import PATH, Cells, FileReading, RawTable, Rows, TableReader, TablesOfRows, read_file

__all__ = ["Batch", "Cells", "FileReading", "RawTable", "Reading", "Rows", "TableReader", "TablesOfRows", "read_batch", "read_file",
           "read_files", "read_package"]

Todo = list[tuple[str, Path, str]]  # (table, absolute file, repo-relative path)


@dataclass
class Batch:
    """What reading a run of files yields: each table's rows (Arrow, see `Rows`) and, per file, its issues,
    number of records and the sha256 of its text."""

    tables: dict  # table name -> pa.Table of rows
    files: dict[str, tuple[list, int, str | None]] = field(default_factory=dict)  # path -> (issues, records, digest)
    hidden: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (errors, warnings) counted, not kept


def read_batch(readers: dict[str, TableReader], todo: Todo) -> Batch:
    """Read the files of `todo` one after another into one batch."""
    batch = Batch({})
    if not todo:
        return batch
    tables = next(iter(readers.values())).empty()
    for table, file, path in todo:
        result = read_file(readers[table], file, path, tables)
        batch.files[path] = (list(result.issues), result.records, result.digest)
        hidden = getattr(result.issues, "hidden", {}).get(path)
        if hidden:
            batch.hidden[path] = hidden
    batch.tables = {name: rows.to_arrow() for name, rows in tables.items() if len(rows)}
    return batch


def read_files(readers: dict[str, TableReader], todo: Todo) -> list[Batch]:
    """The plain path: every file, one after another, in one batch."""
    return [read_batch(readers, todo)]


@dataclass
class Reading:
    """Every table's rows as written, and the issues found while reading them."""

    spec: PackageSpec
    tables: dict[str, Rows]
    issues: Collector  # at most `Collector.keep` per file kept, the rest counted (a flood stays small)
    files: dict[str, int] = field(default_factory=dict)  # path -> number of records
    digests: dict[str, str | None] = field(default_factory=dict)  # path -> sha256 of its text


def _in_file_order(table, order: dict[str, int]):
    """`table`'s rows sorted by their file's place in the reading order (stable: a file's rows keep theirs)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    paths = table.column(PATH)
    rank = pc.index_in(paths, value_set=pa.array(list(order), pa.string()))
    indices = pc.sort_indices(pa.table({"rank": rank}), sort_keys=[("rank", "ascending")])
    return table if pc.all(pc.equal(indices, pa.array(range(len(indices)), indices.type))).as_py() is not False else table.take(indices)


def read_package(spec: PackageSpec, files_reader: Callable[[dict[str, TableReader], Todo], list[Batch]] = read_files,
                 only: set[str] | None = None) -> Reading:
    """Read every record file of the package (or only the repo-relative paths in `only`); never raises on bad input."""
    import pyarrow as pa

    issues = Collector()
    if only is None:
        issues.extend(stray_folders(spec))
    readers = {t.name: TableReader(spec, t) for t in spec.record_tables()}
    todo: Todo = []
    for table in spec.record_tables():
        if only is None:  # archived texts live beside the source records
            issues.extend(folder_issues(spec.root / table.directory, table.directory, other_files_ok=table.name == "sources"))
        todo += [(table.name, file, path) for file, path in record_files(spec.root, table.directory) if only is None or path in only]
    batches = files_reader(readers, todo)
    order = {path: i for i, (_, _, path) in enumerate(todo)}
    reading = Reading(spec, {}, issues)
    read_in = {path: batch for batch in batches for path in batch.files}
    for _, _, path in todo:
        batch = read_in[path]
        found, records, digest = batch.files[path]
        issues.extend(found)
        if path in batch.hidden:
            issues.count_hidden({path: batch.hidden[path]})
        reading.files[path], reading.digests[path] = records, digest
    for name, table in spec.tables.items():
        parts = [batch.tables[name] for batch in batches if name in batch.tables and batch.tables[name].num_rows]
        if not parts:
            reading.tables[name] = Rows.empty(name, table.field_names)
            continue
        data = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
        reading.tables[name] = Rows(name, table.field_names, _in_file_order(data, order))
    return reading
