"""Derived, analysis-ready tables, computed at build time from the published tables.

A derived table is a resource of `datapackage.yaml` marked `records: {derived: true}`
with its own Table Schema in `schemas/` (which says what it is derived from and how);
it has no record files. Each function below makes one of them from the compiled
tables (`dict[str, pa.Table]` in published form: columns in schema order, sorted by
primary key, typed) and nothing else, with Arrow compute kernels over whole columns:
time and memory grow linearly with the rows.

- `numeric_claims`: one row per numeric claim with its figure as one honest interval and a display text;
- `claim_relations`: every claim link in both directions;
- `claim_attribution`: what kind of claimant makes each claim;
- `event_timeline`: events with sort bounds, end status, place name, participants and source counts;
- `event_fatalities`: UCDP-style low / best / high deaths per event and death measure.

Derived tables cover live records only (`status: active`); tombstones stay in the
record tables. `derived_tables(spec, tables)` computes every derived resource the
package lists, each conformed to its schema (column order, types, primary-key
order, one chunk), so every exporter writes them as it writes the record tables.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .issues import PakafgError
from .schemas import LIVE, PackageSpec, TableSpec
from .targets import to_pyarrow

MEASURES = "measures"  # the vocabulary of measures, when the package has it (measure_id, unit, counts_deaths, …)

# qualifier -> how figure_text reads the number ("over 800,000"); a qualifier missing here reads "<qualifier> <n>"
QUALIFIER_TEXT = {"exact": "", "about": "about ", "over": "over ", "at_least": "at least ", "nearly": "nearly ",
                  "as_many_as": "as many as "}
RANGE = "range"  # reads "between <low> and <high>"
POINT = ("exact", "about")  # the qualifiers that state one value (claims.value)
EXCLUSIVE_LOW = ("over",)  # "over 60": 60 itself is not allowed
EXCLUSIVE_HIGH = ("nearly",)  # "nearly one million": just under it
DEATH_WORDS = r"(^|-)(deaths?|killed|dead|fatalities)(-|$)"  # death measures when there is no measures table


# --- helpers -------------------------------------------------------------------------------------------------------

def _array(column) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def live_rows(table: pa.Table, columns: list[str] | None = None, where=None) -> pa.Table:
    """The rows of live records (all rows of a table without `status`) that meet `where` (a mask), with only `columns`
    (those the table has): long text columns the caller does not read are never copied."""
    keep = table if columns is None else table.select([c for c in columns if c in table.column_names])
    mask = pc.fill_null(pc.equal(table["status"], LIVE), False) if "status" in table.column_names else None
    if where is not None:
        mask = where if mask is None else pc.and_(mask, where)
    if mask is None or pc.all(mask).as_py() is not False:  # every row: no copy
        return keep
    return keep.filter(mask)


def _lookup(keys, table: pa.Table, key: str, value: str) -> pa.Array:
    """`table[value]` of the row whose `table[key]` equals each of `keys` (null where none does): a hash join of one column."""
    return pc.take(_array(table[value]), pc.index_in(_array(keys), value_set=_array(table[key])))


def _column(table: pa.Table, name: str, kind: pa.DataType) -> pa.Array:
    """A column, or nulls of `kind` when the table does not have it (a field another branch of the schemas adds)."""
    if name in table.column_names:
        return _array(table[name])
    return pa.nulls(table.num_rows, kind)


def _constant(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def _texts(values: pa.Array, render: Callable) -> pa.Array:
    """`render(v)` for each value, computed once per distinct value (codes and figures repeat)."""
    values = _array(values)
    distinct = pc.unique(values.drop_null())
    texts = pa.array([render(v) for v in distinct.to_pylist()], pa.string())
    return pc.take(texts, pc.index_in(values, value_set=distinct))


def number_text(value: float) -> str:
    """A figure as a reader writes it: thousands separated by commas, no trailing `.0` ("800,000", "2.5", "1,234.5")."""
    if value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    text = repr(float(value))
    if "e" in text:
        return text
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{fraction}"


def number_texts(values) -> pa.Array:
    """`number_text` of a float column (nulls stay null): whole numbers with Arrow kernels, any other value in Python."""
    values = _array(values).cast(pa.float64())
    null = pa.scalar(None, pa.float64())
    whole = pc.fill_null(pc.and_(pc.equal(pc.floor(values), values), pc.less(pc.abs(values), 1e15)), False)
    text = pc.cast(pc.cast(pc.if_else(whole, values, null), pa.int64()), pa.string())
    for _ in range(5):  # a comma before each group of three digits from the right, one group per pass (< 1e15)
        text = pc.replace_substring_regex(text, r"(\d)(\d{3})(,|$)", r"\1,\2\3")
    rest = pc.if_else(whole, null, values)
    if rest.null_count == len(rest):
        return text
    return pc.coalesce(text, _texts(rest, number_text))


def _group(table: pa.Table, keys: list[str], aggregations: list) -> pa.Table:
    """`group_by(...).aggregate(...)` in a fixed order (first appearance; lists keep row order)."""
    return table.group_by(keys, use_threads=False).aggregate(aggregations)


def _joined(lists) -> pa.Array:
    return pc.binary_join(_array(lists), "; ")


# --- the tables ----------------------------------------------------------------------------------------------------

def numeric_claims(spec: PackageSpec, tables: dict[str, pa.Table]) -> pa.Table:
    """One row per live claim that states a number, its figure as one interval and a display text.

    The interval follows the qualifier (claims.qualifier, whose bounds the
    `qualifier_bounds` rule has checked): exact/about give value..value; over an
    exclusive and at_least an inclusive lower bound; nearly an exclusive and
    as_many_as an inclusive upper bound; range both bounds.
    """
    claims = tables["claims"]
    claims = live_rows(claims, ["claim_id", "source_id", "claimant_actor_id", "event_id", "measure", "unit", "qualifier", "value",
                            "value_low", "value_high", "period_start", "period_end", "period_precision", "period_phrase"],
                   where=pc.is_valid(claims["qualifier"]))
    qualifier = _array(claims["qualifier"])
    value, low, high = (_array(claims[n]) for n in ("value", "value_low", "value_high"))
    is_range = pc.fill_null(pc.equal(qualifier, RANGE), False)
    figure = pc.if_else(is_range, pa.scalar(None, pa.float64()), pc.coalesce(value, low, high))
    figure_low, figure_high = pc.coalesce(low, value), pc.coalesce(high, value)
    null_bool = pa.scalar(None, pa.bool_())
    low_inclusive = pc.if_else(pc.is_valid(figure_low), pc.invert(pc.is_in(qualifier, pa.array(EXCLUSIVE_LOW))), null_bool)
    high_inclusive = pc.if_else(pc.is_valid(figure_high), pc.invert(pc.is_in(qualifier, pa.array(EXCLUSIVE_HIGH))), null_bool)
    prefix = _texts(qualifier, lambda q: QUALIFIER_TEXT.get(q, q.replace("_", " ") + " "))
    single = pc.binary_join_element_wise(prefix, number_texts(figure), "")
    between = pc.binary_join_element_wise("between ", number_texts(figure_low), " and ", number_texts(figure_high), "")
    text = pc.if_else(is_range, between, single)
    unit = _column(claims, "unit", pa.string())
    if MEASURES in tables and "unit" in tables[MEASURES].column_names:  # the measure's unit (claims.unit removed)
        unit = pc.coalesce(unit, _lookup(claims["measure"], tables[MEASURES], spec.tables[MEASURES].id_field, "unit"))
    return pa.table({
        "claim_id": claims["claim_id"], "source_id": claims["source_id"], "claimant_actor_id": claims["claimant_actor_id"],
        "event_id": claims["event_id"], "measure": claims["measure"], "unit": unit, "qualifier": qualifier,
        "figure": figure, "figure_low": figure_low, "figure_low_inclusive": low_inclusive, "figure_high": figure_high,
        "figure_high_inclusive": high_inclusive, "figure_text": text, "period_start": claims["period_start"],
        "period_end": claims["period_end"], "period_precision": claims["period_precision"],
        "period_phrase": claims["period_phrase"],
    })


def relation_labels(spec: PackageSpec, table: str = "claim_relations") -> dict[str, tuple[str, str]]:
    """relation -> (forward label, inverse label), from the `x-labels` of the derived table's `label` field."""
    try:
        declared = spec.tables[table].field("label").get("x-labels") or {}
    except KeyError:
        declared = {}
    return {relation: (str(pair[0]), str(pair[1])) for relation, pair in declared.items()}


