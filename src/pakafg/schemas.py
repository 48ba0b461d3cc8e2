"""The package's single source of truth: `datapackage.yaml` and `schemas/*.yaml`.

Everything else is derived from these files here — frictionless `Schema`s, the
pyarrow schema of each Parquet table, the pandera model, the SQLite DDL, the
JSON Schema for editors and the data dictionary (PUDL's `to_*` style). No field
list is written anywhere else.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from frictionless import Schema

from .issues import PakafgError

PACKAGE_FILE = "datapackage.yaml"
SCHEMA_DIR = "schemas"
COMMON_FILE = "_common.yaml"
LIST_KEYS_TABLE_FIELD = "record_table"  # polymorphic parent reference (citations)
LIST_KEYS_ID_FIELD = "record_id"


@dataclass(frozen=True)
class TableSpec:
    """One published table: its frictionless schema and where its rows come from."""

    name: str
    descriptor: dict  # expanded Table Schema, including x- properties
    records: dict  # {dir} | {dir, group_by} | {parent, key}
    schema_path: str
    checked: bool = field(default=True, compare=False)  # False: the descriptor is known valid, see load_package_spec

    @functools.cached_property
    def schema(self) -> Schema:
        if self.checked:
            return Schema.from_descriptor(public_descriptor(self.descriptor))
        descriptor = public_descriptor(self.descriptor)  # the Schema from_descriptor makes, without validating it again
        Schema.metadata_transform(descriptor)
        return Schema.metadata_import(descriptor)

    def check(self, path: Path) -> None:
        """Raise PakafgError (naming the schema file at `path`) unless frictionless accepts the descriptor."""
        try:
            schema = Schema.from_descriptor(public_descriptor(self.descriptor))
        except Exception as exc:  # noqa: BLE001 - frictionless raises FrictionlessException, and others on odd input
            raise PakafgError(f"{path}: not a valid Table Schema: {exc}") from None
        self.__dict__["schema"] = schema  # what `schema` answers from now on (a frozen dataclass: no setattr)

    @property
    def fields(self) -> list[dict]:
        return self.descriptor["fields"]

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def field(self, name: str) -> dict:
        for f in self.fields:
            if f["name"] == name:
                return f
        raise KeyError(name)

    @property
    def primary_key(self) -> list[str]:
        return list(self.descriptor.get("primaryKey", []))

    @property
    def id_field(self) -> str | None:
        """The single-field primary key of a record table (None for link tables)."""
        pk = self.primary_key
        return pk[0] if len(pk) == 1 and not self.is_child else None

    @property
    def foreign_keys(self) -> list[dict]:
        return list(self.descriptor.get("foreignKeys", []))

    @property
    def checks(self) -> list[dict]:
        return list(self.descriptor.get("x-checks", []))

    @property
    def is_child(self) -> bool:
        return "parent" in self.records

    @property
    def is_derived(self) -> bool:
        """A table computed at build time from the others (`records: {derived: true}`, derived.py): no record files."""
        return bool(self.records.get("derived"))

    @property
    def parents(self) -> list[str]:
        p = self.records.get("parent")
        return [p] if isinstance(p, str) else list(p or [])

    @property
    def directory(self) -> str | None:
        return self.records.get("dir")

    @property
    def group_by(self) -> str | None:
        return self.records.get("group_by")

    def default(self, name: str) -> str | None:
        return self.field(name).get("x-default")

    def required(self, name: str) -> bool:
        return bool(self.field(name).get("constraints", {}).get("required"))


@dataclass(frozen=True)
class PackageSpec:
    """`datapackage.yaml` plus every table spec, in the order of `resources`."""

    root: Path
    metadata: dict
    tables: dict[str, TableSpec] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    @property
    def name(self) -> str:
        return str(self.metadata["name"])

    def record_tables(self) -> list[TableSpec]:
        """Tables whose rows are files on disk (not child lists, not derived tables)."""
        return [t for t in self.tables.values() if not t.is_child and not t.is_derived]

    def derived_tables(self) -> list[TableSpec]:
        """Tables computed at build time from the others (derived.py), in resource order."""
        return [t for t in self.tables.values() if t.is_derived]

    def children_of(self, table: str) -> list[TableSpec]:
        return [t for t in self.tables.values() if table in t.parents]

    def record_keys(self, table: str) -> list[str]:
        """Keys a record file of `table` may contain: its fields plus child list keys."""
        spec = self.tables[table]
        keys = [n for n in spec.field_names if n != spec.group_by]
        keys += [c.records["key"] for c in self.children_of(table)]
        return keys


def _expand_field(raw: dict, common: dict, path: Path) -> dict:
    """Expand `- use: name` into the shared definition, merging overrides one level deep.

    `use: <table>.<field>` copies a field of a table listed earlier in `datapackage.yaml`
    (a derived table repeating a code list of its source table, e.g. `use: claim_links.relation`).
    """
    if "use" not in raw:
        return dict(raw)
    base_name = raw["use"]
    if base_name not in common:
        raise PakafgError(f"{path}: field uses unknown shared definition {base_name!r} (see {SCHEMA_DIR}/{COMMON_FILE}, "
                          "or a <table>.<field> of a table listed earlier in datapackage.yaml)")
    merged = copy.deepcopy(common[base_name])
    merged.setdefault("name", base_name.rpartition(".")[2])
    for key, value in raw.items():
        if key == "use":
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    # name first, then type, for readable descriptors
    return {"name": merged.pop("name"), "type": merged.pop("type", "string"), **merged}


def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        if "&" in text or "*" in text:  # an alias bomb would expand wherever the descriptor is walked
            from .load import parse_text

            _, issues = parse_text(text, str(path))
            if any(i.code == "yaml-anchor" for i in issues):
                raise PakafgError(f"{path}: YAML anchors and aliases are not allowed")
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except FileNotFoundError:
        raise PakafgError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PakafgError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise PakafgError(f"{path}: invalid YAML: {exc}") from None


def public_descriptor(descriptor: dict) -> dict:
    """The Table Schema without pakafg's `x-` extensions, as published."""

    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if not str(k).startswith("x-")}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    return strip(descriptor)


