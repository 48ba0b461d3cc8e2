"""Referential integrity: foreign keys, tombstones and parent chains.

Foreign keys come from each Table Schema's `foreignKeys`; the polymorphic
`citations.record_table/record_id` pair is resolved against the named table.
Withdrawn records stay resolvable (tombstones) but live records must not point
at them, and `superseded_by` must point at a live record.
"""

from __future__ import annotations

import difflib

from ..issues import Issue
from ..records import Collection, Row, row_columns
from ..schemas import LIST_KEYS_ID_FIELD, LIST_KEYS_TABLE_FIELD

LIVE = "active"


def _suggest(value: str, keys: dict) -> str:
    if len(keys) > 50_000:  # keep error reporting linear on huge packages
        return ""
    match = difflib.get_close_matches(value, keys.keys(), n=1, cutoff=0.75)
    return f"did you mean '{match[0]}'?" if match else ""


def _index(coll: Collection, table: str) -> dict[str, Row]:
    spec = coll.spec.tables[table]
    key = spec.primary_key[0]
    return {row.cells[key]: row for row in coll.rows[table] if row.cells.get(key) is not None}


def _ref_issue(row: Row, table: str, field: str, code: str, message: str, hint: str) -> Issue:
    line, col = row.where(field)
    return Issue(code=code, message=message, path=row.path, line=line, column=col, table=table, field=field, hint=hint)


def _status_of(coll: Collection, indexes: dict[str, dict[str, Row]], name: str):
    """A row's lifecycle status; a child row (participant, link, citation) lives and dies with its parent."""
    spec = coll.spec.tables[name]
    if not spec.is_child:
        return lambda row: row.cells.get("status", LIVE)
    if LIST_KEYS_TABLE_FIELD in spec.field_names:
        def polymorphic(row: Row) -> str:
            parent = indexes.get(row.cells.get(LIST_KEYS_TABLE_FIELD), {}).get(row.cells.get(LIST_KEYS_ID_FIELD))
            return parent.cells.get("status", LIVE) if parent else LIVE
        return polymorphic
    parent_table = spec.parents[0]
    parent_key = coll.spec.tables[parent_table].id_field
    parents = indexes.get(parent_table, {})

    def child(row: Row) -> str:
        parent = parents.get(row.cells.get(parent_key))
        return parent.cells.get("status", LIVE) if parent else LIVE
    return child


def check_links(coll: Collection) -> list[Issue]:
    """Every foreign key resolves; live rows point at live records; no self-references or parent loops."""
    issues: list[Issue] = []
    indexes = {t.name: _index(coll, t.name) for t in coll.spec.record_tables() if t.id_field}
    # IDs of live records: a reference to one of these is fine whoever makes it (no issue below but self-links)
    live = {name: {key for key, row in keys.items() if row.cells.get("status", LIVE) == LIVE} for name, keys in indexes.items()}
    for name, spec in coll.spec.tables.items():
        rows = coll.rows[name]
        wanted = [fk["fields"][0] for fk in spec.foreign_keys if len(fk["fields"]) == 1] + spec.primary_key[:1]
        if LIST_KEYS_TABLE_FIELD in spec.field_names:
            wanted += [LIST_KEYS_TABLE_FIELD, LIST_KEYS_ID_FIELD]
        wanted = list(dict.fromkeys(wanted))
        column = dict(zip(wanted, row_columns(rows, wanted)))  # each field's values, read in one pass over the rows
        for fk in spec.foreign_keys:
            (field,) = fk["fields"]
            target = fk["reference"]["resource"] or name
            keys = indexes.get(target)
            if keys is None:
                continue
            status_of = _status_of(coll, indexes, name)
            values = column[field]
            suspect = set(values).difference(live[target])  # missing or not live; most packages: none
            suspect.discard(None)
            if target == name:  # a self-reference needs a look at the row's own ID too
                own = column[spec.primary_key[0]]
                todo = [i for i, (value, key) in enumerate(zip(values, own)) if value is not None and (value == key or value in suspect)]
            elif suspect:
                todo = [i for i, value in enumerate(values) if value in suspect]
            else:
                continue
            for i in todo:  # the rows that may be wrong, in order; the same checks as for every row
                row = rows[i]
                value = row.cells.get(field)
                if value is None:
                    continue
                if target == name and value == row.cells.get(spec.primary_key[0]):
                    issues.append(_ref_issue(row, name, field, "self-link", f"'{value}' refers to itself",
                                             "a record cannot be its own parent or replacement; remove the self-reference"))
                    continue
                ref = keys.get(value)
                if ref is None:
                    issues.append(_ref_issue(row, name, field, "foreign-key", f"'{value}' is not a known {target} ID",
                                             _suggest(value, keys) or f"add {coll.spec.tables[target].directory}/{value}.yaml or fix the ID"))
                    continue
                status, ref_status = status_of(row), ref.cells.get("status", LIVE)
                if field == "superseded_by" and ref_status != LIVE:
                    issues.append(_ref_issue(row, name, field, "dead-reference", f"superseded_by points at '{value}', which is {ref_status}",
                                             f"point at the live record that replaced it ({ref.cells.get('superseded_by') or 'none'})"))
                elif field != "superseded_by" and status == LIVE and ref_status == "withdrawn":
                    issues.append(_ref_issue(row, name, field, "dead-reference", f"'{value}' is withdrawn", "refer to a live record instead"))
                elif field != "superseded_by" and status == LIVE and ref_status == "superseded":
                    issues.append(_ref_issue(row, name, field, "dead-reference", f"'{value}' is superseded by '{ref.cells.get('superseded_by')}'",
                                             f"use '{ref.cells.get('superseded_by')}'"))
        if LIST_KEYS_TABLE_FIELD in spec.field_names:  # polymorphic reference (citations)
            pairs = zip(column[LIST_KEYS_TABLE_FIELD], column[LIST_KEYS_ID_FIELD])
            for i in [i for i, (table, rid) in enumerate(pairs) if table in indexes and rid is not None and rid not in indexes[table]]:
                row = rows[i]
                table, rid = row.cells.get(LIST_KEYS_TABLE_FIELD), row.cells.get(LIST_KEYS_ID_FIELD)
                if table in indexes and rid is not None and rid not in indexes[table]:
                    issues.append(_ref_issue(row, name, LIST_KEYS_ID_FIELD, "foreign-key", f"'{rid}' is not a known {table} ID",
                                             "cite from within an existing record"))
    issues.extend(_cycles(coll, indexes))
    return issues


def _cycles(coll: Collection, indexes: dict[str, dict[str, Row]]) -> list[Issue]:
    """Parent chains (parent_event_id, parent_place_id, …) must end; report each loop once."""
    issues = []
    for name, spec in coll.spec.tables.items():
        for fk in spec.foreign_keys:
            (field,) = fk["fields"]
            if fk["reference"]["resource"] not in ("", name) or field == "superseded_by":
                continue
            keys = indexes[name]
            done: set[str] = set()
            for start in sorted(keys):
                path, seen = [], set()
                node = start
                while node is not None and node in keys and node not in done and node not in seen:
                    seen.add(node)
                    path.append(node)
                    node = keys[node].cells.get(field)
                if node is not None and node in seen:
                    loop = path[path.index(node):] + [node]
                    if len(loop) > 2:  # length-1 loops are reported as self-links
                        row = keys[node]
                        issues.append(_ref_issue(row, name, field, "parent-cycle", f"{field} chain loops: {' -> '.join(loop)}",
                                                 "one of these records must not have this parent"))
                done.update(path)
    return issues
