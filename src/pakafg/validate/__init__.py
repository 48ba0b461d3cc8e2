"""Validation: every check over the collected rows, all issues in one report.

Order matters only where a later check needs an earlier one's output:
structure (load + type, frictionless) -> provenance (fills citation offsets)
-> primary keys -> frame (pandera) -> links (foreign keys, tombstones, cycles).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..issues import Issue, Report
from ..perf import paused_gc
from ..records import Collection, check_primary_keys, collect
from ..schemas import PackageSpec, load_package_spec
from .formulas import check_formula_text
from .frame import check_frame
from .links import check_links
from .provenance import check_provenance


@dataclass
class Validation:
    """The outcome of `validate`: typed rows of every table and the report."""

    collection: Collection
    report: Report

    @property
    def spec(self) -> PackageSpec:
        return self.collection.spec

    @property
    def valid(self) -> bool:
        return self.report.valid


def _dedupe(issues: list[Issue]) -> list[Issue]:
    """Keep the first issue per (file, line, field): later checks often restate an earlier failure."""
    seen, out = set(), []
    for issue in issues:
        key = (issue.path, issue.line, issue.field, issue.record_id) if issue.field else (issue.path, issue.line, issue.code, issue.message)
        if key in seen:
            continue
        seen.add(key)
        out.append(issue)
    return sorted(out, key=Issue.sort_key)


def validate_collection(coll: Collection) -> Validation:
    issues = list(coll.issues)
    formulas = check_formula_text(coll)  # before provenance adds each claim's quote to citations (no duplicates)
    issues += check_provenance(coll)
    issues += check_primary_keys(coll)
    for name, table in coll.spec.tables.items():
        issues += check_frame(table, coll.rows[name])
    issues += check_links(coll)
    issues += formulas  # last: a warning never hides an error on the same field (see _dedupe)
    return Validation(coll, Report(_dedupe(issues)))


@paused_gc
def validate(root: str | Path = ".", cache: bool = True) -> Validation:
    """Load and check every record of the package at `root`.

    With `cache` (the default), files unchanged since the last run are not parsed
    again (see cache.py: content hashes, invalidated by any schema or code change);
    every whole-table check still runs on all rows.
    """
    return validate_spec(load_package_spec(root), cache)


@paused_gc
def validate_spec(spec: PackageSpec, cache: bool = True) -> Validation:
    """`validate` of a package whose metadata and schemas are already loaded."""
    record_cache = None
    if cache and os.environ.get("PAKAFG_NO_CACHE", "") in ("", "0"):
        from ..cache import RecordCache

        record_cache = RecordCache(spec)
    coll = collect(spec, cache=record_cache)
    del record_cache  # written to disk by now: free its copy of every file's rows before the whole-table checks
    return validate_collection(coll)
