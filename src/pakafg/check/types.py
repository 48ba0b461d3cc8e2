"""Typing: each field's column of text -> an Arrow column of the field's type, with every failure as an issue.

A whole column is typed at once (Arrow compute kernels), following the Table
Schema: `string`, `date` (`YYYY-MM-DD`, a real calendar day), `number`
(decimal digits with an optional exponent, finite), `integer` (digits, 64
bits), `boolean`; then the field's constraints (`required`, `enum`,
`pattern`, `minimum`/`maximum`, `minLength`/`maxLength`, `format: uri`).
Every value accepted here is read the same way by frictionless' own field
readers (tests/tool/test_types.py checks it); a few spellings frictionless
would also take are refused, because a contributor who writes them almost
surely meant something else: `1,000`, `1_000`, `NaN`, `Infinity`, digits of
other scripts, `2025-3-1`, and a pattern match that only succeeds before a
trailing newline (patterns must match the whole value).
A failing cell becomes null and is marked, so later checks do not report it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..issues import Collector, Issue, did_you_mean
from ..read import Rows
from ..schemas import LIST_KEYS_ID_FIELD, TableSpec
from ..targets import arrow_type, to_pyarrow

TYPE_HINTS = {
    "date": "write the date as YYYY-MM-DD",
    "number": "write digits only, e.g. 800000 or 2.5 (no thousands separators or words)",
    "integer": "write a whole number in digits",
    "boolean": "write true or false",
}
NUMBER = r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$"
INTEGER = r"^[-+]?[0-9]+$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
URL = r"^https?://[^\s/?#]+[^\s]*$"
MAX_URL_LENGTH = 2000
TRUE, FALSE = ("true", "True", "TRUE", "1"), ("false", "False", "FALSE", "0")  # frictionless' defaults


@dataclass
class TypedTable:
    """A table's typed columns in reading order, with the rows' places (from `raw`) and the unreadable cells."""

    spec: TableSpec
    raw: Rows
    data: pa.Table
    _columns: dict = field(default_factory=dict, repr=False)

    def where(self, name: str | None, row: int) -> tuple[int, int | None]:
        return self.raw.where(name, row)

    @property
    def bad(self) -> set[tuple[str, int]]:
        return self.raw.bad

    def column(self, name: str) -> list:
        """A column's values as Python objects (converted once)."""
        if name not in self._columns:
            self._columns[name] = self.data.column(name).to_pylist()
        return self._columns[name]

    def column_value(self, name: str, row: int):
        return self.column(name)[row]

    def record_id(self, row: int) -> str | None:
        return _record_id(self.spec, self.raw, row)

    def issue(self, row: int, field: str | None, code: str, message: str, hint: str, **more) -> Issue:
        """An issue at row `row`'s `field`: its file, line and column, this table and the record's ID (`more` overrides)."""
        line, column = self.where(field, row)
        return Issue(**{"code": code, "message": message, "path": self.raw.paths[row], "line": line, "column": column,
                        "table": self.spec.name, "record_id": self.record_id(row), "field": field, "hint": hint, **more})


def _rows(mask) -> np.ndarray:
    """Row indices where a boolean Arrow array is true (null counts as false)."""
    return np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))


