"""From a record file's `Node`s to rows of text, keeping where each value was written.

A record's shape is checked here (unknown keys, the ID against the file
name, child lists, a list or mapping where one value belongs, empty text);
its values stay the text the contributor typed — `check/types.py` types whole
columns at once. Child lists (aliases, participants, links, citations) become
rows of their own tables keyed by the parent's ID, and each claim's quote
also becomes a `citations` row (the quote is the claim's evidence).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..issues import Collector, Issue, did_you_mean
from ..schemas import LIST_KEYS_ID_FIELD, LIST_KEYS_TABLE_FIELD, PackageSpec, TableSpec
from .files import read_text
from .yaml import Node, parse_text

if TYPE_CHECKING:
    import pyarrow as pa


class Cells:
    """A set of (field, row) cells, stored as one byte per row for each field.

    Marks the cells already reported as unreadable; a flood file of a quarter of
    a million empty records marks a million cells, which as a set of tuples cost
    over 100 MB and here costs a few.
    """

    __slots__ = ("_rows",)

    def __init__(self, cells=()):
        self._rows: dict[str, bytearray] = {}
        self.update(cells)

    def add(self, cell: tuple[str, int]) -> None:
        name, row = cell
        rows = self._rows.get(name)
        if rows is None:
            rows = self._rows[name] = bytearray()
        if row >= len(rows):
            rows.extend(bytes(max(row + 1 - len(rows), len(rows) // 2)))
        rows[row] = 1

    def update(self, cells) -> None:
        for cell in cells:
            self.add(cell)

    def __contains__(self, cell) -> bool:
        name, row = cell
        rows = self._rows.get(name)
        return rows is not None and 0 <= row < len(rows) and rows[row] == 1

    def __iter__(self):
        for name, rows in self._rows.items():
            row = rows.find(1)
            while row >= 0:
                yield name, row
                row = rows.find(1, row + 1)

    def __len__(self) -> int:
        return sum(rows.count(1) for rows in self._rows.values())

    def __bool__(self) -> bool:
        return any(1 in rows for rows in self._rows.values())

    def __eq__(self, other) -> bool:
        return set(self) == set(other)

    def __repr__(self) -> str:
        return f"Cells({sorted(self)!r})"

    def mask(self, name: str, length: int):
        """The cells of `name` as a boolean numpy array of `length` rows."""
        import numpy as np

        rows = np.zeros(length, bool)
        marked = self._rows.get(name)
        if marked:
            flags = np.frombuffer(bytes(marked[:length]), np.uint8)
            rows[: len(flags)] = flags == 1
        return rows

    def fields_of(self, length: int) -> list[str | None]:
        """For each row, the comma-joined names of its marked cells (None for a row with none): how Arrow keeps them."""
        out: list[str | None] = [None] * length
        for name, row in self:
            out[row] = name if out[row] is None else f"{out[row]},{name}"
        return out


@dataclass
class RawTable:
    """One table's rows as written: the text (or None) of every field, the file and line of each row and value."""

    name: str
    fields: list[str]
    paths: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # where each row's record (or list item) starts
    values: dict[str, list] = field(default_factory=dict)  # field -> text | None, one per row
    at: dict[str, list] = field(default_factory=dict)  # field -> (line, column) | None (not written), one per row
    bad: Cells = field(default_factory=Cells)  # (field, row) already reported as unreadable
    _columns: list = field(default_factory=list, init=False, repr=False, compare=False)  # (field, its values, its places)

    def __post_init__(self):
        for name in self.fields:
            self.values.setdefault(name, [])
            self.at.setdefault(name, [])
        self._columns = [(name, self.values[name], self.at[name]) for name in self.fields]

    def __len__(self) -> int:
        return len(self.paths)

    def add(self, path: str, line: int, values: dict, at: dict, bad: set[str]) -> int:
        """Append one row (absent fields are None); return its index."""
        row = len(self.paths)
        self.paths.append(path)
        self.lines.append(line)
        value, place = values.get, at.get
        for name, column, places in self._columns:
            column.append(value(name))
            places.append(place(name))
        for name in bad:
            self.bad.add((name, row))
        return row

    def where(self, name: str | None, row: int) -> tuple[int, int | None]:
        """(line, column) of a field's value in row `row`, falling back to the row's start."""
        position = self.at[name][row] if name in self.at else None
        return position if position else (self.lines[row], None)

    def to_arrow(self) -> pa.Table:
        """These rows as one Arrow table (see `Rows`): the text of each field, where each value and row was written,
        and which cells were reported unreadable."""
        import pyarrow as pa  # here, not at the top: `pakafg new` and `fmt` read YAML without Arrow

        columns = {PATH: pa.array(self.paths, pa.string()), LINE: pa.array(self.lines, pa.int32())}
        for name in self.fields:
            columns[name] = pa.array(self.values[name], pa.string())
            places = self.at[name]
            columns[name + AT_LINE] = pa.array([p[0] if p else 0 for p in places], pa.int32())
            columns[name + AT_COLUMN] = pa.array([p[1] if p else 0 for p in places], pa.int32())
        columns[BAD] = pa.array(self.bad.fields_of(len(self)), pa.string())
        return pa.table(columns)


