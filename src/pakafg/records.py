"""From record files to typed rows, keeping each value's file and line.

`collect` walks every table's folder, loads each file strictly (load.py), checks
the record's shape against the schema (unknown keys, missing ID, ID vs file
name, child lists) and types every value with frictionless' own field parsers —
types and per-field constraints (required, enum, pattern, bounds, length) are
frictionless checks. Child lists (aliases, participants, links, citations)
become rows of their own tables, keyed by the parent's ID.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import math
import multiprocessing
import os
import pickle
import re
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from operator import itemgetter
from decimal import Decimal
from pathlib import Path
from typing import Any

from frictionless.fields import StringField

from .issues import Issue
from .load import Node, folder_issues, parse_text, read_text
from .perf import paused_gc
from .schemas import LIST_KEYS_ID_FIELD, LIST_KEYS_TABLE_FIELD, PackageSpec, TableSpec

# frictionless note type -> our issue code
NOTE_CODES = {
    "type": "type-error",
    "required": "required",
    "enum": "enum",
    "pattern": "pattern",
    "minimum": "minimum",
    "maximum": "maximum",
    "minLength": "min-length",
    "maxLength": "max-length",
    "exclusiveMinimum": "minimum",
    "exclusiveMaximum": "maximum",
}

TYPE_HINTS = {
    "date": "write the date as YYYY-MM-DD",
    "number": "write digits only, e.g. 800000 or 2.5 (no thousands separators or words)",
    "integer": "write a whole number in digits",
    "boolean": "write true or false",
}


@dataclass(slots=True)
class Row:
    """One row of a published table, with where each value was written."""

    table: str
    path: str
    line: int
    cells: dict[str, Any]
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)  # fields already reported as unreadable

    def where(self, name: str | None = None) -> tuple[int, int | None]:
        """(line, column) of a field's value, falling back to the record's start."""
        if name and name in self.positions:
            return self.positions[name]
        return self.line, None


def row_columns(rows: list[Row], names: list[str]) -> list:
    """Every named field's values over the rows (a missing key is null), one pass over the rows.

    Rows hold every field of their table, so one `itemgetter` per row reads them
    all at once, several times faster than a lookup per row and field.
    """
    cells = [r.cells for r in rows]
    if not cells or not names:
        return [[] for _ in names]
    if len(names) == 1:
        return [[c.get(names[0]) for c in cells]]
    try:
        return list(zip(*map(itemgetter(*names), cells)))
    except KeyError:  # a row without some field
        return [[c.get(name) for c in cells] for name in names]


@dataclass
class Collection:
    """Every row of every table, plus the issues found while reading them."""

    spec: PackageSpec
    rows: dict[str, list[Row]]
    issues: list[Issue]
    files: dict[str, int] = field(default_factory=dict)  # path -> number of records
    # path -> (stat key | None, sha256) of each file as read, from the record cache (incremental.py starts from these)
    file_keys: dict[str, tuple] = field(default_factory=dict)


def record_files(spec: PackageSpec, table: TableSpec) -> list[tuple[Path, str]]:
    """(absolute path, repo-relative posix path) of every record file of a table, sorted."""
    folder = spec.root / table.directory
    if not folder.is_dir() or not folder.resolve().is_relative_to(spec.root.resolve()):
        return []  # a folder linked out of the repository is never read (load.folder_issues reports it)
    names = sorted(name for name in os.listdir(folder) if name.endswith((".yaml", ".yml")) and not name.startswith("."))
    return [(folder / name, f"{table.directory}/{name}") for name in names]


def text_check(field) -> tuple | None:
    """(missing values, min length, max length, pattern match, enum) under which frictionless' reader of a
    text field answers `(value, None)` for a text value; None for a field whose reader it cannot speak for.

    Mirrors `Field.create_cell_reader` and `StringField.create_value_reader`
    (frictionless 5): a text cell that is not a missing value is read as
    itself (the default format), then each supported constraint is checked —
    `required` passes for any value, `minLength`/`maxLength` compare `len`,
    `pattern` is `re.compile("^{0}$".format(pattern)).match` (so, as there, a
    trailing newline passes `$`), `enum` is membership. When a value passes all
    of them here, the reader would have returned it unchanged with no notes;
    when it does not, the caller asks the reader itself, so every note (and
    message) stays frictionless' own.
    """
    if type(field) is not StringField or field.format != "default":
        return None
    if not set(field.supported_constraints) <= {"required", "minLength", "maxLength", "pattern", "enum"}:
        return None
    missing = field.missing_values
    if not field.has_defined("missing_values") and field.schema:
        missing = field.schema.missing_values
    if not all(type(m) is str for m in missing):
        return None
    c = field.constraints
    low, high, pattern, enum = c.get("minLength"), c.get("maxLength"), c.get("pattern"), c.get("enum")
    if any(v is not None and type(v) is not int for v in (low, high)) or (pattern is not None and type(pattern) is not str):
        return None
    if enum is not None and not (isinstance(enum, list) and all(type(v) is str for v in enum)):
        return None
    return (frozenset(missing), 0 if low is None else low, sys.maxsize if high is None else high,
            None if pattern is None else re.compile("^{0}$".format(pattern)).match,
            None if enum is None else frozenset(enum))


def _passes(check: tuple, raw: str) -> bool:
    """Whether a text value passes a `text_check` (and so is read as itself, with no notes)."""
    missing, low, high, match, enum = check
    return raw not in missing and low <= len(raw) <= high and (match is None or match(raw) is not None) and (enum is None or raw in enum)


class _Typer:
    """Types raw strings with frictionless' own cell readers, built once per field.

    `Field.read_cell` rebuilds its reader (constraint checks, missing values) on
    every call; building it once per field keeps frictionless' exact semantics at
    a fraction of the cost. Fields whose values repeat (enums, dates, numbers,
    references to other records, patterned codes) are memoised: a reader's result
    depends only on the raw text. A table's own single-field key is unique, so it
    is not.
    """

    MEMO_LIMIT = 100_000  # per field; a field with more distinct values stops memoising new ones

    def __init__(self, table: TableSpec):
        self.table = table
        self.fields = {f.name: f for f in table.schema.fields}
        # Plain strings with no constraints need no parsing: skip frictionless for speed.
        self.passthrough = frozenset(
            name for name, f in self.fields.items()
            if f.type == "string" and not table.field(name).get("constraints") and not table.field(name).get("format")
        )
        self.defaults = {name: table.default(name) for name in self.fields}
        self.field_names = table.field_names
        self.id_field = table.id_field
        self._absent_memo: dict[frozenset[str], tuple] = {}
        self.readers = {name: f.create_cell_reader() for name, f in self.fields.items() if name not in self.passthrough}
        unique = set(table.primary_key) if len(table.primary_key) == 1 else set()
        references = {name for key in table.schema.foreign_keys for name in key["fields"]}
        self.memo: dict[str, dict] = {
            name: {} for name, f in self.fields.items()
            if name in self.readers and name not in unique
            and (f.type != "string" or "enum" in f.constraints or "pattern" in f.constraints or name in references)
        }
        # text values that certainly pass their field's reader (the usual case) are answered without it
        self.text_checks = {name: check for name, f in self.fields.items()
                            if name in self.readers and (check := text_check(f)) is not None}
        # the same for fields that are not memoised (a memoised value is the one object every row shares)
        self.direct_checks = {name: check for name, check in self.text_checks.items() if name not in self.memo}

    def absent(self, deferred: frozenset[str]) -> tuple[dict[str, Any], list[tuple[str, Any, dict]]]:
        """What a record that leaves keys out gets, computed once per `deferred` set:

        every field in schema order with its default, typed (the cells to start a row
        from), and (field, raw, notes) for each field whose absence is itself a
        problem (required, no default).
        """
        known = self._absent_memo.get(deferred)
        if known is None:
            cells, problems = {}, []
            for name in self.field_names:
                cells[name] = None
                if name in deferred:
                    continue
                raw = self.defaults[name]
                typed, notes = self.cell(name, raw)
                if notes:
                    problems.append((name, raw, notes))
                    if "type" in notes or "required" in notes:
                        continue
                cells[name] = typed
            known = self._absent_memo[deferred] = (cells, problems)
        return known

    def cell(self, name: str, raw: str | None) -> tuple[Any, dict | None]:
        """(typed value, frictionless notes or None) for one raw value of a field."""
        if name in self.passthrough:
            return raw, None
        memo = self.memo.get(name)
        if memo is not None:
            known = memo.get(raw)
            if known is not None:
                return known
        check = self.text_checks.get(name)
        if check is not None and type(raw) is str and _passes(check, raw):
            value, notes = raw, None  # what the reader answers, proven without it
        else:
            value, notes = self.readers[name](raw)
        if type(value) is str:  # text (the usual case) needs none of the checks below
            pass
        elif isinstance(value, Decimal):
            if not value.is_finite():  # NaN, sNaN, Infinity: Parquet would hold them as numbers, CSV as "nan"
                value, notes = None, {"type": "not a finite number"}
            else:
                value = int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
                if isinstance(value, float) and not math.isfinite(value):  # 1e400
                    value, notes = None, {"type": "too large for a number"}
        elif isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
            value, notes = None, {"type": "too large for a 64-bit integer"}
        elif isinstance(value, dt.date) and raw != value.isoformat():  # frictionless also takes 2025-3-1
            value, notes = None, {"type": "not written YYYY-MM-DD"}
        if memo is not None and len(memo) < self.MEMO_LIMIT:
            memo[raw] = (value, notes)
        return value, notes


def _closest(word: str, options) -> str:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else ""


def _note_issue(table: TableSpec, name: str, raw: Any, note_type: str, path: str, line: int, col: int | None, record_id: str | None) -> Issue:
    code = NOTE_CODES.get(note_type, "type-error")
    fdesc = table.field(name)
    c = fdesc.get("constraints", {})
    if code == "required":
        message, hint = "is required", f"add `{name}: …` — {fdesc.get('description', '')}".strip(" —")
    elif code == "type-error":
        message, hint = f"'{raw}' is not a valid {fdesc.get('type')}", TYPE_HINTS.get(fdesc.get("type"), "")
    elif code == "enum":
        allowed = ", ".join(c["enum"])
        suggestion = _closest(str(raw), c["enum"])
        message, hint = f"'{raw}' is not an allowed value", f"{suggestion + ' ' if suggestion else ''}allowed: {allowed}"
    elif code == "pattern":
        slug = c["pattern"].startswith("[a-z0-9]+(-")
        message, hint = (f"'{raw}' does not match the required pattern {c['pattern']}",
                         "IDs are lowercase words joined by hyphens, e.g. ishaq-dar" if slug else fdesc.get("description", ""))
    elif code in ("minimum", "maximum"):
        message, hint = f"'{raw}' is out of range", f"{code} is {c.get(code)}"
    else:
        limit = c.get("maxLength") if code == "max-length" else c.get("minLength")
        message, hint = f"is {len(str(raw))} characters long", f"the limit is {limit}; quote a sentence or less"
    return Issue(code=code, message=message, path=path, line=line, column=col, table=table.name,
                 record_id=record_id, field=name, hint=hint)


def _type_mapping(
    table: TableSpec,
    typer: _Typer,
    node: Node,
    allowed: list[str],
    allowed_set: frozenset[str],
    typed: frozenset[str],
    fixed: dict[str, Any],
    path: str,
    issues: list[Issue],
    id_hint: str | None,
    defer_required: frozenset[str] = frozenset(),
) -> Row:
    """Check a record mapping's keys and type its values into a Row.

    Runs once per record and per child item, so the usual case (known keys, single
    text values) takes the fewest steps; `allowed` (in schema order, for hints) and
    `allowed_set` (for the check) are the same keys; `typed` are the fields whose
    values the mapping gives (every field but the keys in `fixed`).
    """
    mapping: dict[str, Node] = node.value
    id_field = typer.id_field
    record_id = fixed.get(id_field) if id_field else None
    if id_field and id_field in mapping and mapping[id_field].kind == "text":
        record_id = mapping[id_field].value
    record_id = record_id or id_hint
    if not allowed_set.issuperset(mapping):
        for key, value in mapping.items():
            if key not in allowed_set:
                hint = _closest(key, allowed) or f"allowed keys: {', '.join(allowed)}"
                issues.append(Issue(code="unknown-field", message=f"unknown field '{key}'", path=path, line=value.line,
                                    column=value.column, table=table.name, record_id=record_id, field=key, hint=hint))
    absent_cells, absent_problems = typer.absent(defer_required)
    cells = dict(absent_cells)  # schema order, pre-filled with what a missing key types to
    positions: dict[str, tuple[int, int]] = {}
    bad: set[str] = set()
    for name, raw, notes in absent_problems:  # missing keys that are a problem (required …)
        if name not in mapping and name not in fixed:
            issues.append(_note_issue(table, name, raw, next(iter(notes)), path, node.line, node.column, record_id))
            if "type" in notes or "required" in notes:
                bad.add(name)
    for name, value in fixed.items():
        if name in cells:
            cells[name] = value
    passthrough, defaults, memos, direct_checks = typer.passthrough, typer.defaults, typer.memo, typer.direct_checks
    for name, value_node in mapping.items():
        if name not in typed:
            continue  # an unknown key (reported above), a child list or a field given by `fixed`
        raw = value_node.value
        positions[name] = (value_node.line, value_node.column)
        if type(raw) is str:  # a value is text, None, or a mapping or list (load.Node)
            if not raw or raw.isspace():  # `raw.strip() == ""`, without building the stripped copy
                bad.add(name)
                issues.append(Issue(code="empty-string", message="empty string", path=path, line=value_node.line,
                                    column=value_node.column, table=table.name, record_id=record_id, field=name,
                                    hint="omit the key or write null when the value is unknown"))
                cells[name] = None
                continue
            if name in passthrough:  # what typer.cell would answer, without the call
                cells[name] = raw
                continue
            check = direct_checks.get(name)
            if check is not None and _passes(check, raw):  # typer.cell's fast path, without the call
                cells[name] = raw
                continue
        elif raw is None:
            if name in defer_required:
                cells[name] = None
                continue
            if (default := defaults[name]) is not None:
                raw = default
            if name in passthrough:
                cells[name] = raw
                continue
        else:
            bad.add(name)
            issues.append(Issue(code="wrong-shape", message=f"expected a single value, found a {value_node.kind}",
                                path=path, line=value_node.line, column=value_node.column, table=table.name,
                                record_id=record_id, field=name, hint="write one value on the key's line"))
            cells[name] = None
            continue
        memo = memos.get(name)
        known = memo.get(raw) if memo is not None else None  # typer.cell's memo, without the call
        typed_value, notes = known if known is not None else typer.cell(name, raw)
        if notes:
            issues.append(_note_issue(table, name, raw, next(iter(notes)), path, value_node.line, value_node.column, record_id))
            if "type" in notes or "required" in notes:
                typed_value = None
                bad.add(name)
        cells[name] = typed_value
    return Row(table.name, path, node.line, cells, positions, bad)


@dataclass
class _Child:
    spec: TableSpec
    key: str
    typer: _Typer
    parent_fields: dict[str, str]  # child field -> "id" | "table"
    item_fields: list[str]  # fields written inside an item
    item_set: frozenset[str] = field(init=False)  # the same, for checking an item's keys
    deferred: frozenset[str] = field(init=False)  # key fields a record may leave out: the build computes them (citation offsets)
    typed: frozenset[str] = field(init=False)  # fields an item's values give: all but the parent's keys

    def __post_init__(self):
        self.item_set = frozenset(self.item_fields)
        self.typed = frozenset(self.spec.field_names) - frozenset(self.parent_fields)
        self.deferred = frozenset(n for n in self.spec.primary_key if not self.spec.required(n))


def _child_layout(spec: PackageSpec, parent: TableSpec) -> list[_Child]:
    out = []
    for child in spec.children_of(parent.name):
        if LIST_KEYS_TABLE_FIELD in child.field_names:
            parent_fields = {LIST_KEYS_TABLE_FIELD: "table", LIST_KEYS_ID_FIELD: "id"}
        else:
            parent_fields = {parent.id_field: "id"}
        items = [n for n in child.field_names if n not in parent_fields and not child.field(n).get("x-computed")]
        out.append(_Child(child, child.records["key"], _Typer(child), parent_fields, items))
    return out


def _collect_children(parent: TableSpec, record: Node, record_id: str | None, layout: list[_Child], path: str,
                      rows: dict[str, list[Row]], issues: list[Issue]) -> None:
    fields = record.value
    for child in layout:
        node = fields.get(child.key)
        if node is None or node.value is None:
            continue
        if not isinstance(node.value, list):
            issues.append(Issue(code="wrong-shape", message=f"'{child.key}' must be a list", path=path, line=node.line,
                                column=node.column, table=parent.name, record_id=record_id, field=child.key,
                                hint=f"write one `- …` line per item under `{child.key}:`"))
            continue
        fixed = {name: (parent.name if kind == "table" else record_id) for name, kind in child.parent_fields.items()}
        single = child.item_fields[0] if len(child.item_fields) == 1 else None  # items may be written as bare values
        rows_of_child = rows[child.spec.name]
        for item in node.value:
            if single is not None and not isinstance(item.value, dict):
                item = Node({single: item}, item.line, item.column)
            if not isinstance(item.value, dict):
                issues.append(Issue(code="wrong-shape", message=f"each item of '{child.key}' must be a mapping",
                                    path=path, line=item.line, column=item.column, table=child.spec.name,
                                    record_id=record_id, field=child.key,
                                    hint=f"write items as `- {child.item_fields[0]}: …` with keys {', '.join(child.item_fields)}"))
                continue
            rows_of_child.append(_type_mapping(child.spec, child.typer, item, child.item_fields, child.item_set, child.typed, fixed, path,
                                               issues, record_id, defer_required=child.deferred))


@dataclass
class FileRows:
    """What one record file yields: its rows (any table, in reading order), issues and record count.

    The unit of the content-hash cache (cache.py): it depends only on the file's
    bytes, its path and the schemas.
    """

    rows: list[Row]
    issues: list[Issue]
    records: int
    digest: str | None = None  # sha256 of the bytes that were parsed (None when the file could not be read as text)
    pickled: bytes | None = field(default=None, repr=False, compare=False)  # `dumps()` as a reading worker sent it

    def pack(self) -> tuple:
        """Plain tuples of text, numbers and dates: cheap to pickle (the cache, reading workers) and nothing but data."""
        rows = tuple((r.table, r.line, r.cells, r.positions, tuple(r.bad)) for r in self.rows)
        issues = tuple(tuple(getattr(i, f) for f in _ISSUE_FIELDS) for i in self.issues)
        return rows, issues, self.records

    def dumps(self) -> bytes:
        """`pack()` pickled, once: a worker sends these bytes and the cache stores the very same bytes."""
        if self.pickled is None:
            self.pickled = pickle.dumps(self.pack(), protocol=pickle.HIGHEST_PROTOCOL)
        return self.pickled

    @classmethod
    def unpack(cls, path: str, packed: tuple, digest: str | None = None, pickled: bytes | None = None) -> FileRows:
        rows, issues, records = packed
        return cls([Row(table, path, line, cells, positions, set(bad)) for table, line, cells, positions, bad in rows],
                   [Issue(*values) for values in issues], records, digest, pickled)


_ISSUE_FIELDS = tuple(Issue.__dataclass_fields__)


@dataclass
class _TableReader:
    """Everything needed to read one record table's files, built once per run."""

    table: TableSpec
    typer: _Typer
    allowed: list[str]
    layout: list[_Child]
    allowed_set: frozenset[str] = field(init=False)  # `allowed`, for checking a record's keys
    typed: frozenset[str] = field(init=False)  # fields a record's values give: all but the file's group (read_record_file)

    def __post_init__(self):
        self.allowed_set = frozenset(self.allowed)
        self.typed = frozenset(self.table.field_names) - {self.table.group_by}