def _parse(kind: str, text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(typed column, cells that are given but cannot be read as `kind`)."""
    if kind == "string":
        return text, pa.array(np.zeros(len(text), bool))
    if kind == "date":
        shaped = pc.match_substring_regex(text, DATE)
        stamp = pc.strptime(pc.if_else(shaped, text, None), format="%Y-%m-%d", unit="s", error_is_null=True)
        real = pc.equal(pc.strftime(stamp, format="%Y-%m-%d"), text)  # 2025-02-30 parses as 2025-03-02: not a real day
        typed = pc.cast(pc.if_else(real, stamp, None), pa.date32())
    elif kind == "number":
        shaped = pc.match_substring_regex(text, NUMBER)
        typed = pc.cast(pc.if_else(shaped, text, None), pa.float64())
        typed = pc.if_else(pc.is_finite(typed), typed, None)  # 1e400 reads as infinity
    elif kind == "integer":
        shaped = pc.fill_null(pc.match_substring_regex(text, INTEGER), False)
        numbers = [int(v) if ok else None for v, ok in zip(text.to_pylist(), shaped.to_pylist())]
        typed = pa.array([v if v is not None and -2**63 <= v < 2**63 else None for v in numbers], pa.int64())
    elif kind == "boolean":
        typed = pc.if_else(pc.is_in(text, pa.array(TRUE)), True, pc.if_else(pc.is_in(text, pa.array(FALSE)), False, None))
    else:
        raise ValueError(f"unknown field type {kind!r}")
    return typed, pc.and_(text.is_valid(), typed.is_null())


@dataclass(frozen=True)
class Failing:
    """One constraint's verdict on a column: which cells fail it, and how to say so for one value."""

    code: str
    mask: pa.Array
    message: object  # value -> text
    hint: object  # value -> text


def _constraint_failures(spec: TableSpec, name: str, text: pa.Array, typed: pa.Array):
    """A `Failing` for each constraint of the field."""
    f, c = spec.field(name), spec.constraints(name)
    if "enum" in c:
        allowed = ", ".join(map(str, c["enum"]))
        yield Failing(code="enum", mask=pc.invert(pc.is_in(text, pa.array([str(v) for v in c["enum"]]))),
                      message=lambda raw: f"'{raw}' is not an allowed value",
                      hint=lambda raw: " ".join(filter(None, [did_you_mean(raw, map(str, c["enum"])), f"allowed: {allowed}"])))
    if "pattern" in c:
        slug = c["pattern"].startswith("[a-z0-9]+(-")
        yield Failing(code="pattern", mask=pc.invert(pc.match_substring_regex(text, f"^(?:{c['pattern']})$")),
                      message=lambda raw: f"'{raw}' does not match the required pattern {c['pattern']}",
                      hint=lambda raw: "IDs are lowercase words joined by hyphens, e.g. ishaq-dar" if slug else f.get("description", ""))
    if "minimum" in c:
        yield Failing(code="minimum", mask=pc.less(typed, pa.scalar(c["minimum"]).cast(typed.type)),
                      message=lambda raw: f"'{raw}' is out of range", hint=lambda raw: f"minimum is {c['minimum']}")
    if "maximum" in c:
        yield Failing(code="maximum", mask=pc.greater(typed, pa.scalar(c["maximum"]).cast(typed.type)),
                      message=lambda raw: f"'{raw}' is out of range", hint=lambda raw: f"maximum is {c['maximum']}")
    if "minLength" in c:
        yield Failing(code="min-length", mask=pc.less(pc.utf8_length(text), c["minLength"]),
                      message=lambda raw: f"is {len(raw)} characters long", hint=lambda raw: f"at least {c['minLength']}")
    if "maxLength" in c:
        yield Failing(code="max-length", mask=pc.greater(pc.utf8_length(text), c["maxLength"]),
                      message=lambda raw: f"is {len(raw)} characters long",
                      hint=lambda raw: f"the limit is {c['maxLength']}; quote a sentence or less")
    if f.get("format") == "uri":
        wrong = pc.or_(pc.invert(pc.match_substring_regex(text, URL)), pc.greater(pc.utf8_length(text), MAX_URL_LENGTH))
        yield Failing(code="format", mask=wrong, message=lambda raw: f"'{raw[:80]}' is not a web address",
                      hint=lambda raw: f"write the page's http:// or https:// address (at most {MAX_URL_LENGTH} characters), or null")


def type_table(spec: TableSpec, raw: Rows, issues: Collector, how_to_add: dict[str, str] | None = None) -> TypedTable:
    """Type every column of `raw` by its field, adding one issue per failing cell to `issues`.

    `how_to_add` tells how a missing field is written where it is not `name: …`
    (a bare list item: `- …`).
    """
    columns = []

    def report(code: str, rows, name: str, message, hint, values=None) -> None:
        for row in rows:
            row = int(row)
            if (name, row) in raw.bad:
                continue
            if issues.full(raw.paths[row], code, name):
                issues.hide(raw.paths[row])
                continue
            line, column = raw.where(name, row)
            issues.add(Issue(code=code, message=message(raw.value(name, row) if values is None else values[row]), path=raw.paths[row], line=line, column=column,
                             table=spec.name, record_id=_record_id(spec, raw, row), field=name, hint=hint(raw.value(name, row) if values is None else values[row])))

    for f in spec.fields:
        name, kind = f["name"], f.get("type", "string")
        text = raw.text(name)
        default = spec.default(name)
        if default is not None and text.null_count:
            unreadable = pa.array(raw.bad.mask(name, len(raw))) if raw.bad else None
            filled = text.fill_null(default)
            text = pc.if_else(unreadable, text, filled) if unreadable is not None else filled
        typed, failed = _parse(kind, text)
        report("type-error", _rows(failed), name, lambda v, kind=kind: f"'{v}' is not a valid {kind}",
               lambda v, kind=kind: TYPE_HINTS.get(kind, ""))
        raw.bad.update((name, int(row)) for row in _rows(failed))
        if spec.required(name) and not spec.computed(name):
            missing = _rows(typed.is_null())
            description = f.get("description", "")
            how = (how_to_add or {}).get(name, f"add `{name}: …`")
            report("required", missing, name, lambda v: "is required", lambda v, how=how: f"{how} — {description}".strip(" —"))
            raw.bad.update((name, int(row)) for row in missing)
        given = pc.if_else(failed, None, text)
        shown = None
        for failing in _constraint_failures(spec, name, given, typed):
            rows = _rows(pc.and_(given.is_valid(), failing.mask))
            if len(rows):
                shown = given.to_pylist() if shown is None else shown
                report(failing.code, rows, name, failing.message, failing.hint, shown)
        columns.append(typed.cast(arrow_type(kind)))
    return TypedTable(spec, raw, pa.Table.from_arrays(columns, schema=to_pyarrow(spec)))


def _record_id(spec: TableSpec, raw: Rows, row: int) -> str | None:
    """The ID of the record a row belongs to: its own key, or its parent's (a citation's `record_id`)."""
    key = LIST_KEYS_ID_FIELD if LIST_KEYS_ID_FIELD in raw.fields else (spec.primary_key or [None])[0]
    value = raw.value(key, row) if key else None
    return None if value is None else str(value)
