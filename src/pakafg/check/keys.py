"""Primary keys: no key used twice, naming where the first one was written."""

from __future__ import annotations

from ..issues import Issue
from .types import TypedTable


def check_keys(table: TypedTable, computed: dict[str, list] | None = None) -> list[Issue]:
    """One `duplicate-id` issue per row whose primary key an earlier row already has.

    `computed` gives key columns the build fills in (a citation's `start`, where its quote was found).
    """
    pk = table.spec.primary_key
    if not pk:
        return []
    computed = computed or {}
    keys = list(zip(*(computed.get(k) or table.column(k) for k in pk)))
    if len(set(keys)) == len(keys):
        return []
    issues, seen = [], {}
    for row, key in enumerate(keys):
        if any(k is None for k in key):
            continue
        if key not in seen:
            seen[key] = row
            continue
        first = seen[key]
        label = ", ".join(f"{k}={v}" for k, v in zip(pk, key))
        issues.append(table.issue(row, pk[-1], "duplicate-id", f"{label} is already used at {table.raw.paths[first]}:{table.raw.lines[first]}",
                                  "IDs must be unique across the package; choose another or merge the records", record_id=str(key[0])))
    return issues