def table_reader(spec: PackageSpec, table: TableSpec) -> _TableReader:
    """What reading `table`'s files needs (its typer, allowed keys, child lists): build once, read many files."""
    return _TableReader(table, _Typer(table), spec.record_keys(table.name), _child_layout(spec, table))


def read_record_file(reader: _TableReader, file: Path, path: str) -> FileRows:
    """Load, shape-check and type one record file into rows; never raises on bad input."""
    table, typer, allowed, allowed_set, layout = reader.table, reader.typer, reader.allowed, reader.allowed_set, reader.layout
    stem = file.stem
    id_field = table.id_field
    text, issues = read_text(file, path)  # load_file's two steps, so the cache can key on the very bytes parsed
    if text is None:
        return FileRows([], issues, 0)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()  # valid UTF-8 without BOM: the file's own bytes
    root, parse_issues = parse_text(text, path)
    issues += parse_issues
    rows: list[Row] = []
    if root is None:
        return FileRows(rows, issues, 0, digest)
    if table.group_by:
        if root.kind != "list":
            issues.append(Issue(code="wrong-shape", message=f"expected a list of {table.name} records, found a {root.kind}",
                                path=path, line=root.line, column=root.column, table=table.name,
                                hint=f"start each record with `- {id_field}: …`"))
            return FileRows(rows, issues, 0, digest)
        records, fixed = root.value, {table.group_by: stem}
    else:
        if root.kind != "mapping":
            issues.append(Issue(code="wrong-shape", message=f"expected one {table.name} record (a mapping), found a {root.kind}",
                                path=path, line=root.line, column=root.column, table=table.name,
                                hint=f"the file holds one record: `{id_field}: {stem}` and its fields"))
            return FileRows(rows, issues, 0, digest)
        records, fixed = [root], {}
    children: dict[str, list[Row]] = {c.spec.name: [] for c in layout}
    for record in records:
        if not isinstance(record.value, dict):
            issues.append(Issue(code="wrong-shape", message=f"expected a record (a mapping), found a {record.kind}",
                                path=path, line=record.line, column=record.column, table=table.name))
            continue
        row = _type_mapping(table, typer, record, allowed, allowed_set, reader.typed, fixed, path, issues, None)
        rid = row.cells.get(id_field)
        if not table.group_by and rid is not None and rid != stem:
            line, col = row.where(id_field)
            issues.append(Issue(code="id-filename-mismatch", message=f"ID '{rid}' does not match the file name '{file.name}'",
                                path=path, line=line, column=col, table=table.name, record_id=rid, field=id_field,
                                hint=f"rename the file to {rid}{file.suffix} or set {id_field}: {stem}"))
        rows.append(row)
        _collect_children(table, record, rid, layout, path, children, issues)
    for child_rows in children.values():
        rows.extend(child_rows)
    return FileRows(rows, issues, len(records), digest)