def claim_relations(spec: PackageSpec, tables: dict[str, pa.Table]) -> pa.Table:
    """Every link between two live claims twice: as written (forward) and from the other claim's side (inverse)."""
    links = tables["claim_links"]
    live = _array(live_rows(tables["claims"], ["claim_id"])["claim_id"])
    links = links.filter(pc.and_(pc.is_in(links["claim_id"], value_set=live), pc.is_in(links["other_claim_id"], value_set=live)))
    labels = relation_labels(spec)

    def label(relation: str, side: int) -> str:
        words = relation.replace("_", " ")
        return labels[relation][side] if relation in labels else (words if side == 0 else f"{words} (inverse)")

    n = links.num_rows
    forward = {"claim_id": links["claim_id"], "other_claim_id": links["other_claim_id"], "relation": links["relation"],
               "direction": _constant("forward", n), "label": _texts(links["relation"], lambda r: label(r, 0)),
               "note": links["note"]}
    inverse = {**forward, "claim_id": links["other_claim_id"], "other_claim_id": links["claim_id"],
               "direction": _constant("inverse", n), "label": _texts(links["relation"], lambda r: label(r, 1))}
    return pa.concat_tables([pa.table(forward), pa.table(inverse)])



def claim_attribution(spec: PackageSpec, tables: dict[str, pa.Table]) -> pa.Table:
    """Each live claim's claimant and its kind: outlet_own_voice, unnamed_official_or_group, named_person, named_institution.

    In this order: the claimant is the source's publisher_actor_id; the actor is
    anonymous; its actor_type is person; anything else is a named institution.
    """
    claims = live_rows(tables["claims"], ["claim_id", "source_id", "claimant_actor_id", "speech_act", "attribution"])
    actors, sources = tables["actors"], tables["sources"]
    claimant = claims["claimant_actor_id"]
    actor_type = _lookup(claimant, actors, "actor_id", "actor_type")
    anonymous = (_lookup(claimant, actors, "actor_id", "anonymous") if "anonymous" in actors.column_names
                 else pa.nulls(claims.num_rows, pa.bool_()))
    publisher = (_lookup(claims["source_id"], sources, "source_id", "publisher_actor_id")
                 if "publisher_actor_id" in sources.column_names else pa.nulls(claims.num_rows, pa.string()))
    own_voice = pc.fill_null(pc.equal(_array(claimant), publisher), False)
    unnamed = pc.fill_null(anonymous, False)
    person = pc.fill_null(pc.equal(actor_type, "person"), False)
    kind = pc.if_else(own_voice, "outlet_own_voice",
                      pc.if_else(unnamed, "unnamed_official_or_group", pc.if_else(person, "named_person", "named_institution")))
    return pa.table({
        "claim_id": claims["claim_id"], "source_id": claims["source_id"], "claimant_actor_id": claimant,
        "claimant_name": _lookup(claimant, actors, "actor_id", "name"), "claimant_actor_type": actor_type,
        "claimant_kind": kind, "speech_act": claims["speech_act"], "attribution": claims["attribution"],
        "publisher_actor_id": publisher,
    })