PATH, LINE, BAD = "@path", "@line", "@bad"  # columns of a table of rows besides the fields (no field name holds "@")
AT_LINE, AT_COLUMN = "@line", "@column"  # suffixes: where each field's value was written (0: not written)


class Rows:
    """A table's rows as written, read back from Arrow: the text of each field, and where each row and value was.

    What `check` types and reports from. Python lists are made only of what is
    asked for (a file path for an issue, a field's positions once one of its
    values is reported).
    """

    def __init__(self, name: str, fields: list[str], data: pa.Table):
        self.name, self.fields, self.data = name, fields, data
        self.bad = Cells()
        marked = data.column(BAD)
        if marked.null_count < len(marked):
            for row, names in enumerate(marked.to_pylist()):
                if names:
                    self.bad.update((field, row) for field in names.split(","))
        self._lists: dict[str, list] = {}

    @classmethod
    def empty(cls, name: str, fields: list[str]) -> Rows:
        return cls(name, fields, RawTable(name, fields).to_arrow())

    def __len__(self) -> int:
        return self.data.num_rows

    def _list(self, column: str) -> list:
        if column not in self._lists:
            self._lists[column] = self.data.column(column).to_pylist()
        return self._lists[column]

    @property
    def paths(self) -> list[str]:
        return self._list(PATH)

    @property
    def lines(self) -> list[int]:
        return self._list(LINE)

    def text(self, name: str) -> pa.Array:
        """A field's column of text (null where not written, or written null)."""
        return self.data.column(name).combine_chunks()

    def value(self, name: str, row: int) -> str | None:
        return self._list(name)[row]

    def where(self, name: str | None, row: int) -> tuple[int, int | None]:
        """(line, column) of a field's value in row `row`, falling back to the row's start."""
        if name in self.fields:
            line = self._list(name + AT_LINE)[row]
            if line:
                return line, self._list(name + AT_COLUMN)[row]
        return self.lines[row], None


@dataclass
class FileReading:
    """What one record file yields: rows of any table, issues and its number of records.

    Depends only on the file's bytes, its path and the schemas (the unit the record cache keeps).
    """

    tables: dict[str, RawTable]
    issues: Collector  # at most `Collector.keep` kept; the rest counted
    records: int = 0
    digest: str | None = None  # sha256 of the text that was parsed (None when it could not be read as text)


@dataclass
class ChildList:
    """A list inside a record whose items are rows of a child table (`aliases` -> actor_aliases)."""

    table: TableSpec
    key: str
    items: list[str]  # the fields written in an item
    parent_fields: dict[str, str]  # child field -> "table" | "id" (filled from the parent record)
    keys: list[str]  # the key fields written in each item (items must differ in them)