def to_categories(f: dict) -> list[dict] | None:
    """Data Package v2 `categories` of an enum field: every allowed value with its meaning as `label`.

    The label is the value's `x-enum-descriptions` entry (the value itself where a schema gives none);
    None for a field without an enum.
    """
    enum = f.get("constraints", {}).get("enum")
    if not enum:
        return None
    meanings = f.get("x-enum-descriptions") or {}
    return [{"value": value, "label": str(meanings.get(value) or value)} for value in enum]


def to_published_schema(spec: TableSpec) -> dict:
    """The Table Schema as `datapackage.json` carries it: `public_descriptor` plus `categories` on every enum field."""
    schema = public_descriptor(spec.descriptor)
    for out, f in zip(schema["fields"], spec.fields):
        categories = to_categories(f)
        if categories:
            out["categories"] = categories
    return schema


def load_package_spec(root: str | Path, check_schemas: bool = True) -> PackageSpec:
    """Read `datapackage.yaml` and the schemas it names; raise PakafgError if they are broken.

    `check_schemas=False` leaves out frictionless' validation of each Table Schema
    (most of the time this takes): for a caller that knows these very schema
    bytes were accepted before (the incremental build's state), or that calls
    `check_schemas(spec)` before using them.
    """
    try:
        return _load_package_spec(Path(root), check_schemas)
    except PakafgError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:  # a malformed descriptor: a message, not a traceback
        raise PakafgError(f"{Path(root) / PACKAGE_FILE} or a schema it names is malformed "
                          f"({type(exc).__name__}: {exc}); compare it with the repository's own") from None


_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?")
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


