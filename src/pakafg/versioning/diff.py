"""What changed between two states of the package: records by primary key, field by field, and the schemas.

Every change carries the smallest version bump it needs:

| change | bump |
|---|---|
| table or field added, removed, renamed, retyped or reordered; primary key changed; a record (not a child row) removed | major |
| record added; field constraints or foreign keys changed | minor |
| record corrected; child rows (aliases, participants, links, citations) changed; descriptions or package metadata changed | patch |
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..check import validate
from ..compile import compile_tables
from ..issues import InvalidPackage, PakafgError
from ..schemas import PackageSpec, public_descriptor
from . import git
from .manifest import latest_release
from .versions import BUMPS, next_version

WORKING_TREE = "working tree"


@dataclass
class Snapshot:
    """The compiled package at one point: spec + rows of every table keyed by primary key."""

    label: str
    spec: PackageSpec
    rows: dict[str, dict[tuple, dict]]

    @property
    def version(self) -> str:
        return self.spec.version


def load_snapshot(root: Path, label: str) -> Snapshot:
    """Validate and compile the package at `root`; raise InvalidPackage if it has errors."""
    validation = validate(root)
    if not validation.valid:
        raise InvalidPackage(validation.report.issues)
    tables = compile_tables(validation)
    rows = {}
    for name, table in tables.items():
        key = validation.spec.tables[name].primary_key or table.column_names
        rows[name] = {tuple(r[k] for k in key): r for r in table.to_pylist()}
    return Snapshot(label, validation.spec, rows)


def load_ref(root: Path, ref: str, label: str | None = None) -> Snapshot:
    """The package as it was at git `ref` (extracted to a temporary folder), validated and compiled."""
    with tempfile.TemporaryDirectory(prefix="pakafg-base-") as tmp:
        base = git.extract(root, ref, Path(tmp))
        try:
            return load_snapshot(base, label or ref)
        except InvalidPackage as exc:
            raise PakafgError(f"the package at {ref} does not validate ({exc}); diff needs a valid base") from None
        except PakafgError as exc:
            raise PakafgError(f"could not load the package at {ref}: {str(exc).replace(tmp + '/', '')}") from None


# --- the diff ----------------------------------------------------------------------

@dataclass
class Change:
    """One schema or metadata change and the bump it requires."""

    table: str | None
    field: str | None
    change: str
    detail: str
    bump: str

    def where(self) -> str:
        return ".".join(p for p in (self.table, self.field) if p) or "package"


@dataclass
class TableDiff:
    table: str
    key: list[str]
    is_child: bool
    added: list[tuple] = field(default_factory=list)
    removed: list[tuple] = field(default_factory=list)
    changed: list[tuple[tuple, dict[str, tuple]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def bumps(self) -> list[tuple[str, str]]:
        if self.is_child:
            return [("patch", f"{self.table}: rows added, removed or changed")] if not self.empty else []
        out = []
        if self.removed:
            out.append(("major", f"{self.table}: {len(self.removed)} record(s) removed (withdraw with status: withdrawn instead)"))
        if self.added:
            out.append(("minor", f"{self.table}: {len(self.added)} record(s) added"))
        if self.changed:
            out.append(("patch", f"{self.table}: {len(self.changed)} record(s) corrected"))
        return out


@dataclass
class Diff:
    base_label: str
    base_version: str
    head_label: str
    schema: list[Change]
    tables: list[TableDiff]
    head_counts: dict[str, int] = field(default_factory=dict)
    base_release: str | None = None  # the released version the base is, if it is one
    latest_release: str | None = None  # the newest released version (the next release follows it)

    @property
    def reasons(self) -> list[tuple[str, str]]:
        out = [(c.bump, f"{c.where()}: {c.detail}") for c in self.schema]
        for t in self.tables:
            out += t.bumps()
        return out

    @property
    def required_bump(self) -> str:
        return max((b for b, _ in self.reasons), key=BUMPS.index, default="none")

    @property
    def next_version(self) -> str | None:
        """What `pakafg release` would call these changes: the latest release bumped as they require."""
        if self.latest_release is None or self.required_bump == "none":
            return None
        return next_version(self.latest_release, self.required_bump)

    @property
    def empty(self) -> bool:
        return not self.schema and all(t.empty for t in self.tables)

    def to_dict(self) -> dict:
        return {
            "base": {"ref": self.base_label, "version": self.base_version, "release": self.base_release},
            "head": {"ref": self.head_label, "rows": self.head_counts},
            "required_bump": self.required_bump,
            "next_version": self.next_version,
            "reasons": [{"bump": b, "reason": r} for b, r in self.reasons],
            "schema_changes": [c.__dict__ for c in self.schema],
            "tables": {
                t.table: {
                    "key": t.key,
                    "added": [_key_dict(t.key, k) for k in t.added],
                    "removed": [_key_dict(t.key, k) for k in t.removed],
                    "changed": [{"key": _key_dict(t.key, k), "fields": {f: {"old": _json(o), "new": _json(n)} for f, (o, n) in ch.items()}}
                                for k, ch in t.changed],
                }
                for t in self.tables if not t.empty
            },
        }


def _json(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _key_dict(key: list[str], values: tuple) -> dict:
    return {k: _json(v) for k, v in zip(key, values)}


def _field_map(spec) -> dict[str, dict]:
    return {f["name"]: f for f in spec.fields} if spec else {}


def _describe_constraints(old: dict, new: dict) -> str:
    parts = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "enum" and a is not None and b is not None:
            plus = [v for v in b if v not in a]
            minus = [v for v in a if v not in b]
            parts.append("enum " + " ".join([f"+{v}" for v in plus] + [f"-{v}" for v in minus] or ["reordered"]))
        else:
            parts.append(f"{key} {a!r} -> {b!r}")
    return "constraints changed: " + "; ".join(parts)


def schema_changes(base: PackageSpec, head: PackageSpec) -> list[Change]:
    """Tables and fields added/removed/retyped, keys and constraints changed, metadata edited."""
    out: list[Change] = []
    for name in base.tables:
        if name not in head.tables:
            out.append(Change(name, None, "table-removed", "table removed", "major"))
    for name, spec in head.tables.items():
        old = base.tables.get(name)
        if old is None:
            out.append(Change(name, None, "table-added", "table added", "major"))
            continue
        a, b = _field_map(old), _field_map(spec)
        for fname in a:
            if fname not in b:
                out.append(Change(name, fname, "field-removed", "field removed (a rename shows as removed + added)", "major"))
        for fname, f in b.items():
            if fname not in a:
                out.append(Change(name, fname, "field-added", f"field added ({f.get('type', 'string')})", "major"))
                continue
            g = a[fname]
            if g.get("type", "string") != f.get("type", "string"):
                out.append(Change(name, fname, "field-retyped", f"type {g.get('type', 'string')} -> {f.get('type', 'string')}", "major"))
            if g.get("constraints", {}) != f.get("constraints", {}):
                out.append(Change(name, fname, "constraints", _describe_constraints(g.get("constraints", {}), f.get("constraints", {})), "minor"))
            rest = lambda d: {k: v for k, v in d.items() if k not in ("name", "type", "constraints")}  # noqa: E731
            if rest(g) != rest(f):
                keys = sorted(k for k in set(rest(g)) | set(rest(f)) if rest(g).get(k) != rest(f).get(k))
                out.append(Change(name, fname, "documentation", f"{', '.join(keys)} changed", "patch"))
        common_old = [n for n in a if n in b]
        common_new = [n for n in b if n in a]
        if common_old != common_new:
            out.append(Change(name, None, "fields-reordered", "field order changed (CSV column order)", "major"))
        if old.primary_key != spec.primary_key:
            out.append(Change(name, None, "primary-key", f"primary key {old.primary_key} -> {spec.primary_key}", "major"))
        if public_descriptor(old.descriptor).get("foreignKeys") != public_descriptor(spec.descriptor).get("foreignKeys"):
            out.append(Change(name, None, "foreign-keys", "foreign keys changed", "minor"))
        for key in ("title", "description"):
            if old.descriptor.get(key) != spec.descriptor.get(key):
                out.append(Change(name, None, "documentation", f"table {key} changed", "patch"))
    skip = {"resources", "version"}
    for key in sorted((set(base.metadata) | set(head.metadata)) - skip):
        if base.metadata.get(key) != head.metadata.get(key):
            out.append(Change(None, key, "metadata", f"package {key} changed", "patch"))
    return out


def table_diff(name: str, base: Snapshot, head: Snapshot) -> TableDiff:
    spec = head.spec.tables.get(name) or base.spec.tables[name]
    old_rows, new_rows = base.rows.get(name, {}), head.rows.get(name, {})
    old_fields, new_fields = _field_map(base.spec.tables.get(name)), _field_map(head.spec.tables.get(name))
    compared = [n for n, f in new_fields.items() if n in old_fields and old_fields[n].get("type") == f.get("type")]
    td = TableDiff(name, spec.primary_key, spec.is_child)
    for key in sorted(old_rows.keys() - new_rows.keys(), key=_sortable):
        td.removed.append(key)
    for key in sorted(new_rows.keys() - old_rows.keys(), key=_sortable):
        td.added.append(key)
    for key in sorted(new_rows.keys() & old_rows.keys(), key=_sortable):
        a, b = old_rows[key], new_rows[key]
        changes = {f: (a.get(f), b.get(f)) for f in compared if a.get(f) != b.get(f)}
        if changes:
            td.changed.append((key, changes))
    return td


def _sortable(key: tuple) -> tuple:
    return tuple((v is not None, str(v) if v is not None else "") for v in key)


def diff_snapshots(base: Snapshot, head: Snapshot) -> Diff:
    names = list(head.spec.tables) + [n for n in base.spec.tables if n not in head.spec.tables]
    return Diff(base.label, base.version, head.label, schema_changes(base.spec, head.spec),
                [table_diff(n, base, head) for n in names], head_counts={n: len(r) for n, r in head.rows.items()})


def diff(root: str | Path, ref: str | None = None) -> Diff:
    """Compare the working tree at `root` with git `ref`, by default the commit the latest release was cut from."""
    root = Path(root)
    release = latest_release(root)
    if ref is None:
        if release is None:
            raise PakafgError("nothing to compare with: no release yet (releases/ holds no manifest); give a git ref, e.g. `pakafg diff HEAD`")
        if not release.get("commit"):
            raise PakafgError(f"releases/{release['version']}.json records no commit; give a git ref to compare with")
        ref, label = release["commit"], f"release {release['version']}"
    else:
        label = ref
    head = load_snapshot(root, WORKING_TREE)
    base = load_ref(root, ref, label)
    result = diff_snapshots(base, head)
    result.base_release = release["version"] if release and (ref == release.get("commit") or base.version == release["version"]) else None
    result.latest_release = release["version"] if release else None
    return result