def _period_end(start: pa.Array, precision: pa.Array) -> pa.Array:
    """The last day a date can denote at its precision: itself (day), its month's last day, 31 December (year)."""
    days = _array(start).to_numpy(zero_copy_only=False).astype("datetime64[D]")  # nulls are NaT
    month_end = (days.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    year_end = (days.astype("datetime64[Y]") + 1).astype("datetime64[D]") - 1
    is_month = pc.fill_null(pc.equal(precision, "month"), False).to_numpy(zero_copy_only=False)
    is_year = pc.fill_null(pc.equal(precision, "year"), False).to_numpy(zero_copy_only=False)
    end = np.where(is_year, year_end, np.where(is_month, month_end, days))
    return pa.array(end, pa.date32(), mask=np.isnat(end))


def event_timeline(spec: PackageSpec, tables: dict[str, pa.Table]) -> pa.Table:
    """Each live event with honest sort bounds, end status, time order, place name, participants and source counts."""
    events = live_rows(tables["events"], ["event_id", "event_type", "event_subtype", "title", "date_start", "date_end",
                                      "date_precision", "date_phrase", "ongoing", "place_id", "parent_event_id"])
    event_ids = _array(events["event_id"])
    n = events.num_rows
    start, end = _array(events["date_start"]), _array(events["date_end"])
    sort_end = pc.coalesce(end, _period_end(start, events["date_precision"]))
    ongoing = pc.fill_null(_column(events, "ongoing", pa.bool_()), False)
    end_status = pc.if_else(ongoing, "ongoing", pc.if_else(pc.is_valid(end), "ended", "end_unknown"))
    undated = pc.is_null(start)
    order = pc.sort_indices(pa.table({"undated": undated, "start": start, "end": sort_end, "id": event_ids}),
                            sort_keys=[("undated", "ascending"), ("start", "ascending"), ("end", "ascending"),
                                       ("id", "ascending")])
    sequence = np.empty(n, np.int64)
    sequence[order.to_numpy()] = np.arange(1, n + 1, dtype=np.int64)

    participants = tables["event_actors"]
    participants = participants.filter(pc.is_in(participants["event_id"], value_set=event_ids))
    names = pc.coalesce(_lookup(participants["actor_id"], tables["actors"], "actor_id", "name"), participants["actor_id"])
    items = participants.append_column("item", pc.binary_join_element_wise(names, " (", participants["role"], ")", ""))
    taking_part = _group(items, ["event_id"], [("item", "list"), ("actor_id", "count_distinct")])

    claims = tables["claims"]
    claims = live_rows(claims, ["claim_id", "event_id", "source_id"], where=pc.is_valid(claims["event_id"]))
    citations = tables["citations"]
    citations = citations.select(["record_id", "source_id"]).filter(pc.fill_null(pc.equal(citations["record_table"], "events"), False))
    cited = pa.concat_tables([
        pa.table({"event_id": _array(citations["record_id"]), "source_id": _array(citations["source_id"])}),
        pa.table({"event_id": _array(claims["event_id"]), "source_id": _array(claims["source_id"])}),
    ])
    sources = _group(cited, ["event_id"], [("source_id", "count_distinct")])
    claim_counts = _group(claims, ["event_id"], [("claim_id", "count")])

    def count(table: pa.Table, column: str) -> pa.Array:
        return pc.fill_null(_lookup(event_ids, table, "event_id", column), 0)

    return pa.table({
        "event_id": event_ids, "event_type": events["event_type"], "event_subtype": events["event_subtype"],
        "title": events["title"], "date_start": start, "date_end": end, "date_precision": events["date_precision"],
        "date_phrase": events["date_phrase"], "sort_start": start, "sort_end": sort_end, "end_status": end_status,
        "undated": undated, "sequence": sequence, "place_id": events["place_id"],
        "place_name": _lookup(events["place_id"], tables["places"], "place_id", "name"),
        "parent_event_id": events["parent_event_id"],
        "participants": _lookup(event_ids, taking_part.append_column("text", _joined(taking_part["item_list"])),
                                "event_id", "text"),
        "participant_count": count(taking_part, "actor_id_count_distinct"),
        "source_count": count(sources, "source_id_count_distinct"),
        "claim_count": count(claim_counts, "claim_id_count"),
    })


def death_measures(spec: PackageSpec, tables: dict[str, pa.Table], measure: pa.Array) -> pa.Array:
    """Which of `measure` count deaths: measures.counts_deaths where the package has that table, else the slug's words."""
    vocabulary = tables.get(MEASURES)
    if vocabulary is not None and "counts_deaths" in vocabulary.column_names:
        key = spec.tables[MEASURES].id_field
        deaths = live_rows(vocabulary, [key], where=pc.fill_null(vocabulary["counts_deaths"], False))[key]
        return pc.is_in(measure, value_set=_array(deaths))
    return pc.fill_null(pc.match_substring_regex(measure, DEATH_WORDS), False)


def event_fatalities(spec: PackageSpec, tables: dict[str, pa.Table]) -> pa.Table:
    """Low / best / high deaths per live event and death measure, from the numeric claims tied to the event.

    low and high are the lowest and highest figure any claim states (a point or
    either bound), best the lowest point figure (exact/about), high_open whether
    the highest figure is only a lower bound. Sources are not reconciled: every
    figure is listed with its claim.
    """
    figures = tables["numeric_claims"]  # derived first (INPUTS)
    live_events = _array(live_rows(tables["events"], ["event_id"])["event_id"])
    figures = figures.filter(pc.and_(pc.is_in(figures["event_id"], value_set=live_events),
                                     death_measures(spec, tables, _array(figures["measure"]))))
    low, high = _array(figures["figure_low"]), _array(figures["figure_high"])
    null = pa.scalar(None, pa.float64())
    work = pa.table({
        "event_id": figures["event_id"], "measure": figures["measure"], "claim_id": figures["claim_id"],
        "source_id": figures["source_id"],
        "smallest": pc.min_element_wise(low, high), "largest": pc.max_element_wise(low, high),
        "point": pc.if_else(pc.is_in(figures["qualifier"], pa.array(POINT)), figures["figure"], null),
        "open": pc.if_else(pc.is_null(high), low, null),  # a figure with no ceiling: over, at_least
        "item": pc.binary_join_element_wise(figures["figure_text"], " (", figures["claim_id"], ")", ""),
    })
    grouped = _group(work, ["event_id", "measure"], [("smallest", "min"), ("point", "min"), ("largest", "max"), ("open", "max"),
                                                     ("claim_id", "count"), ("source_id", "count_distinct"), ("item", "list")])
    high = grouped["largest_max"]
    return pa.table({
        "event_id": grouped["event_id"], "measure": grouped["measure"], "low": grouped["smallest_min"],
        "best": grouped["point_min"], "high": high,
        "high_open": pc.fill_null(pc.equal(grouped["open_max"], high), False),
        "claim_count": grouped["claim_id_count"], "source_count": grouped["source_id_count_distinct"],
        "figures": _joined(grouped["item_list"]),
    })


DERIVED: dict[str, Callable[[PackageSpec, dict[str, pa.Table]], pa.Table]] = {
    "numeric_claims": numeric_claims,
    "claim_relations": claim_relations,
    "claim_attribution": claim_attribution,
    "event_timeline": event_timeline,
    "event_fatalities": event_fatalities,
}

# What each derived table is computed from: table -> the columns read (None: all). A function sees only these
# (a column a package lacks is simply absent), so the list cannot fall behind the code, and a reader sees what
# each derived table depends on.
_CLAIM = ["claim_id", "status"]
INPUTS: dict[str, dict[str, list[str] | None]] = {
    "numeric_claims": {
        "claims": [*_CLAIM, "source_id", "claimant_actor_id", "event_id", "measure", "unit", "qualifier", "value", "value_low",
                   "value_high", "period_start", "period_end", "period_precision", "period_phrase"],
        MEASURES: ["measure_id", "unit", "status"]},
    "claim_relations": {"claim_links": ["claim_id", "other_claim_id", "relation", "note"], "claims": _CLAIM},
    "claim_attribution": {
        "claims": [*_CLAIM, "source_id", "claimant_actor_id", "speech_act", "attribution"],
        "actors": ["actor_id", "name", "actor_type", "anonymous"], "sources": ["source_id", "publisher_actor_id"]},
    "event_timeline": {
        "events": ["event_id", "status", "event_type", "event_subtype", "title", "date_start", "date_end", "date_precision",
                   "date_phrase", "ongoing", "place_id", "parent_event_id"],
        "places": ["place_id", "name"], "event_actors": ["event_id", "actor_id", "role"], "actors": ["actor_id", "name"],
        "citations": ["record_table", "record_id", "source_id"], "claims": [*_CLAIM, "event_id", "source_id"]},
    "event_fatalities": {"numeric_claims": None, "events": ["event_id", "status"],
                         MEASURES: ["measure_id", "counts_deaths", "status"]},
}


# --- into the release ----------------------------------------------------------------------------------------------

def conform(spec: TableSpec, table: pa.Table) -> pa.Table:
    """`table` in published form: the schema's columns in order and types, sorted by primary key, one chunk."""
    schema = to_pyarrow(spec)
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise PakafgError(f"derived table {spec.name}: {spec.schema_path} lists {', '.join(missing)}, "
                          "which derived.py does not compute")
    columns = [_array(table[f.name]).cast(f.type) for f in schema]
    table = pa.Table.from_arrays(columns, schema=schema)
    order = pc.sort_indices(table, sort_keys=[(k, "ascending", "at_start") for k in spec.primary_key or spec.field_names])
    return table.take(order).combine_chunks()


def _inputs(name: str, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The tables derived table `name` is computed from, with only the columns it reads (`INPUTS`; no copy)."""
    return {table: tables[table] if columns is None else tables[table].select([c for c in columns if c in tables[table].column_names])
            for table, columns in INPUTS.get(name, {}).items() if table in tables}


def _make(spec: PackageSpec, table: TableSpec, available: dict[str, pa.Table]) -> pa.Table:
    make = DERIVED.get(table.name)
    if make is None:
        raise PakafgError(f"datapackage.yaml: resource '{table.name}' is marked derived, but derived.py has no table of "
                          f"that name (it makes: {', '.join(DERIVED)})")
    try:
        made = make(spec, _inputs(table.name, available))
    except KeyError as exc:  # a table or column it is computed from is not in this package
        raise PakafgError(f"datapackage.yaml: derived table '{table.name}' needs {exc} (see its description in "
                          f"{table.schema_path}); list that table or column, or remove '{table.name}'") from None
    return conform(table, made)


def derived_tables(spec: PackageSpec, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Every derived table `datapackage.yaml` lists, computed from `tables` (published form), in resource order.

    A derived table may use one listed before it (event_fatalities reads numeric_claims).
    """
    available = dict(tables)
    out = {}
    for table in spec.derived_tables():
        out[table.name] = available[table.name] = _make(spec, table, available)
    return out

