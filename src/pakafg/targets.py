"""Every form of a Table Schema other than the YAML itself, derived here (PUDL's `to_*` style).

- `check_schemas`: frictionless' own verdict on each Table Schema;
- `to_frictionless`: the published Table Schema (no `x-` extensions) with Data
  Package v2 `categories` for every enum;
- `to_pyarrow`: the Arrow schema of the typed and published table;
- `to_sqlite_ddl`: `CREATE TABLE` with types, keys, foreign keys and CHECKs;
- `to_json_schema`: what editors check record files against.

The pandera model is derived in `check/frame.py`, beside the rules it runs.
Heavy libraries are imported inside the functions that need them.
"""

from __future__ import annotations

import json
from typing import Any

from .issues import PakafgError
from .schemas import GENERATE_COMMAND, JSON_SCHEMA_DIR, PackageSpec, TableSpec, public_descriptor


def check_schemas(spec: PackageSpec) -> None:
    """Raise PakafgError for the first table whose Table Schema frictionless does not accept."""
    from frictionless import Schema

    for table in spec.tables.values():
        try:
            Schema.from_descriptor(public_descriptor(table.descriptor))
        except Exception as exc:  # noqa: BLE001 - frictionless raises FrictionlessException, and others on odd input
            raise PakafgError(f"{spec.root / table.schema_path}: not a valid Table Schema: {exc}") from None


def to_categories(field: dict) -> list[dict] | None:
    """Data Package v2 `categories` of an enum field: each code with its meaning as the label (the code itself where none is given)."""
    enum = field.get("constraints", {}).get("enum")
    if not enum:
        return None
    meanings = field.get("x-enum-descriptions") or {}
    return [{"value": v, "label": str(meanings.get(v) or v)} for v in enum]


def to_frictionless(table: TableSpec) -> dict:
    """The Table Schema as published in datapackage.json: x- extensions dropped, categories added."""
    schema = public_descriptor(table.descriptor)
    for published, source in zip(schema["fields"], table.fields):
        categories = to_categories(source)
        if categories:
            published["categories"] = categories
    schema.pop("title", None)
    schema.pop("description", None)
    return schema


def arrow_type(kind: str):
    """The Arrow type of a Table Schema field type."""
    import pyarrow as pa

    return {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "date": pa.date32(), "boolean": pa.bool_()}[kind]


def to_pyarrow(spec: TableSpec):
    """The Arrow schema of the published table (Parquet column types)."""
    import pyarrow as pa

    return pa.schema(
        [pa.field(f["name"], arrow_type(f.get("type", "string")), nullable=not f.get("constraints", {}).get("required", False),
                  metadata={"description": f.get("description", "")}) for f in spec.fields]
    )


SQLITE_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "date": "TEXT", "boolean": "INTEGER"}