@dataclass
class TableReader:
    """What reading one record table's files needs, worked out once from the schemas."""

    spec: PackageSpec
    table: TableSpec
    allowed: list[str] = field(init=False)  # keys a record may hold, in schema order (for hints)
    fields: list[str] = field(init=False)  # the table's fields written in a record
    id_field: str | None = field(init=False)
    id_pattern: re.Pattern | None = field(init=False)
    children: list[ChildList] = field(init=False)
    quotes_to: TableSpec | None = field(init=False)  # the table each record's own quote is also a row of (citations)

    def __post_init__(self):
        self.allowed = self.spec.record_keys(self.table.name)
        self.fields = self.table.record_fields()  # worked out once: a file may hold a quarter of a million records
        self.id_field = self.table.id_field
        pattern = self.table.constraints(self.id_field).get("pattern") if self.id_field else None
        try:  # an ID its pattern refuses is reported as such (check/types.py), not as a file name to copy
            self.id_pattern = re.compile(f"(?:{pattern})") if pattern else None
        except re.error:  # pragma: no cover - a pattern only RE2 reads
            self.id_pattern = None
        self.children = [ChildList(c, c.list_key, items, self.spec.parent_fields(c.name), [k for k in c.primary_key if k in items])
                         for c in self.spec.children_of(self.table.name) for items in [self.spec.item_fields(c.name)]]
        self.quotes_to = next((t for t in self.spec.tables.values()
                               if t.records.get(f"derived_from_{self.table.name}")), None)

    def empty(self) -> dict[str, RawTable]:
        return TablesOfRows(self.spec)


class TablesOfRows(dict):
    """Table name -> RawTable, each made when its first row comes."""

    def __init__(self, spec: PackageSpec):
        super().__init__()
        self.spec = spec

    def __missing__(self, name: str) -> RawTable:
        table = self[name] = RawTable(name, self.spec.tables[name].field_names)
        return table


def _values(table: TableSpec, names: list[str], allowed: list[str], node: Node, fixed: dict[str, str], path: str,
            record_id: str | None, issues: Collector) -> tuple[dict, dict, set[str]]:
    """The text and position of each field of one mapping; unknown keys, wrong shapes and empty text reported."""
    def problem(code: str, message: str, at: Node, name: str, hint) -> None:
        if issues.full(path, code, name):  # a flood: counted, and no message (nor `did you mean`) built
            issues.hide(path)
            return
        issues.add(Issue(code=code, message=message, path=path, line=at.line, column=at.column, table=table.name,
                         record_id=record_id, field=name, hint=hint() if callable(hint) else hint))

    mapping: dict[str, Node] = node.value
    for key, value in mapping.items():
        if key not in allowed:
            problem("unknown-field", f"unknown field '{key}'", value, key,
                    lambda key=key: did_you_mean(key, allowed) or f"allowed keys: {', '.join(allowed)}")
    values, at, bad = dict(fixed), {}, set()
    for name in names:
        value = mapping.get(name)
        if value is None:
            continue
        at[name] = (value.line, value.column)
        text = value.value
        if value.refused:  # reported while reading the YAML
            bad.add(name)
        elif isinstance(text, (dict, list)):
            problem("wrong-shape", f"expected a single value, found a {value.kind}", value, name, "write one value on the key's line")
            bad.add(name)
        elif text is not None and (not text or text.isspace()):
            problem("empty-string", "empty string" if not text else "only whitespace", value, name,
                    "omit the key or write null when the value is unknown")
            bad.add(name)
        else:
            values[name] = text
    return values, at, bad