def reading_jobs() -> int:
    """How many processes read record files: `PAKAFG_JOBS`, else every CPU this process may use (1 off Linux)."""
    wanted = os.environ.get("PAKAFG_JOBS", "")
    if wanted.isdigit() and int(wanted) > 0:
        jobs = int(wanted)
    else:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return jobs if sys.platform.startswith("linux") else 1  # fork is unsafe on macOS and missing on Windows


PARALLEL_MIN_FILES = 2_000  # below this, starting workers and shipping rows back costs more than it saves
_CHUNK_FILES = 100
_IN_FLIGHT = 8  # runs handed to each worker ahead, so it never waits while this process reads a run
_worker_readers: dict[str, _TableReader] = {}  # set before the workers fork; they inherit it


def _quiet_worker() -> None:
    """Ctrl-C goes to the whole process group: only the parent handles it, workers just stop when it does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _read_chunk(chunk: list[tuple[str, str, str]]) -> list[tuple[tuple, str | None]]:
    """In a worker: read a run of files, return each pickled as plain tuples (several times cheaper than objects).

    The parent unpickles them for use and hands the same bytes to the cache, so
    no file's rows are pickled twice.
    """
    out = []
    for table, file, path in chunk:
        result = read_record_file(_worker_readers[table], Path(file), path)
        out.append((result.dumps(), result.digest))
    return out


def read_files(readers: dict[str, _TableReader], todo: list[tuple[str, Path, str]], jobs: int | None = None) -> list[FileRows]:
    """Read (table, file, path) in order, on `jobs` processes when there are enough files to pay for them.

    Each file is read independently, so the rows and issues are the same as
    reading them one by one, in the same order; parsing is most of a cold
    build, and this is how a build uses the other cores. `jobs - 1` forked
    workers (they inherit the schemas) are handed runs of files from the front
    while this process reads from the back, until they meet: it pays no
    pickling for its own share and is never idle waiting. If a worker dies, or
    no process can be started, its files are read here.
    """
    global _worker_readers

    def here(files: list[tuple[str, Path, str]]) -> list[FileRows]:
        return [read_record_file(readers[table], file, path) for table, file, path in files]

    jobs = reading_jobs() if jobs is None else jobs
    if jobs <= 1 or len(todo) < PARALLEL_MIN_FILES:
        return here(todo)

    chunks = [todo[i:i + _CHUNK_FILES] for i in range(0, len(todo), _CHUNK_FILES)]
    _worker_readers = readers
    pool = ProcessPoolExecutor(max_workers=jobs - 1, mp_context=multiprocessing.get_context("fork"), initializer=_quiet_worker)
    try:
        sent: dict[int, Future] = {}
        done: dict[int, list[FileRows]] = {}  # runs read here, or a worker's runs already unpacked
        front, back, can_send = 0, len(chunks) - 1, True

        def unpack(i: int) -> None:
            try:
                packed = sent.pop(i).result()
            except BrokenProcessPool:  # a worker died (killed for memory?): its files are read here instead
                done[i] = here(chunks[i])
                return
            done[i] = [FileRows.unpack(path, pickle.loads(blob), digest, blob)  # noqa: S301 - our own worker's bytes
                       for (_, _, path), (blob, digest) in zip(chunks[i], packed)]

        while front <= back:  # workers get runs from the front, a few each in flight; this process reads from the back
            for i in [i for i, f in sent.items() if f.done()]:
                unpack(i)  # between runs of its own, so little is left to unpack at the end
            while can_send and len(sent) < _IN_FLIGHT * (jobs - 1) and front <= back:
                try:
                    sent[front] = pool.submit(_read_chunk, [(table, str(file), path) for table, file, path in chunks[front]])
                except (OSError, BrokenProcessPool):  # no new process here (limits, a sandbox): the rest is read here
                    can_send = False
                    break
                front += 1
            if front <= back:
                done[back] = here(chunks[back])
                back -= 1
        for i in sorted(sent):
            unpack(i)
        results = [rows for i in range(len(chunks)) for rows in done[i]]
    except BaseException:  # Ctrl-C or a bug: drop the queued files rather than read them all first
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _worker_readers = {}
    pool.shutdown()
    return results


@paused_gc  # the YAML node trees of thousands of files: see perf.py
def collect(spec: PackageSpec, only: set[str] | None = None, cache=None, jobs: int | None = None) -> Collection:
    """Load and type every record of the package; never raises on bad input.

    With a `cache` (cache.RecordCache), a file whose content hash is known is not
    parsed again: its rows and issues come from the cache, exactly as reading it
    would produce them. The other files are read by `read_files` (on `jobs`
    processes for a large package).
    """
    rows: dict[str, list[Row]] = {name: [] for name in spec.tables}
    issues: list[Issue] = []
    files: dict[str, int] = {}
    readers: dict[str, _TableReader] = {}
    plan: list[tuple[str, list[Issue], list[tuple[Path, str, FileRows | None]]]] = []
    for table in spec.record_tables():
        readers[table.name] = table_reader(spec, table)
        # archived texts live beside the source records
        found = folder_issues(spec.root / table.directory, table.directory, other_files_ok=table.name == "sources") if only is None else []
        entries = [(file, path, cache.get(path, file) if cache is not None else None)
                   for file, path in record_files(spec, table) if only is None or path in only]
        plan.append((table.name, found, entries))
    todo = [(name, file, path) for name, _, entries in plan for file, path, cached in entries if cached is None]
    read = iter(read_files(readers, todo, jobs))
    for name, found, entries in plan:
        issues.extend(found)
        for file, path, cached in entries:
            result = cached
            if result is None:
                result = next(read)
                if cache is not None:
                    cache.put(path, result)
            for row in result.rows:
                rows[row.table].append(row)
            issues.extend(result.issues)
            files[path] = result.records
    file_keys = {}
    if cache is not None:
        cache.save(keep_unseen=only is not None)
        file_keys = {path: cache.entries[path][:2] for path in files if path in cache.entries}
    return Collection(spec=spec, rows=rows, issues=issues, files=files, file_keys=file_keys)


def check_primary_keys(coll: Collection) -> list[Issue]:
    """Duplicate primary keys, naming where the first one was written."""
    issues = []
    for name, table in coll.spec.tables.items():
        pk = table.primary_key
        if not pk:
            continue
        rows = coll.rows[name]
        keys = list(zip(*([row.cells.get(k) for row in rows] for k in pk)))
        try:
            if len(set(keys)) == len(keys):
                continue  # no key twice (the usual case, found at C speed): nothing to report
        except TypeError:  # a value that cannot be a key: the loop below decides
            pass
        seen: dict[tuple, Row] = {}
        for row, key in zip(rows, keys):
            if any(k is None for k in key):
                continue
            if key in seen:
                first = seen[key]
                line, col = row.where(pk[-1])
                label = ", ".join(f"{k}={v}" for k, v in zip(pk, key))
                issues.append(Issue(code="duplicate-id", message=f"{label} is already used at {first.path}:{first.line}",
                                    path=row.path, line=line, column=col, table=name, record_id=str(key[0]), field=pk[-1],
                                    hint="IDs must be unique across the package; choose another or merge the records"))
            else:
                seen[key] = row
    return issues

