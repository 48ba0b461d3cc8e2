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
from ..schemas import TableSpec
from .types import TypedTable

PANDAS_DTYPES = {"string": "str", "integer": "Int64", "number": "Float64", "boolean": "boolean", "date": "datetime64[s]"}


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


def _dated(fields: list[str]) -> list[Rule]:
    """A precision exactly when a date is given; an end without a start only for a range ("before 11 October")."""
    start, end, precision = fields

    def test(df):
        dated = df[start].notna() | df[end].notna()
        ranged = (df[precision] == "range").fillna(False).astype(bool)
        return ((dated == df[precision].notna()) & ~(df[end].notna() & df[start].isna() & ~ranged)).astype(bool)

    def message(r):
        if pd.isna(r[precision]):
            return f"{start if not pd.isna(r[start]) else end} given without {precision}"
        if pd.isna(r[start]) and pd.isna(r[end]):
            return f"{precision} given without {start} or {end}"
        return f"{end} given without {start} (precision '{r[precision]}')"

    return [Rule("missing-companion", precision, tuple(fields), test, message,
                 f"give {precision} with the dates; only precision range may leave {start} empty (a date known to lie before {end})")]


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


def _open_ended(fields: list[str]) -> list[Rule]:
    """An event still under way has no end date: `ongoing: true` with a `date_end` says two things at once."""
    flag, end = fields

    def test(df):
        return ~((df[flag] == True).fillna(False).astype(bool) & df[end].notna())  # noqa: E712 - a nullable boolean column

    return [Rule("ongoing-with-end", end, (flag, end), test, lambda r: f"{flag} is true but {end} is {_show(r[end])}",
                 f"an ongoing event has no {end}: remove {end}, or set {flag}: false if the sources say it ended")]


RULES: dict[str, Callable[[list], list[Rule]]] = {
    "ordered": _ordered,
    "together": _together,
    "dated": _dated,
    "precision_aligned": _precision_aligned,
    "qualifier_bounds": _qualifier_bounds,
    "tombstone": _tombstone,
    "distinct": _distinct,
    "open_ended": _open_ended,
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


def to_frame(table: TypedTable, columns: set[str] | None = None):
    """A DataFrame of the table's typed columns (only `columns`, if given), with the pandas dtypes of `to_pandera`."""
    names = [n for n in table.spec.field_names if columns is None or n in columns]
    data = {}
    for name in names:
        kind = table.spec.type_of(name)
        column = table.data.column(name)
        if kind == "date":
            data[name] = pd.Series(column.cast("timestamp[s]").to_numpy(zero_copy_only=False), dtype=PANDAS_DTYPES["date"])
        else:
            data[name] = pd.Series(column.to_pylist(), dtype=PANDAS_DTYPES[kind])
    return pd.DataFrame(data, index=pd.RangeIndex(table.data.num_rows))


def to_pandera(spec: TableSpec):
    """A pandera `DataFrameSchema` for the table, derived from its Table Schema.

    Consumers can validate a published CSV/Parquet with it (see README). Columns,
    dtypes, nullability, enums, patterns, bounds and the primary key come from
    the schema; cross-field rules from its `x-checks`.
    """
    import pandera.pandas as pa

    columns = {}
    for f in spec.fields:
        c = f.get("constraints", {})
        checks = []
        if "enum" in c:
            checks.append(pa.Check.isin(c["enum"]))
        if "pattern" in c:
            checks.append(pa.Check.str_matches(f"(?:{c['pattern']})\\Z"))  # frictionless patterns match whole values
        if "minimum" in c:
            checks.append(pa.Check.ge(c["minimum"]))
        if "maximum" in c:
            checks.append(pa.Check.le(c["maximum"]))
        if "maxLength" in c:
            checks.append(pa.Check.str_length(max_value=c["maxLength"]))
        columns[f["name"]] = pa.Column(PANDAS_DTYPES[f.get("type", "string")], checks=checks,
                                       nullable=not c.get("required", False), unique=bool(c.get("unique")), required=True,
                                       description=f.get("description"))
    return pa.DataFrameSchema(columns, checks=cross_field_checks(spec), unique=spec.primary_key if len(spec.primary_key) > 1 else None,
                              name=spec.name, strict=True, ordered=True)


def check_frame(table: TypedTable) -> list[Issue]:
    """Run the table's cross-field rules (the `x-checks` part of `to_pandera`); one issue per failing row and rule.

    The column rules of the full model (types, required, enums, patterns,
    bounds, lengths) are the Table Schema constraints `types.py` already
    checked with each cell's file and line; consumers use the full model.
    """
    import pandera.errors
    import pandera.pandas as pa

    spec = table.spec
    rules = rules_for(spec)
    if not table.data.num_rows or not rules:
        return []
    df = to_frame(table, {name for rule in rules for name in rule.fields})  # only what the rules read
    try:
        pa.DataFrameSchema(checks=cross_field_checks(spec), name=spec.name).validate(df, lazy=True)
        return []
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    issues, reported = [], set()
    for case in cases.itertuples(index=False):
        index, number = case.index, case.check_number
        if index is None or pd.isna(index) or pd.isna(number):
            continue
        row, rule = int(index), rules[int(number)]
        if (row, int(number)) in reported or any((name, row) in table.bad for name in rule.fields):
            continue  # already reported, or a consequence of an unreadable value
        reported.add((row, int(number)))
        issues.append(table.issue(row, rule.field, rule.code, rule.message(df.loc[row]), rule.hint))
    return issues
