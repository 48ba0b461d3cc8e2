"""The data dictionary (`docs/data-dictionary.md`), generated from `schemas/`.

Every table, field, type, constraint, cross-field rule and enum value with its
meaning, rendered from the same Table Schemas the build uses, so it cannot
drift: `pakafg generate --check` (and a test) fail when the committed copy is
stale; `pakafg generate` rewrites it.
"""

from __future__ import annotations

from .schemas import GENERATE_COMMAND, PackageSpec, TableSpec
from .targets import SQLITE_TYPES, arrow_type

DICTIONARY_FILE = "docs/data-dictionary.md"

RULES = {
    "together": lambda f: "set together or not at all: " + ", ".join(_code(x) for x in f),
    "dated": lambda f: (f"{_code(f[2])} is set exactly when {_code(f[0])} or {_code(f[1])} is; {_code(f[1])} without "
                        f"{_code(f[0])} only with precision `range` (a date known to lie before {_code(f[1])})"),
    "ordered": lambda f: "ordered when set: " + " ≤ ".join(_code(x) for x in f if x),
    "precision_aligned": lambda f: (f"{_code(f[0])}" + (f" and {_code(f[1])}" if f[1] else "")
                                    + f" fit {_code(f[2])}: a month-precise start is the 1st, its end the last day of a month; "
                                      "a year-precise start is 1 January, its end 31 December"),
    "qualifier_bounds": lambda f: (f"{_code(f[0])} decides which of {', '.join(_code(x) for x in f[1:])} are set "
                                   "(exact/about: value; over/at_least: value_low; nearly/as_many_as: value_high; range: both bounds)"),
    "tombstone": lambda f: f"{_code(f[1])} is set exactly when {_code(f[0])} is superseded",
    "distinct": lambda f: " and ".join(_code(x) for x in f) + " differ (no self-links)",
}


def _code(text: str) -> str:
    return f"`{text}`"


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _constraints(f: dict, spec: TableSpec) -> str:
    c = f.get("constraints", {})
    parts = []
    if c.get("unique"):
        parts.append("unique")
    if "pattern" in c:
        parts.append(f"pattern `{c['pattern']}`")
    if "enum" in c:
        parts.append("one of: " + ", ".join(_code(v) for v in c["enum"]))
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")):
        if key in c:
            parts.append(f"{label} {c[key]}")
    if f.get("format"):
        parts.append(f"format {f['format']}")
    for fk in spec.foreign_keys:
        if f["name"] in fk["fields"] and len(fk["fields"]) == 1:
            ref = fk["reference"]
            parts.append(f"→ `{ref.get('resource') or spec.name}.{ref['fields'][0]}`")
    if "x-default" in f:
        parts.append(f"default `{f['x-default']}` in records")
    if f.get("x-computed"):
        parts.append("computed by the build")
    return "; ".join(parts)


def _origin(package: PackageSpec, spec: TableSpec) -> str:
    rec = spec.records
    if spec.is_derived:  # [derived]
        return "**derived** at build time from the tables above (src/pakafg/derived.py); never edited by hand"
    if spec.is_child:
        parents = " and ".join(_code(p) for p in spec.parents)
        return f"the `{rec['key']}` list inside {parents} records" + (
            "; every claim also contributes its own quote" if rec.get("derived_from_claims") else "")
    if spec.group_by:
        return f"`{rec['dir']}/<{spec.group_by}>.yaml`, a list of records per {spec.group_by}"
    return f"`{rec['dir']}/<{spec.id_field}>.yaml`, one record per file"


def _table(package: PackageSpec, spec: TableSpec) -> list[str]:
    d = spec.descriptor
    out = [f"## `{spec.name}`", ""]
    if d.get("title"):
        out += [f"**{d['title']}.** " + _cell(d.get("description", "")), ""]
    out.append(f"- Primary key: {', '.join(_code(k) for k in spec.primary_key)}")
    for fk in spec.foreign_keys:
        ref = fk["reference"]
        out.append(f"- Foreign key: ({', '.join(fk['fields'])}) → `{ref.get('resource') or spec.name}`"
                   f" ({', '.join(ref['fields'])})")
    if any(f["name"] == "record_id" for f in spec.fields) and any(f["name"] == "record_table" for f in spec.fields):
        out.append("- `record_id` refers to the table named in `record_table` (a polymorphic reference: "
                   "checked by `pakafg validate`, not a foreign key in the descriptor or SQLite)")
    out.append(f"- Rows come from: {_origin(package, spec)}")
    out += ["", "| field | type | required | constraints | description |", "|---|---|---|---|---|"]
    for f in spec.fields:
        required = "yes" if f.get("constraints", {}).get("required") else ""
        out.append(f"| `{f['name']}` | {f.get('type', 'string')} | {required} | {_cell(_constraints(f, spec))} | "
                   f"{_cell(f.get('description', ''))} |")
    out.append("")
    if spec.checks:
        out.append("Rules across fields:")
        out.append("")
        for check in spec.checks:
            fields = check["fields"]
            render = RULES.get(check["check"])
            out.append(f"- {render(fields) if render else check['check'] + ': ' + ', '.join(str(x) for x in fields)}")
        out.append("")
    for f in spec.fields:
        meanings = f.get("x-enum-descriptions")
        if not meanings:
            continue
        out += [f"Values of `{f['name']}`:", "", "| value | meaning |", "|---|---|"]
        out += [f"| `{v}` | {_cell(meanings.get(v, ''))} |" for v in f.get("constraints", {}).get("enum", [])]
        out.append("")
    return out


def render(package: PackageSpec) -> str:
    """The whole dictionary as Markdown, in `datapackage.yaml` resource order."""
    meta = package.metadata
    out = [
        "# Data dictionary",
        "",
        f"<!-- Generated from schemas/ by `{GENERATE_COMMAND}`; do not edit by hand. -->",
        "",
        f"**{_cell(meta.get('title', package.name))}** (`{package.name}`). {_cell(meta.get('description', ''))}",
        "",
        "Empty CSV cells are nulls. Dates are `YYYY-MM-DD`; a date known only to the month or year is stored as the "
        "first day of that period and its precision field says so.",
        "",
        "| table | title | rows come from |",
        "|---|---|---|",
    ]
    for spec in package.tables.values():
        out.append(f"| [`{spec.name}`](#{spec.name}) | {_cell(spec.descriptor.get('title', ''))} | {_cell(_origin(package, spec))} |")
    out += ["", "Types in each format:", ""] + types_markdown(package) + [""]
    for spec in package.tables.values():
        out += _table(package, spec)
    return "\n".join(out).rstrip("\n") + "\n"


def types_markdown(package: PackageSpec) -> list[str]:
    """The table of how each field type is written in CSV, Parquet and SQLite (the types the package uses)."""
    out = ["| type | CSV | Parquet | SQLite |", "|---|---|---|---|"]
    used = sorted({f.get("type", "string") for spec in package.tables.values() for f in spec.fields})
    csv_text = {"date": "`YYYY-MM-DD`", "boolean": "`true` / `false`", "number": "decimal text", "integer": "digits"}
    for t in used:
        out.append(f"| {t} | {csv_text.get(t, 'text')} | {arrow_type(t)} | {SQLITE_TYPES[t]}{' (ISO date)' if t == 'date' else ''} |")
    return out


def table_markdown(package: PackageSpec, spec: TableSpec, level: int = 2) -> list[str]:
    """One table's section (keys, origin, every field, cross-field rules, every code's meaning) under a heading of `level`."""
    lines = _table(package, spec)
    return ["#" * level + lines[0].lstrip("#"), *lines[1:]]