def _read_children(reader: TableReader, record: Node, record_id: str | None, path: str, out: dict[str, RawTable],
                   issues: Collector) -> None:
    parent = reader.table
    for child in reader.children:
        key, items, table = child.key, child.items, child.table
        node = record.value.get(key)
        if node is None or node.value is None:
            continue
        if not isinstance(node.value, list):
            issues.append(Issue(code="wrong-shape", message=f"'{key}' must be a list", path=path, line=node.line,
                                column=node.column, table=parent.name, record_id=record_id, field=key,
                                hint=f"write one `- …` line per item under `{key}:`"))
            continue
        fixed = {name: (parent.name if kind == "table" else record_id) for name, kind in child.parent_fields.items()}
        rows = out[table.name]
        seen: dict[tuple, tuple[int, tuple]] = {}
        for item in node.value:
            if len(items) == 1 and not isinstance(item.value, dict):  # a one-field item may be the bare value (`- TTP`)
                item = Node({items[0]: item}, item.line, item.column)
            if not isinstance(item.value, dict):
                issues.append(Issue(code="wrong-shape", message=f"each item of '{key}' must be a mapping",
                                    path=path, line=item.line, column=item.column, table=table.name, record_id=record_id,
                                    field=key, hint=f"write items as `- {items[0]}: …` with keys {', '.join(items)}"))
                continue
            values, at, bad = _values(table, items, items, item, fixed, path, record_id, issues)
            rows.add(path, item.line, values, at, bad)
            same = tuple(values.get(name) for name in child.keys)
            if child.keys and None not in same:
                _same_item(table, child.keys, same, at, item.line, seen, path, record_id, issues)