def _safe_relative(value) -> bool:
    """A relative path that stays inside the repository (no `..`, not absolute)."""
    return isinstance(value, str) and bool(value) and not value.startswith(("/", "\\")) and ".." not in re.split(r"[/\\]", value) \
        and not re.match(r"[A-Za-z]:", value)


def check_metadata(metadata, path: Path) -> None:
    """The shape `datapackage.yaml` must have; its values become folder names, so they are checked like input."""
    def fail(message: str):
        raise PakafgError(f"{path}: {message}")

    if not isinstance(metadata, dict) or not isinstance(metadata.get("resources"), list):
        fail("expected a mapping with a `resources` list")
    version = str(metadata.get("version", ""))
    if not _SEMVER.fullmatch(version):
        fail(f"version '{version}' is not a semantic version like 1.2.3 (it names the folder build/<version>)")
    if not isinstance(metadata.get("name"), str) or not _NAME.fullmatch(metadata["name"]):
        fail("name must be lowercase letters, digits, '.', '_' or '-'")
    for i, res in enumerate(metadata["resources"], 1):
        if not isinstance(res, dict) or not isinstance(res.get("name"), str) or not _NAME.fullmatch(res["name"]):
            fail(f"resource #{i} needs a `name` of lowercase letters, digits and '_'")
        if not _safe_relative(res.get("schema")):
            fail(f"resource '{res['name']}': `schema` must be a path inside the repository")
        records = res.get("records", {})
        if not isinstance(records, dict):
            fail(f"resource '{res['name']}': `records` must be a mapping")
        if "parent" in records:
            if not isinstance(records.get("key"), str):
                fail(f"resource '{res['name']}': a child table needs `records: {{parent: …, key: …}}`")
        elif records.get("derived") is True:  # derived.py computes its rows: no folder
            pass
        elif not _safe_relative(records.get("dir")):
            fail(f"resource '{res['name']}': `records: {{dir: …}}` must be a folder inside the repository")


def check_schemas(spec: PackageSpec) -> None:
    """Raise PakafgError for the first table whose schema frictionless does not accept (see load_package_spec)."""
    for table in spec.tables.values():
        table.check(spec.root / table.schema_path)


def _load_package_spec(root: Path, check_schemas: bool = True) -> PackageSpec:
    metadata = _read_yaml(root / PACKAGE_FILE)
    check_metadata(metadata, root / PACKAGE_FILE)
    common_path = root / SCHEMA_DIR / COMMON_FILE
    common = (_read_yaml(common_path) or {}).get("fields", {}) if common_path.exists() else {}
    tables: dict[str, TableSpec] = {}
    for res in metadata["resources"]:
        schema_path = root / res["schema"]
        raw = _read_yaml(schema_path)
        descriptor = dict(raw)
        usable = {**common, **{f"{t.name}.{f['name']}": f for t in tables.values() for f in t.fields}}  # see _expand_field
        descriptor["fields"] = [_expand_field(f, usable, schema_path) for f in raw.get("fields", [])]
        spec = TableSpec(name=res["name"], descriptor=descriptor, records=dict(res.get("records", {})), schema_path=res["schema"],
                         checked=check_schemas)
        if check_schemas:
            spec.check(schema_path)
        tables[spec.name] = spec
    return PackageSpec(root=root, metadata=metadata, tables=tables)


# --- derived targets -----------------------------------------------------------

def to_pyarrow(spec: TableSpec):
    """The Arrow schema of the published table (Parquet column types)."""
    import pyarrow as pa

    types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "date": pa.date32(), "boolean": pa.bool_()}
    return pa.schema(
        [pa.field(f["name"], types[f.get("type", "string")], nullable=not f.get("constraints", {}).get("required", False),
                  metadata={"description": f.get("description", "")}) for f in spec.fields]
    )


PANDAS_DTYPES = {"string": "str", "integer": "Int64", "number": "Float64", "boolean": "boolean", "date": "datetime64[s]"}


