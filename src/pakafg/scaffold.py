"""Authoring: `pakafg new` (a record skeleton to fill in) and `pakafg add-source` (archive a text).

A short skeleton holds the required fields and the table's common ones
(`x-skeleton` in its schema), each after one `#|` help line (which
`pakafg fmt` removes); `--full` writes every field with each code's meaning.
Unknown values are `null`, so `pakafg validate` points at each required field
still to fill. A record file is never overwritten and an ID already used in
the table is refused; a claim is appended to its source's claims file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .issues import PakafgError
from .read.files import load_file, record_files, text_problem
from .schemas import PackageSpec, TableSpec, schema_header

HELP = "#|"


def existing_ids(package: PackageSpec, table: TableSpec) -> dict[str, str]:
    """ID -> file of every record of `table` (tombstones included), plus every file stem."""
    ids: dict[str, str] = {}
    for file, rel in record_files(package.root, table.directory):
        if not table.group_by:
            ids.setdefault(file.stem, rel)
        root, _ = load_file(file, rel)
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


def _summary(spec: TableSpec, name: str) -> str:
    """One help line: the description's first sentence, whether it is required, its codes."""
    f = spec.field(name)
    text = re.split(r"(?<!e\.g)(?<!i\.e)\.\s", f.get("description", "").strip(), maxsplit=1)[0].rstrip(".")
    tags = ["required"] if spec.required(name) and "x-default" not in f else []
    kind = f.get("type", "string")
    if kind != "string":
        tags.append({"date": "YYYY-MM-DD", "number": "digits", "integer": "a whole number"}.get(kind, kind))
    enum = f.get("constraints", {}).get("enum")
    if enum:
        tags.append("one of " + ", ".join(map(str, enum)))
    return f"{HELP} {name}: {text}" + (f" ({'; '.join(tags)})" if tags else "")


def skeleton_keys(package: PackageSpec, table: str) -> list[str]:
    """What a short skeleton holds: required fields and the table's common ones (`x-skeleton` in its schema), in order."""
    spec = package.tables[table]
    common = set(spec.descriptor.get("x-skeleton", []))
    return [k for k in package.record_keys(table)
            if k in common or (k in spec.field_names and spec.required(k) and "x-default" not in spec.field(k))]


def record_template(package: PackageSpec, table: str, record_id: str, values: dict[str, str] | None = None,
                    full: bool = False) -> str:
    """The skeleton of one record (for a grouped table: one list item).

    Short (the default): required and common fields, one `#|` help line each,
    and a help line for each other list; `full`: every field with its
    description and each code's meaning. `pakafg fmt` removes the `#|` lines.
    """
    spec = package.tables[table]
    values = {spec.id_field: record_id, **(values or {})}
    indent, marker = ("  ", "- ") if spec.group_by else ("", "")
    if full:
        lines = _fields_block(spec, spec.record_fields(), values, indent, marker)
    else:
        keys = skeleton_keys(package, table)
        lines = [f"{indent}{HELP} Fill in the values and run `pakafg validate`; every field and code: docs/data-dictionary.md#{table}"]
        names = [k for k in keys if k in spec.field_names]
        for i, name in enumerate(names):
            lead = indent[: len(indent) - len(marker)] + marker if i == 0 and marker else indent
            lines += [f"{indent}{_summary(spec, name)}", f"{lead}{name}: {values.get(name, 'null')}"]
    for child in package.children_of(table):
        key = child.list_key
        items = package.item_fields(child.name)
        title = child.descriptor.get("title", child.name)
        if not full and key not in skeleton_keys(package, table):
            shape = "`- …`" if len(items) == 1 else "`- " + ": …`, `".join(items) + ": …`"
            lines.append(f"{indent}{HELP} {key}: {title.lower()}, one item per entry: {shape} (docs/data-dictionary.md#{child.name})")
            continue
        lines.append(f"{indent}{HELP} {key}: {title}. {child.descriptor.get('description', '')}".rstrip())
        lines.append(f"{indent}{key}:")
        if len(items) == 1:
            lines += [f"{indent}  {line}" for line in _help_lines(child.field(items[0]), True)] if full else []
            lines.append(f"{indent}  - null")
        elif full:
            lines += _fields_block(child, items, {}, indent + "    ", "- ")
        else:
            required = [n for n in items if child.required(n)] or items[:1]
            lines += [f"{indent}  {'- ' if i == 0 else '  '}{n}: null" for i, n in enumerate(required)]
    return "\n".join(lines) + "\n"


def _check_id(spec: TableSpec, record_id: str) -> None:
    pattern = spec.field(spec.id_field).get("constraints", {}).get("pattern")
    if not record_id or (pattern and not re.fullmatch(pattern, record_id)):
        raise PakafgError(f"'{record_id}' is not a valid {spec.id_field}: use lowercase words and digits joined by hyphens, e.g. dar-kabul-visit")


def scaffold(package: PackageSpec, table: str, record_id: str, source_id: str | None = None, full: bool = False) -> Path:
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
        return _append_grouped(package, spec, record_id, source_id, full)
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
    body = f"{schema_header(package, table)}\n{record_template(package, table, record_id, values, full)}"
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(body)
    except FileExistsError:
        raise PakafgError(f"{path.relative_to(package.root)} already exists; edit it instead") from None
    return path


def _append_grouped(package: PackageSpec, spec: TableSpec, record_id: str, group: str | None, full: bool = False) -> Path:
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
    item = record_template(package, spec.name, record_id, full=full)
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


def slug(text: str) -> str:
    """A file name as an ID: lowercase words and digits joined by hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def add_source(package: PackageSpec, file: Path, source_id: str | None = None, retrieved_from: str | None = None,
               retrieved_on: str | None = None) -> tuple[Path, Path]:
    """Archive `file` as sources/<id>.txt, byte for byte, and write its metadata record (sha256 computed).

    Returns (archived text, metadata record). The text must be UTF-8 without a
    byte-order mark or control characters (the rule every archived text
    follows); nothing is written when it is not.
    """
    spec = package.tables["sources"]
    source_id = source_id or slug(Path(file).stem)
    _check_id(spec, source_id)
    used = existing_ids(package, spec)
    if source_id in used:
        raise PakafgError(f"source_id '{source_id}' is already used in {used[source_id]}; choose another with --id")
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        raise PakafgError(f"cannot read {file}: {exc.strerror or exc}") from None
    problem = text_problem(data)
    if problem:
        raise PakafgError(f"{file} {problem[1]}: save the article's text as plain UTF-8 and try again")
    folder = package.root / spec.directory
    folder.mkdir(parents=True, exist_ok=True)
    text_path = folder / f"{source_id}.txt"
    values = {"file": f"{spec.directory}/{source_id}.txt", "sha256": hashlib.sha256(data).hexdigest()}
    if retrieved_from:
        values["retrieved_from"] = retrieved_from
    if retrieved_on:
        values["retrieved_on"] = retrieved_on
    body = f"{schema_header(package, 'sources')}\n{record_template(package, 'sources', source_id, values)}"
    record_path = folder / f"{source_id}.yaml"
    try:
        with open(text_path, "xb") as fh:
            fh.write(data)
    except FileExistsError:
        raise PakafgError(f"{text_path.relative_to(package.root)} already exists; choose another --id") from None
    try:
        with open(record_path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(body)
    except FileExistsError:
        text_path.unlink()
        raise PakafgError(f"{record_path.relative_to(package.root)} already exists; choose another --id") from None
    return text_path, record_path