def sql_name(name: str) -> str:
    """`name` as an SQLite identifier: double-quoted, inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def _sql_literal(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def to_sqlite_ddl(spec: TableSpec) -> str:
    """`CREATE TABLE` for the SQLite copy: types, NOT NULL, PRIMARY KEY, FOREIGN KEYs, CHECKs.

    Dates are ISO `YYYY-MM-DD` TEXT (checked with `date()`), booleans 0/1;
    enums, bounds and lengths become CHECK constraints. Patterns are not
    checked (SQLite has no built-in REGEXP). A polymorphic reference such as
    citations.record_id (its table is named in record_table) cannot be a
    FOREIGN KEY; it is left unconstrained.
    """
    lines = []
    for f in spec.fields:
        name, ftype = sql_name(f["name"]), f.get("type", "string")
        c = f.get("constraints", {})
        col = f"{name} {SQLITE_TYPES[ftype]}"
        if c.get("required"):
            col += " NOT NULL"
        checks = []
        if "enum" in c:
            checks.append(f"{name} IN ({', '.join(_sql_literal(v) for v in c['enum'])})")
        if "minimum" in c:
            checks.append(f"{name} >= {_sql_literal(c['minimum'])}")
        if "maximum" in c:
            checks.append(f"{name} <= {_sql_literal(c['maximum'])}")
        if "maxLength" in c:
            checks.append(f"length({name}) <= {int(c['maxLength'])}")
        if ftype == "date":
            checks.append(f"{name} = date({name}, '+0 days')")  # '+0 days' normalises 02-30, so it fails
        if ftype == "boolean":
            checks.append(f"{name} IN (0, 1)")
        if checks:
            col += " CHECK (" + " AND ".join(checks) + ")"
        lines.append(col)
    if spec.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(sql_name(k) for k in spec.primary_key)})")
    for fk in spec.foreign_keys:
        ref = fk["reference"]
        target = ref.get("resource") or spec.name
        lines.append(f"FOREIGN KEY ({', '.join(sql_name(k) for k in fk['fields'])}) "
                     f"REFERENCES {sql_name(target)} ({', '.join(sql_name(k) for k in ref['fields'])})")
    return f"CREATE TABLE {sql_name(spec.name)} (\n  " + ",\n  ".join(lines) + "\n)"


# --- JSON Schema for editors (yaml-language-server) ------------------------------

NUMERIC_TEXT = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"


def _json_field(f: dict, *, nullable: bool) -> dict:
    """One field as JSON Schema. Numbers also accept numeric text: the loader reads every scalar as text."""
    ftype = f.get("type", "string")
    c = f.get("constraints", {})
    out: dict[str, Any] = {"description": f.get("description", "")}
    if ftype == "date":
        out.update(type="string", format="date", pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    elif ftype in ("number", "integer"):
        out.update(type=[ftype, "string"], pattern=r"^[-+]?[0-9]+$" if ftype == "integer" else NUMERIC_TEXT)
        for key in ("minimum", "maximum"):
            if key in c:
                out[key] = c[key]
    elif ftype == "boolean":
        out.update(type=["boolean", "string"], pattern="^(true|false)$")
    else:
        out.update(type="string", minLength=1)
        if "pattern" in c:
            out["pattern"] = f"^(?:{c['pattern']})$"  # Table Schema patterns match the whole value
        if f.get("format") == "uri":
            out["format"] = "uri"
        for key in ("maxLength",):
            if key in c:
                out[key] = c[key]
    if "enum" in c:
        out["enum"] = list(c["enum"])
        descriptions = f.get("x-enum-descriptions", {})
        if descriptions:
            out["enumDescriptions"] = [descriptions.get(v, "") for v in c["enum"]]
            out["description"] += " Allowed: " + "; ".join(f"{v} = {descriptions.get(v, '')}" for v in c["enum"])
    if "x-default" in f:
        out["default"] = f["x-default"]
    if nullable:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
        if "enum" in out:
            out["enum"].append(None)
    return out


def _json_object(spec: TableSpec, names: list[str], optional: frozenset[str] = frozenset()) -> tuple[dict, list[str]]:
    props, required = {}, []
    for name in names:
        f = spec.field(name)
        is_required = spec.required(name) and "x-default" not in f and name not in optional
        props[name] = _json_field(f, nullable=not is_required)
        if is_required:
            required.append(name)
    return props, required


def to_json_schema(package: PackageSpec, table: str) -> dict:
    """JSON Schema of one record file of `table`, for editor completion and checks.

    The record's scalar fields plus its child lists (aliases, participants, links,
    citations) with their item shapes; claims files hold a list of claims.
    Unknown keys are refused (`additionalProperties: false`), like the loader does.
    """
    spec = package.tables[table]
    props, required = _json_object(spec, spec.record_fields())
    for child in package.children_of(table):
        item_names = package.item_fields(child.name)
        optional = frozenset(n for n in child.primary_key if not child.required(n))
        item_props, item_required = _json_object(child, item_names, optional)
        item = {"type": "object", "properties": item_props, "required": item_required, "additionalProperties": False}
        if len(item_names) == 1:  # a one-field item may be written as the bare value (`- TTP`)
            bare = dict(item_props[item_names[0]])
            item = {"anyOf": [bare, item]}
        props[child.list_key] = {
            "description": f"{child.descriptor.get('title', child.name)}: {child.descriptor.get('description', '')}".strip(),
            "type": ["array", "null"],
            "items": item,
        }
    record = {
        "type": "object",
        "title": spec.descriptor.get("title", table),
        "description": spec.descriptor.get("description", ""),
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
    head = {"$schema": "http://json-schema.org/draft-07/schema#", "$comment": f"Generated from {spec.schema_path} by `{GENERATE_COMMAND}`; do not edit."}
    if spec.group_by:
        return {**head, "title": f"{record['title']} read from one source", "type": "array", "items": record}
    return {**head, **record}


def json_schema_files(package: PackageSpec) -> dict[str, str]:
    """Repo-relative path -> text of every generated JSON Schema (deterministic bytes)."""
    return {
        f"{JSON_SCHEMA_DIR}/{t.name}.json": json.dumps(to_json_schema(package, t.name), ensure_ascii=False, indent=2) + "\n"
        for t in package.record_tables()
    }