def to_pandera(spec: TableSpec):
    """A pandera `DataFrameSchema` for the table, derived from its Table Schema.

    Consumers can validate a published CSV/Parquet with it; the build uses it for
    table-level checks. Columns, dtypes, nullability, enums, patterns, bounds and
    the primary key come from the schema; cross-field rules from its `x-checks`.
    """
    import pandera.pandas as pa

    from .validate.frame import cross_field_checks

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
        columns[f["name"]] = pa.Column(
            PANDAS_DTYPES[f.get("type", "string")],
            checks=checks,
            nullable=not c.get("required", False),
            unique=bool(c.get("unique")),
            required=True,
            description=f.get("description"),
        )
    return pa.DataFrameSchema(
        columns,
        checks=cross_field_checks(spec),
        unique=spec.primary_key if len(spec.primary_key) > 1 else None,
        name=spec.name,
        strict=True,
        ordered=True,
    )


SQLITE_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "date": "TEXT", "boolean": "INTEGER"}


def _sql_name(name: str) -> str:
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
        name, ftype = _sql_name(f["name"]), f.get("type", "string")
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
        lines.append(f"PRIMARY KEY ({', '.join(_sql_name(k) for k in spec.primary_key)})")
    for fk in spec.foreign_keys:
        ref = fk["reference"]
        target = ref.get("resource") or spec.name
        lines.append(f"FOREIGN KEY ({', '.join(_sql_name(k) for k in fk['fields'])}) "
                     f"REFERENCES {_sql_name(target)} ({', '.join(_sql_name(k) for k in ref['fields'])})")
    return f"CREATE TABLE {_sql_name(spec.name)} (\n  " + ",\n  ".join(lines) + "\n)"


# --- JSON Schema for editors (yaml-language-server) ------------------------------

JSON_SCHEMA_DIR = "docs/json-schema"
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
    scalar = [n for n in spec.field_names if n != spec.group_by]
    props, required = _json_object(spec, scalar)
    for child in package.children_of(table):
        item_names = [n for n in child.field_names
                      if n not in (spec.id_field, LIST_KEYS_TABLE_FIELD, LIST_KEYS_ID_FIELD) and not child.field(n).get("x-computed")]
        optional = frozenset(n for n in child.primary_key if not child.required(n))
        item_props, item_required = _json_object(child, item_names, optional)
        item = {"type": "object", "properties": item_props, "required": item_required, "additionalProperties": False}
        if len(item_names) == 1:  # a one-field item may be written as the bare value (`- TTP`)
            bare = dict(item_props[item_names[0]])
            item = {"anyOf": [bare, item]}
        props[child.records["key"]] = {
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
    head = {"$schema": "http://json-schema.org/draft-07/schema#", "$comment": f"Generated from {spec.schema_path} by `pakafg schemas`; do not edit."}
    if spec.group_by:
        return {**head, "title": f"{record['title']} read from one source", "type": "array", "items": record}
    return {**head, **record}


def json_schema_files(package: PackageSpec) -> dict[str, str]:
    """Repo-relative path -> text of every generated JSON Schema (deterministic bytes)."""
    import json

    return {
        f"{JSON_SCHEMA_DIR}/{t.name}.json": json.dumps(to_json_schema(package, t.name), ensure_ascii=False, indent=2) + "\n"
        for t in package.record_tables()
    }


def schema_header(package: PackageSpec, table: str) -> str:
    """The first line of every record file: where editors find its JSON Schema."""
    import os

    rel = os.path.relpath(f"{JSON_SCHEMA_DIR}/{table}.json", package.tables[table].directory).replace(os.sep, "/")
    return f"# yaml-language-server: $schema={rel}"


def sync_files(root: str | Path, files: dict[str, str], check: bool = False) -> list[str]:
    """Write generated files that differ from what is on disk; return their paths.

    With `check`, write nothing: the returned paths are the stale ones.
    """
    root = Path(root)
    stale = []
    for rel, text in files.items():
        path = root / rel
        if path.exists() and path.read_bytes() == text.encode("utf-8"):
            continue
        stale.append(rel)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
    return stale
