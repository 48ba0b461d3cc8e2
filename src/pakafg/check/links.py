"""Referential integrity: foreign keys, tombstones and parent chains.

Foreign keys come from each Table Schema's `foreignKeys`; the polymorphic
`citations.record_table/record_id` pair is resolved against the named table.
Withdrawn records stay resolvable (tombstones) but live records must not point
at them, and `superseded_by` must point at a live record.
"""

from __future__ import annotations


from ..issues import Issue, did_you_mean
from ..schemas import LIST_KEYS_ID_FIELD, LIST_KEYS_TABLE_FIELD, LIVE, PackageSpec
from .types import TypedTable

SUGGEST_LIMIT = 50_000  # above this many keys, no "did you mean" (it compares with every key)


class Records:
    """Each record table's rows by ID, with their status (for live-ness of references)."""

    def __init__(self, spec: PackageSpec, tables: dict[str, TypedTable]):
        self.index: dict[str, dict[str, int]] = {}
        self.status: dict[str, list] = {}
        self.replaced_by: dict[str, list] = {}
        for table in spec.record_tables():
            typed = tables[table.name]
            ids = typed.column(table.id_field)
            self.index[table.name] = {rid: row for row, rid in enumerate(ids) if rid is not None}
            self.status[table.name] = typed.column("status") if "status" in table.field_names else [LIVE] * len(ids)
            self.replaced_by[table.name] = typed.column("superseded_by") if "superseded_by" in table.field_names else [None] * len(ids)

    def status_of(self, table: str, rid) -> str | None:
        row = self.index.get(table, {}).get(rid)
        return None if row is None else self.status[table][row]


def _row_status(spec: PackageSpec, records: Records, table: TypedTable) -> list:
    """Each row's lifecycle status; a child row (participant, link, citation) lives and dies with its parent."""
    name = table.spec.name
    if name in records.status:
        return records.status[name]
    if LIST_KEYS_TABLE_FIELD in table.spec.field_names:
        pairs = zip(table.column(LIST_KEYS_TABLE_FIELD), table.column(LIST_KEYS_ID_FIELD))
        return [records.status_of(t, rid) or LIVE for t, rid in pairs]
    parent = table.spec.parents[0]
    key = spec.tables[parent].id_field
    return [records.status_of(parent, rid) or LIVE for rid in table.column(key)]


def check_links(spec: PackageSpec, tables: dict[str, TypedTable]) -> list[Issue]:
    """Every foreign key resolves; live rows point at live records; no self-references or parent loops."""
    records = Records(spec, tables)
    issues: list[Issue] = []
    for name, table in tables.items():
        if table.spec.is_derived:
            continue
        status = _row_status(spec, records, table)
        own = table.column(table.spec.primary_key[0]) if table.spec.id_field else None
        for fk in table.spec.foreign_keys:
            (field,) = fk["fields"]
            target = fk["reference"]["resource"] or name
            if target not in records.index:
                continue
            keys = records.index[target]
            for row, value in enumerate(table.column(field)):
                if value is None or (field, row) in table.bad:
                    continue
                if own is not None and target == name and value == own[row]:
                    issues.append(table.issue(row, field, "self-link", f"'{value}' refers to itself",
                                         "a record cannot be its own parent or replacement; remove the self-reference"))
                    continue
                if value not in keys:
                    directory = spec.tables[target].directory
                    near = did_you_mean(value, keys, cutoff=0.75) if len(keys) <= SUGGEST_LIMIT else ""
                    issues.append(table.issue(row, field, "foreign-key", f"'{value}' is not a known {target} ID",
                                         near or f"add {directory}/{value}.yaml or fix the ID"))
                    continue
                ref_status = records.status[target][keys[value]]
                replacement = records.replaced_by[target][keys[value]]
                if field == "superseded_by":
                    if ref_status != LIVE:
                        issues.append(table.issue(row, field, "dead-reference", f"superseded_by points at '{value}', which is {ref_status}",
                                             f"point at the live record that replaced it ({replacement or 'none'})"))
                elif status[row] == LIVE and ref_status == "withdrawn":
                    issues.append(table.issue(row, field, "dead-reference", f"'{value}' is withdrawn", "refer to a live record instead"))
                elif status[row] == LIVE and ref_status == "superseded":
                    issues.append(table.issue(row, field, "dead-reference", f"'{value}' is superseded by '{replacement}'",
                                         f"use '{replacement}'"))
        if LIST_KEYS_TABLE_FIELD in table.spec.field_names:  # polymorphic reference (citations)
            pairs = zip(table.column(LIST_KEYS_TABLE_FIELD), table.column(LIST_KEYS_ID_FIELD))
            for row, (target, rid) in enumerate(pairs):
                if target in records.index and rid is not None and rid not in records.index[target]:
                    issues.append(table.issue(row, LIST_KEYS_ID_FIELD, "foreign-key", f"'{rid}' is not a known {target} ID",
                                         "cite from within an existing record"))
    return issues + _cycles(spec, tables, records)


def _cycles(spec: PackageSpec, tables: dict[str, TypedTable], records: Records) -> list[Issue]:
    """Parent chains (parent_event_id, parent_place_id, …) must end; report each loop once."""
    issues = []
    for table_spec in spec.record_tables():
        name = table_spec.name
        for fk in table_spec.foreign_keys:
            (field,) = fk["fields"]
            if fk["reference"]["resource"] not in ("", name) or field == "superseded_by":
                continue
            keys = records.index[name]
            parent = tables[name].column(field)
            done: set[str] = set()
            for start in sorted(keys):
                path, seen, node = [], set(), start
                while node is not None and node in keys and node not in done and node not in seen:
                    seen.add(node)
                    path.append(node)
                    node = parent[keys[node]]
                if node is not None and node in seen:
                    loop = path[path.index(node):] + [node]
                    if len(loop) > 2:  # length-1 loops are reported as self-links
                        issues.append(tables[name].issue(keys[node], field, "parent-cycle", f"{field} chain loops: {' -> '.join(loop)}",
                                             "one of these records must not have this parent"))
                done.update(path)
    return issues
