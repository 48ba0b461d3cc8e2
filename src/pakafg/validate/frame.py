"""Table-level checks with the pandera model derived from each Table Schema.

Cross-field rules are declared in a schema's `x-checks` (e.g.
`{check: ordered, fields: [date_start, date_end]}`); this module turns each
kind of rule into a vectorised pandera `Check`, runs the derived
`DataFrameSchema` lazily, and maps every failure case back to the record's
file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from ..issues import Issue, PakafgError
from ..records import Row, row_columns
from ..schemas import PANDAS_DTYPES, TableSpec


@dataclass(frozen=True)
class Rule:
    """One cross-field rule: vectorised test, issue code, the field to blame, message per row."""

    code: str
    field: str
    fields: tuple[str, ...]
    test: Callable[[pd.DataFrame], pd.Series]
    message: Callable[[pd.Series], str]
    hint: str


def _ordered(fields: list[str]) -> list[Rule]:
    rules = []
    present = [f for f in fields if f]
    for i, low in enumerate(present):
        for high in present[i + 1:]:
            def test(df, low=low, high=high):
                both = df[low].notna() & df[high].notna()
                return ~both | (df[low] <= df[high]).fillna(True).astype(bool)

            rules.append(Rule("date-order", high, (low, high), test,
                              lambda r, low=low, high=high: f"{high} {_show(r[high])} is before {low} {_show(r[low])}",
                              f"{high} must not be before {low}; swap them or fix the typo"))
    return rules


def _together(fields: list[str]) -> list[Rule]:
    def test(df):
        n = sum(df[f].notna().astype(int) for f in fields)
        return (n == 0) | (n == len(fields))

    def message(r):
        missing = [f for f in fields if pd.isna(r[f])]
        given = [f for f in fields if not pd.isna(r[f])]
        return f"{', '.join(given)} given without {', '.join(missing)}"

    return [Rule("missing-companion", fields[-1], tuple(fields), test, message, f"{' and '.join(fields)} go together: set all or none")]


def _month_end(d: pd.Series) -> pd.Series:
    return d.dt.days_in_month == d.dt.day


def _precision_aligned(fields: list[str | None]) -> list[Rule]:
    start, end, precision = fields

    def test(df):
        p = df[precision]
        s = df[start]
        ok_start = ~((p == "month") & (s.dt.day != 1)) & ~((p == "year") & ((s.dt.day != 1) | (s.dt.month != 1)))
        ok = ok_start.fillna(True)
        if end:
            e = df[end]
            ok_end = ~((p == "month") & e.notna() & ~_month_end(e)) & ~((p == "year") & e.notna() & ((e.dt.month != 12) | (e.dt.day != 31)))
            ok = ok & ok_end.fillna(True)
        return ok.astype(bool)

    def message(r):
        return f"{start} {_show(r[start])}{' / ' + end + ' ' + _show(r[end]) if end else ''} does not fit precision '{r[precision]}'"

    return [Rule("precision-mismatch", start, tuple(f for f in fields if f), test, message,
                 "a month-precise date is the 1st (its end the month's last day); a year-precise one 1 January (end 31 December)")]


# qualifier -> which of (value, value_low, value_high) must be set
QUALIFIER_BOUNDS = {
    "exact": (True, False, False),
    "about": (True, False, False),
    "over": (False, True, False),
    "at_least": (False, True, False),
    "nearly": (False, False, True),
    "as_many_as": (False, False, True),
    "range": (False, True, True),
}


def _qualifier_bounds(fields: list[str]) -> list[Rule]:
    qualifier, value, low, high = fields

    def test(df):
        ok = pd.Series(True, index=df.index)
        q = df[qualifier]
        for name, (v, lo, hi) in QUALIFIER_BOUNDS.items():
            shape = (df[value].notna() == v) & (df[low].notna() == lo) & (df[high].notna() == hi)
            ok &= ~(q == name).fillna(False).astype(bool) | shape
        unqualified = q.isna() & (df[value].notna() | df[low].notna() | df[high].notna())
        return (ok & ~unqualified).astype(bool)

    def message(r):
        q = r[qualifier]
        if pd.isna(q):
            return "a number is given without a qualifier"
        want = [n for n, w in zip((value, low, high), QUALIFIER_BOUNDS[q]) if w]
        return f"qualifier '{q}' needs exactly {' and '.join(want)}"

    hint = "; ".join(f"{q}: {' + '.join(n for n, w in zip(('value', 'value_low', 'value_high'), b) if w)}" for q, b in QUALIFIER_BOUNDS.items())
    return [Rule("qualifier-bounds", qualifier, tuple(fields), test, message, hint)]


def _tombstone(fields: list[str]) -> list[Rule]:
    status, superseded_by = fields

    def test(df):
        sup = (df[status] == "superseded").fillna(False).astype(bool)
        return (sup == df[superseded_by].notna()).astype(bool)

    return [Rule("tombstone", superseded_by, tuple(fields), test,
                 lambda r: f"status is '{r[status]}' but superseded_by is {_show(r[superseded_by])}",
                 "set status: superseded together with superseded_by: <live id>; otherwise leave superseded_by out")]


def _distinct(fields: list[str]) -> list[Rule]:
    a, b = fields
    return [Rule("self-link", b, (a, b), lambda df: ~(df[a] == df[b]).fillna(False).astype(bool),
                 lambda r: f"{a} and {b} are both '{r[a]}'", "a record cannot be linked to itself")]


RULES: dict[str, Callable[[list], list[Rule]]] = {
    "ordered": _ordered,
    "together": _together,
    "precision_aligned": _precision_aligned,
    "qualifier_bounds": _qualifier_bounds,
    "tombstone": _tombstone,
    "distinct": _distinct,
}


def _show(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "empty"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def rules_for(spec: TableSpec) -> list[Rule]:
    rules = []
    for decl in spec.checks:
        try:
            rules.extend(RULES[decl["check"]](decl["fields"]))
        except (KeyError, TypeError, ValueError):  # a malformed schema: a message, not a traceback
            raise PakafgError(f"{spec.schema_path}: x-checks entry {decl!r} is not {{check: <{' | '.join(RULES)}>, "
                              f"fields: [the rule's fields]}}") from None
    return rules


def cross_field_checks(spec: TableSpec) -> list:
    """The table's `x-checks` as pandera Checks, in `rules_for` order (failures map back by check_number)."""
    import pandera.pandas as pa

    return [pa.Check(rule.test, name=rule.code, error=f"{rule.code}: {rule.hint}") for rule in rules_for(spec)]


