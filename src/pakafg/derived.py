"""Derived, analysis-ready tables: computed at build time from the published tables, never written in records."""

from __future__ import annotations

import pyarrow as pa

from .schemas import PackageSpec


def derived_tables(spec: PackageSpec, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Every table of `spec` marked `records: {derived: true}`, computed from `tables`."""
    return {}