def same_text(text: str) -> str:
    """What two spellings of one text share when they differ only in case or Unicode composition
    (`TTP` / `ttp`, `é` as one code point or as e + U+0301): canonical caseless matching, NFC."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


def _same_item(child: TableSpec, keys: list[str], key: tuple, at: dict, line: int, seen: dict, path: str,
               record_id: str | None, issues: Collector) -> None:
    """A `duplicate-id` when an item of a record's list has the key of an earlier item, up to case and composition.

    A record's list items are all the rows of its child table with that parent,
    so within one record is where such a duplicate shows (an actor's aliases
    `TTP` and `ttp`). Exact duplicates are reported again by the primary-key check.
    """
    same = tuple(same_text(v) for v in key)
    if same not in seen:
        seen[same] = (line, key)
        return
    first_line, first = seen[same]
    field = keys[-1]
    where = at.get(field) or (line, None)
    shown = ", ".join(f"{k}={v}" for k, v in zip(keys, key))
    if key == first:
        message = f"{shown} appears twice in this record (first at line {first_line})"
    elif tuple(unicodedata.normalize("NFC", v) for v in key) == tuple(unicodedata.normalize("NFC", v) for v in first):
        message = (f"{shown} is written again at line {first_line}, there composed differently "
                   "(one spelling uses combining accents): the same text")
    else:
        message = f"{shown} is {', '.join(map(str, first))} (line {first_line}) again, up to letter case and Unicode composition"
    if issues.full(path, "duplicate-id", field):
        issues.hide(path)
        return
    issues.add(Issue(code="duplicate-id", message=message, path=path, line=where[0], column=where[1], table=child.name,
                     record_id=record_id, field=field,
                     hint="keep one spelling; list items are compared ignoring case and Unicode composition, NFC"))


def _read_record(reader: TableReader, record: Node, fixed: dict[str, str], stem: str, suffix: str, path: str,
                 out: dict[str, RawTable], issues: Collector) -> None:
    table = reader.table
    id_field = reader.id_field
    id_node = record.value.get(id_field)
    record_id = id_node.value if id_node is not None and isinstance(id_node.value, str) else None
    values, at, bad = _values(table, reader.fields, reader.allowed, record, fixed, path, record_id, issues)
    row = out[table.name].add(path, record.line, values, at, bad)
    rid = values.get(id_field)
    if not table.group_by and rid is not None and rid != stem and (reader.id_pattern is None or reader.id_pattern.fullmatch(rid)):
        line, column = out[table.name].where(id_field, row)
        issues.append(Issue(code="id-filename-mismatch", message=f"ID '{rid}' does not match the file name '{stem}{suffix}'",
                            path=path, line=line, column=column, table=table.name, record_id=rid, field=id_field,
                            hint=f"rename the file to {rid}{suffix} or set {id_field}: {stem}"))
    if reader.quotes_to is not None:
        _quote_row(reader, values, at, bad, record.line, path, out)
    _read_children(reader, record, record_id, path, out, issues)


def _quote_row(reader: TableReader, values: dict, at: dict, bad: set[str], line: int, path: str, out: dict[str, RawTable]) -> None:
    """A record's own quote (a claim's) as a row of the table of quotes (citations)."""
    table = reader.table
    if values.get(reader.id_field) is None or values.get("quote") is None:
        return  # reported as a missing ID or quote
    cited = {LIST_KEYS_TABLE_FIELD: table.name, LIST_KEYS_ID_FIELD: values[reader.id_field],
             "source_id": values.get("source_id"), "quote": values["quote"]}
    where = {LIST_KEYS_ID_FIELD: at.get(reader.id_field), "quote": at.get("quote")}
    out[reader.quotes_to.name].add(path, line, cited, where, {"quote"} & bad)


def read_file(reader: TableReader, file: Path, path: str, into: TablesOfRows | None = None) -> FileReading:
    """Load and shape-check one record file into rows of text; never raises on bad input.

    The rows are appended to `into` (the rows of a batch of files) when given, else to tables of their own.
    """
    import hashlib

    table = reader.table
    out = reader.empty() if into is None else into
    text, problems = read_text(file, path)
    issues = Collector()
    issues.extend(problems)
    if text is None:
        return FileReading(out, issues)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    root, parse_issues = parse_text(text, path)
    issues.extend(replace(i, table=table.name) if i.field and not i.table else i for i in parse_issues)
    issues.count_hidden(parse_issues.hidden)
    if root is None:
        return FileReading(out, issues, 0, digest)
    stem = file.name[: -len(file.suffix)] if file.suffix else file.name
    if table.group_by:
        if root.kind != "list":
            issues.append(Issue(code="wrong-shape", message=f"expected a list of {table.name} records, found a {root.kind}",
                                path=path, line=root.line, column=root.column, table=table.name,
                                hint=f"start each record with `- {table.id_field}: …`"))
            return FileReading(out, issues, 0, digest)
        records, fixed = root.value, {table.group_by: stem}
    else:
        if root.kind != "mapping":
            issues.append(Issue(code="wrong-shape", message=f"expected one {table.name} record (a mapping), found a {root.kind}",
                                path=path, line=root.line, column=root.column, table=table.name,
                                hint=f"the file holds one record: `{table.id_field}: {stem}` and its fields"))
            return FileReading(out, issues, 0, digest)
        records, fixed = [root], {}
    for record in records:
        if record.kind != "mapping":
            if issues.full(path, "wrong-shape"):
                issues.hide(path)
                continue
            issues.add(Issue(code="wrong-shape", message=f"expected a record (a mapping), found a {record.kind}",
                             path=path, line=record.line, column=record.column, table=table.name,
                             hint=_not_a_record_hint(record, table.id_field)))
            continue
        _read_record(reader, record, fixed, stem, file.suffix, path, out, issues)
    return FileReading(out, issues, len(records), digest)


def _not_a_record_hint(record: Node, id_field: str) -> str:
    """What to write instead of a list item that is not a mapping."""
    if record.kind == "null":
        return f"this `-` item is empty: delete the line, or write the record after the dash (`- {id_field}: …` and its fields)"
    if record.kind == "text":
        return f"a record is a mapping of fields: write `- {id_field}: {record.value[:40]}` and its fields on the lines below"
    return f"a record is a mapping of fields: write `- {id_field}: …`, then each field indented under it, not a list"