def to_frame(spec: TableSpec, rows: list[Row], columns: set[str] | None = None) -> pd.DataFrame:
    """A DataFrame of the table's typed rows with the derived pandas dtypes (only `columns`, if given)."""
    data = {}
    fields = [f for f in spec.fields if columns is None or f["name"] in columns]
    for f, values in zip(fields, row_columns(rows, [f["name"] for f in fields])):
        name, kind = f["name"], f.get("type", "string")
        if kind == "date":
            data[name] = pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce").astype(PANDAS_DTYPES["date"])
        else:
            if not set(map(type, values)) <= _PLAIN_TYPES.get(kind, set()):  # only then is there anything to blank
                values = [v if _type_ok(kind, v) else None for v in values]
            data[name] = pd.Series(values, dtype=PANDAS_DTYPES[kind])
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


# value types `_type_ok` accepts as they are, per field type (checked for a whole column at C speed)
_PLAIN_TYPES = {"string": {str, type(None)}, "integer": {int, float, type(None)}, "number": {int, float, type(None)}}


def _type_ok(kind: str, value) -> bool:
    if value is None:
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind in ("integer", "number"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def check_frame(spec: TableSpec, rows: list[Row]) -> list[Issue]:
    """Run the table-level part of the derived pandera model; one issue per failing row and rule.

    Only the cross-field checks run here: the column rules of `to_pandera`
    (types, required, enums, patterns, bounds, lengths) are the same Table Schema
    constraints frictionless already enforced cell by cell while typing, and
    primary keys are checked with their file and line in `records`. Running them
    twice cost ~1 s per validate. Consumers (and a test over every published
    table) use the full model.
    """
    import pandera.errors
    import pandera.pandas as pa

    rules = rules_for(spec)
    if not rows or not rules:
        return []
    df = to_frame(spec, rows, {name for rule in rules for name in rule.fields})  # only what the rules read
    schema = pa.DataFrameSchema(checks=cross_field_checks(spec), name=spec.name)
    try:
        schema.validate(df, lazy=True)
        return []
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    issues = []
    reported: set[tuple[int, int]] = set()
    for case in cases.itertuples(index=False):
        index, number = case.index, case.check_number
        if index is None or pd.isna(index) or pd.isna(number):
            continue
        row, rule = rows[int(index)], rules[int(number)]
        if (int(index), int(number)) in reported or row.bad.intersection(rule.fields):
            continue  # already reported, or a consequence of an unreadable value
        reported.add((int(index), int(number)))
        line, col = row.where(rule.field)
        issues.append(Issue(code=rule.code, message=rule.message(df.loc[int(index)]), path=row.path, line=line, column=col,
                            table=spec.name, record_id=_record_id(spec, row), field=rule.field, hint=rule.hint))
    return issues


def _record_id(spec: TableSpec, row: Row) -> str | None:
    key = spec.primary_key[0] if spec.primary_key else None
    value = row.cells.get(key) if key else None
    return str(value) if value is not None else None
