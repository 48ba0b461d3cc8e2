"""The package's single source of truth: `datapackage.yaml` and `schemas/*.yaml`.

This module only reads those files into plain objects (`PackageSpec`,
`TableSpec`); every other form of a schema (frictionless `Schema`, pyarrow
types, the pandera model, SQLite DDL, JSON Schema, Data Package categories)
is derived from them in `targets.py`. It imports nothing heavy, so the small
commands (`new`, `fmt`, `--help`) stay fast.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .issues import PakafgError

PACKAGE_FILE = "datapackage.yaml"
SCHEMA_DIR = "schemas"
COMMON_FILE = "_common.yaml"
LIST_KEYS_TABLE_FIELD = "record_table"  # polymorphic parent reference (citations)
LIST_KEYS_ID_FIELD = "record_id"
LIVE = "active"  # the `status` of a record that is not a tombstone
JSON_SCHEMA_DIR = "docs/json-schema"  # generated JSON Schemas of record files, for editors
# claim_links relations that tie a disagreement between sources (coverage page, explorer query, charts)
DISAGREEMENTS = ("contradicts", "differs", "frames_differently", "denies")
GENERATE_COMMAND = "pakafg generate"
# Repository files a build reads besides datapackage.yaml, schemas/ and the record folders: the codebook's
# sources, the release notes and the frozen releases (export/codebook.py, versioning/, speed/unchanged.py)
CHANGELOG_FILE = "CHANGELOG.md"
CITATION_FILE = "CITATION.cff"
LICENSE_FILE = "LICENSE-DATA.md"
RULES_DOC = "docs/coding-rules.md"
RELEASES_DIR = "releases"
BUILD_INPUTS = (CHANGELOG_FILE, CITATION_FILE, LICENSE_FILE, RULES_DOC, RELEASES_DIR)  # the one command that rewrites every generated file (generated.py)


@dataclass(frozen=True)
class TableSpec:
    """One published table: its Table Schema (with pakafg's `x-` extensions) and where its rows come from."""

    name: str
    descriptor: dict  # expanded Table Schema, including x- properties
    records: dict  # {dir} | {dir, group_by} | {parent, key} | {derived: true}
    schema_path: str

    @property
    def fields(self) -> list[dict]:
        return self.descriptor["fields"]

    @functools.cached_property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    @functools.cached_property
    def _by_name(self) -> dict[str, dict]:
        return {f["name"]: f for f in self.fields}

    def field(self, name: str) -> dict:
        return self._by_name[name]

    def type_of(self, name: str) -> str:
        return self._by_name[name].get("type", "string")

    def constraints(self, name: str) -> dict:
        return self._by_name[name].get("constraints", {})

    @functools.cached_property
    def primary_key(self) -> list[str]:
        return list(self.descriptor.get("primaryKey", []))

    @functools.cached_property
    def id_field(self) -> str | None:
        """The single-field primary key of a record table (None for child and derived tables)."""
        pk = self.primary_key
        return pk[0] if len(pk) == 1 and not self.is_child and not self.is_derived else None

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
        """Computed by the build from other tables (never written in records)."""
        return bool(self.records.get("derived"))

    @property
    def parents(self) -> list[str]:
        p = self.records.get("parent")
        return [p] if isinstance(p, str) else list(p or [])

    @property
    def directory(self) -> str | None:
        return self.records.get("dir")

    @functools.cached_property
    def group_by(self) -> str | None:
        return self.records.get("group_by")

    @property
    def list_key(self) -> str | None:
        """For a child table: the key of the list inside its parent records (`aliases`, `links`, …)."""
        return self.records.get("key")

    def default(self, name: str) -> str | None:
        return self._by_name[name].get("x-default")

    def required(self, name: str) -> bool:
        return bool(self.constraints(name).get("required"))

    def computed(self, name: str) -> bool:
        """A field the build fills in (a citation's `end`), never written in a record."""
        return bool(self._by_name[name].get("x-computed"))

    def record_fields(self) -> list[str]:
        """For a record table: the fields written in a record (the grouping field comes from the file name; computed ones from the build)."""
        return [n for n in self.field_names if n != self.group_by and not self.computed(n)]


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
        """Tables whose rows are files on disk (not child lists, not derived)."""
        return [t for t in self.tables.values() if not t.is_child and not t.is_derived]

    def derived_tables(self) -> list[TableSpec]:
        """Tables computed at build time from the others (derived.py), in resource order."""
        return [t for t in self.tables.values() if t.is_derived]

    def children_of(self, table: str) -> list[TableSpec]:
        return [t for t in self.tables.values() if table in t.parents]

    def record_keys(self, table: str) -> list[str]:
        """Keys a record file of `table` may contain: its fields plus child list keys."""
        return self.tables[table].record_fields() + [c.list_key for c in self.children_of(table)]

    def parent_fields(self, child: str) -> dict[str, str]:
        """A child table's fields that name its parent record -> "table" (the parent's table) or "id" (its ID)."""
        spec = self.tables[child]
        if LIST_KEYS_TABLE_FIELD in spec.field_names:
            return {LIST_KEYS_TABLE_FIELD: "table", LIST_KEYS_ID_FIELD: "id"}
        return {self.tables[spec.parents[0]].id_field: "id"}

    def item_fields(self, child: str) -> list[str]:
        """The fields written inside one item of a parent's list (all but the parent's keys and computed ones)."""
        spec, parent = self.tables[child], self.parent_fields(child)
        return [n for n in spec.field_names if n not in parent and not spec.computed(n)]

    def quoting_tables(self) -> list[str]:
        """Tables whose records carry their own `quote`, each also a citations row (`derived_from_<table>: true`)."""
        return [name for name in self.tables if any(t.records.get(f"derived_from_{name}") for t in self.tables.values())]

    def table_of_folder(self, directory: str) -> TableSpec | None:
        return next((t for t in self.record_tables() if t.directory == directory), None)


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
    return {"name": merged.pop("name"), "type": merged.pop("type", "string"), **merged}  # name, type first: readable


def read_yaml(path: Path) -> Any:
    """A maintainer's YAML file (metadata, schemas): anchors refused, any other problem a PakafgError naming it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        if "&" in text or "*" in text:  # an alias bomb would expand wherever the descriptor is walked
            for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
                if getattr(event, "anchor", None) is not None:
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
    if isinstance(descriptor, dict):
        return {k: public_descriptor(v) for k, v in descriptor.items() if not str(k).startswith("x-")}
    if isinstance(descriptor, list):
        return [public_descriptor(v) for v in descriptor]
    return descriptor


_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?")
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


def safe_relative(value) -> bool:
    """A relative path that stays inside the repository (no `..`, not absolute)."""
    return isinstance(value, str) and bool(value) and not value.startswith(("/", "\\")) and ".." not in re.split(r"[/\\]", value) \
        and not re.match(r"[A-Za-z]:", value) and "\x00" not in value


def check_metadata(metadata, path: Path) -> None:
    """The shape `datapackage.yaml` must have; its values become folder names, so they are checked like input."""
    def fail(message: str):
        raise PakafgError(f"{path}: {message}")

    if not isinstance(metadata, dict) or not isinstance(metadata.get("resources"), list):
        fail("expected a mapping with a `resources` list")
    version = str(metadata.get("version", ""))
    if not _SEMVER.fullmatch(version):
        fail(f"version '{version}' is not a semantic version like 1.2.3")
    if not isinstance(metadata.get("name"), str) or not _NAME.fullmatch(metadata["name"]):
        fail("name must be lowercase letters, digits, '.', '_' or '-'")
    for i, res in enumerate(metadata["resources"], 1):
        if not isinstance(res, dict) or not isinstance(res.get("name"), str) or not _NAME.fullmatch(res["name"]):
            fail(f"resource #{i} needs a `name` of lowercase letters, digits and '_'")
        if not safe_relative(res.get("schema")):
            fail(f"resource '{res['name']}': `schema` must be a path inside the repository")
        records = res.get("records", {})
        if not isinstance(records, dict):
            fail(f"resource '{res['name']}': `records` must be a mapping")
        if records.get("derived"):
            continue
        if "parent" in records:
            if not isinstance(records.get("key"), str):
                fail(f"resource '{res['name']}': a child table needs `records: {{parent: …, key: …}}`")
        elif not safe_relative(records.get("dir")):
            fail(f"resource '{res['name']}': `records: {{dir: …}}` must be a folder inside the repository")


def load_package_spec(root: str | Path) -> PackageSpec:
    """Read `datapackage.yaml` and the schemas it names; raise PakafgError if they are broken.

    Whether frictionless accepts each Table Schema is checked by `targets.check_schemas`.
    """
    root = Path(root)
    try:
        metadata = read_yaml(root / PACKAGE_FILE)
        check_metadata(metadata, root / PACKAGE_FILE)
        common_path = root / SCHEMA_DIR / COMMON_FILE
        common = (read_yaml(common_path) or {}).get("fields", {}) if common_path.exists() else {}
        tables: dict[str, TableSpec] = {}
        for res in metadata["resources"]:
            schema_path = root / res["schema"]
            raw = read_yaml(schema_path)
            if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list):
                raise PakafgError(f"{schema_path}: a Table Schema needs a `fields` list")
            descriptor = dict(raw)
            usable = {**common, **{f"{t.name}.{f['name']}": f for t in tables.values() for f in t.fields}}  # see _expand_field
            descriptor["fields"] = [_expand_field(f, usable, schema_path) for f in raw["fields"]]
            tables[res["name"]] = TableSpec(res["name"], descriptor, dict(res.get("records", {})), res["schema"])
        return PackageSpec(root=root, metadata=metadata, tables=tables)
    except PakafgError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:  # a malformed descriptor: a message, not a traceback
        raise PakafgError(f"{root / PACKAGE_FILE} or a schema it names is malformed "
                          f"({type(exc).__name__}: {exc}); compare it with the repository's own") from None


def schema_header(package: PackageSpec, table: str) -> str:
    """The first line of every record file: where editors find its JSON Schema."""
    import os

    rel = os.path.relpath(f"{JSON_SCHEMA_DIR}/{table}.json", package.tables[table].directory).replace(os.sep, "/")
    return f"# yaml-language-server: $schema={rel}"
