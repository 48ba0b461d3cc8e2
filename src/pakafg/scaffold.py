"""`pakafg new`: a record skeleton with every field, explained, ready to fill in.

Every field of the table is written with its description, whether it is
required and its allowed values as `#|` help lines (which `pakafg fmt`
removes), all taken from `schemas/`. Unknown values are `null`, so
`pakafg validate` points at each required field still to fill. Child lists get
one skeleton item. A record file is never overwritten and an ID already used in
the table is refused; a claim is appended to its source's claims file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .issues import PakafgError
from .read.files import read_text, record_files
from .read.yaml import parse_text
from .schemas import PackageSpec, TableSpec, schema_header

HELP = "#|"


def existing_ids(package: PackageSpec, table: TableSpec) -> dict[str, str]:
    """ID -> file of every record of `table` (tombstones included), plus every file stem."""
    ids: dict[str, str] = {}
    for file, rel in record_files(package.root, table.directory):
        if not table.group_by:
            ids.setdefault(file.stem, rel)
        text, _ = read_text(file, rel)
        root = parse_text(text, rel)[0] if text is not None else None
        records = [] if root is None else root.value if root.kind == "list" else [root]
        for record in records:
            if record.kind == "mapping" and table.id_field in record.value:
                rid = record.value[table.id_field].value
                if isinstance(rid, str):
                    ids.setdefault(rid, rel)
    return ids


def _help_lines(f: dict, required: bool) -> list[str]:
    c = f.get("constraints", {})
    text = f.get("description", "").strip()
    tags = []
    if required and "x-default" not in f:
        tags.append("required")
    if "x-default" in f:
        tags.append(f"default: {f['x-default']}")
    if f.get("type", "string") != "string":
        tags.append({"date": "YYYY-MM-DD", "number": "a number, digits only", "integer": "a whole number"}.get(f["type"], f["type"]))
    if "pattern" in c:
        tags.append(f"pattern: {c['pattern']}")
    if "maxLength" in c:
        tags.append(f"at most {c['maxLength']} characters")
    lines = [f"{text} ({'; '.join(tags)})" if tags else text]
    if "enum" in c:
        descriptions = f.get("x-enum-descriptions", {})
        lines.append("allowed values:")
        lines += [f"  {v}" + (f" = {descriptions[v]}" if v in descriptions else "") for v in c["enum"]]
    return [f"{HELP} {line}".rstrip() for line in lines]


def _fields_block(spec: TableSpec, names: list[str], values: dict[str, str], indent: str, marker: str = "") -> list[str]:
    """`#|` help then `name: value` per field; with a `marker` (`- `) the first key opens a list item."""
    out = []
    for i, name in enumerate(names):
        lead = indent[: len(indent) - len(marker)] if i == 0 and marker else indent
        out += [f"{lead}{line}" for line in _help_lines(spec.field(name), spec.required(name))]
        out.append(f"{lead}{marker if i == 0 else ''}{name}: {values.get(name, 'null')}")
    return out


def record_template(package: PackageSpec, table: str, record_id: str, values: dict[str, str] | None = None) -> str:
    """The commented skeleton of one record (for a grouped table: one list item)."""
    spec = package.tables[table]
    values = {spec.id_field: record_id, **(values or {})}
    for f in spec.fields:
        if "x-default" in f:
            values.setdefault(f["name"], f["x-default"])
    names = [n for n in spec.field_names if n != spec.group_by]
    indent, marker = ("  ", "- ") if spec.group_by else ("", "")
    lines = _fields_block(spec, names, values, indent, marker)
    for child in package.children_of(table):
        key = child.list_key
        items = package.item_fields(child.name)
        title = child.descriptor.get("title", child.name)
        lines.append(f"{indent}{HELP} {key}: {title}. {child.descriptor.get('description', '')}".rstrip())
        lines.append(f"{indent}{HELP} Fill in one item per entry; delete the whole `{key}:` list when there is none.")
        lines.append(f"{indent}{key}:")
        item_indent = indent + "    "
        if len(items) == 1:
            lines += [f"{indent}  {line}" for line in _help_lines(child.field(items[0]), True)]
            lines.append(f"{indent}  - null")
        else:
            lines += _fields_block(child, items, {}, item_indent, "- ")
    return "\n".join(lines) + "\n"


def _check_id(spec: TableSpec, record_id: str) -> None:
    pattern = spec.field(spec.id_field).get("constraints", {}).get("pattern")
    if not record_id or (pattern and not re.fullmatch(pattern, record_id)):
        raise PakafgError(f"'{record_id}' is not a valid {spec.id_field}: use lowercase words and digits joined by hyphens, e.g. dar-kabul-visit")


def scaffold(package: PackageSpec, table: str, record_id: str, source_id: str | None = None) -> Path:
    """Write a new record skeleton and return its path; raise PakafgError instead of overwriting anything."""
    choices = [t.name for t in package.record_tables()]
    if table not in choices:
        raise PakafgError(f"unknown table '{table}': choose one of {', '.join(choices)}")
    spec = package.tables[table]
    _check_id(spec, record_id)
    used = existing_ids(package, spec)
    if record_id in used:
        raise PakafgError(f"{spec.id_field} '{record_id}' is already used in {used[record_id]}; IDs are never reused — choose another")
    folder = package.root / spec.directory
    if spec.group_by:
        return _append_grouped(package, spec, record_id, source_id)
    if source_id is not None:
        raise PakafgError(f"--source applies only to grouped tables; {table} records are one file each")
    values = {}
    if table == "sources":  # the archived text beside it: point at it and record its hash
        text = folder / f"{record_id}.txt"
        values["file"] = f"{spec.directory}/{record_id}.txt"
        if text.is_file():
            values["sha256"] = hashlib.sha256(text.read_bytes()).hexdigest()
    path = folder / f"{record_id}.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    body = f"{schema_header(package, table)}\n{record_template(package, table, record_id, values)}"
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(body)
    except FileExistsError:
        raise PakafgError(f"{path.relative_to(package.root)} already exists; edit it instead") from None
    return path


def _append_grouped(package: PackageSpec, spec: TableSpec, record_id: str, group: str | None) -> Path:
    """Append a skeleton item to `<dir>/<group>.yaml` (claims of one source), creating the file if needed."""
    if not group:
        raise PakafgError(f"{spec.name} are grouped by {spec.group_by}: give --source <{spec.group_by}>")
    target = _group_table(package, spec)
    known = existing_ids(package, target) if target else {}
    if target and group not in known:
        raise PakafgError(f"unknown {spec.group_by} '{group}': add it first with `pakafg new {target.name} --id {group}`"
                          + (f" (known: {', '.join(sorted(known))})" if known else ""))
    path = package.root / spec.directory / f"{group}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    item = record_template(package, spec.name, record_id)
    if path.exists():
        existing = path.read_text(encoding="utf-8")
        sep = "" if existing.endswith("\n") or not existing else "\n"
        with open(path, "a", encoding="utf-8", newline="\n") as fh:
            fh.write(f"{sep}\n{item}")
    else:
        with open(path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(f"{schema_header(package, spec.name)}\n{item}")
    return path


def _group_table(package: PackageSpec, spec: TableSpec) -> TableSpec | None:
    """The table whose IDs name the groups (sources for claims), from the foreign keys."""
    for fk in spec.foreign_keys:
        if fk["fields"] == [spec.group_by]:
            return package.tables.get(fk["reference"]["resource"])
    return None
