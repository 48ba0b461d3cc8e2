"""The canonical text of a record file, so pull-request diffs show only real changes.

Canonical form (congress-legislators' lint, derived from `schemas/`):

- first line `# yaml-language-server: $schema=…` pointing at the table's JSON Schema;
- keys in schema order, child lists after the scalar fields in the package's
  order, keys of list items in their table's field order; unknown keys are kept
  at the end (validate reports them);
- a value equal to the field's default (`status: active`) is left out;
- scalars plain where every YAML reader takes them as the same text, otherwise
  quoted: single quotes, or double quotes when the text holds more `'` than `"`; dates and
  numbers in date/number fields plain; `null` for nulls; never wrapped;
  multi-line text as a `|` block;
- two-space indentation with list items indented under their key, a blank
  line between the records of a claims file, LF line endings, final newline.

Comments: lines starting with `#|` are the help text of `pakafg new` and are
dropped. Any other comment would be lost, so such a file is refused with a
`yaml-comment` issue naming the line: move the remark into `note:` or delete it.

Formatting must not change what the loader reads: the output is parsed again and
compared with the input (defaults aside) before anything is written.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.emitter import Emitter
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver, Resolver
from yaml.serializer import Serializer

from .issues import Issue, PakafgError
from .read.files import read_text, record_files
from .read.yaml import NULL_SCALARS, Node, parse_text, to_plain
from .schemas import PackageSpec, TableSpec, schema_header

STR = BaseResolver.DEFAULT_SCALAR_TAG
HELP_PREFIX = "#|"
HEADER_PREFIX = "# yaml-language-server:"
# Plain scalars that a YAML 1.2 (core schema) reader, e.g. an editor's language server, would not take as text.
YAML12_NOT_TEXT = re.compile(
    r"^(?:null|Null|NULL|~|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$"
)
_YAML11 = Resolver()
ODD_BREAKS = "\r\x85\u2028\u2029"  # line breaks to YAML besides \n


@dataclass
class Formatted:
    """One file's outcome: its canonical text, or the issues that stop formatting it."""

    path: str
    file: Path
    original: str | None
    text: str | None
    issues: list[Issue] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.text is not None and self.text != self.original


class _Dumper(Emitter, Serializer, BaseResolver):
    """Serializes a node tree as given: no implicit typing, list items indented under their key."""

    def __init__(self, stream, **_options):
        Emitter.__init__(self, stream, allow_unicode=True, width=1 << 30, indent=2, line_break="\n")
        Serializer.__init__(self, explicit_start=False, explicit_end=False)
        BaseResolver.__init__(self)

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)

    def analyze_scalar(self, scalar):
        return _analysis(scalar)  # the same for every dumper of these options, and field names repeat in every record


_ANALYZER = _Dumper(None)


@functools.lru_cache(maxsize=65536)
def _analysis(scalar: str):
    """PyYAML's analysis of a scalar (which styles may write it); half of `fmt`'s time went to repeating it."""
    return Emitter.analyze_scalar(_ANALYZER, scalar)


def _reads_as_text(value: str) -> bool:
    """True when a plain scalar `value` is a string to YAML 1.1 and 1.2 readers alike."""
    if value in NULL_SCALARS or YAML12_NOT_TEXT.match(value):
        return False
    return _YAML11.resolve(ScalarNode, value, (True, False)) == STR


def _plain_allowed(value: str) -> bool:
    """Whether YAML syntax lets `value` be written plain in block context (no `: `, ` #`, leading indicator…)."""
    analysis = _ANALYZER.analyze_scalar(value)
    return bool(value) and analysis.allow_block_plain and not analysis.multiline


def _scalar(value: str | None, ftype: str) -> ScalarNode:
    if value is None:
        return ScalarNode(STR, "null", style=None)
    if any(ch in value for ch in ODD_BREAKS):
        style = '"'  # escaped: a block or plain scalar would turn them into line breaks
    elif "\n" in value:
        style = "|"
    elif value not in NULL_SCALARS and _plain_allowed(value) and (ftype != "string" or _reads_as_text(value)):
        style = None
    else:  # the quoting that needs fewer escapes; single quotes on a tie
        style = "'" if value.count("'") <= value.count('"') else '"'
    return ScalarNode(STR, value, style=style)


def _key(name: str) -> ScalarNode:
    return ScalarNode(STR, name, style=None if _reads_as_text(name) else "'")


def _field_types(spec: TableSpec) -> dict[str, str]:
    return {f["name"]: f.get("type", "string") for f in spec.fields}


@dataclass(frozen=True)
class _Shape:
    """Key order, field types and defaults of one kind of mapping (a record or a list item)."""

    order: list[str]
    types: dict[str, str]
    defaults: dict[str, str]
    lists: dict[str, "_Shape"]


def _shape(package: PackageSpec, table: TableSpec) -> _Shape:
    lists = {}
    for child in package.children_of(table.name):
        lists[child.list_key] = _Shape(package.item_fields(child.name), _field_types(child), {}, {})
    defaults = {f["name"]: f["x-default"] for f in table.fields if "x-default" in f}
    return _Shape(package.record_keys(table.name), _field_types(table), defaults, lists)


def _node(value: Node, shape: _Shape | None, ftype: str = "string"):
    """Node tree -> yaml node tree in canonical order and style."""
    if isinstance(value.value, dict):
        mapping = value.value
        order = shape.order if shape else []
        keys = [k for k in order if k in mapping] + [k for k in mapping if k not in order]
        pairs = []
        for k in keys:
            v = mapping[k]
            if shape and k in shape.defaults and v.value == shape.defaults[k]:
                continue
            child_shape = shape.lists.get(k) if shape else None
            pairs.append((_key(k), _node(v, child_shape, shape.types.get(k, "string") if shape else "string")))
        return MappingNode(BaseResolver.DEFAULT_MAPPING_TAG, pairs, flow_style=False)
    if isinstance(value.value, list):
        items = [_node(v, shape, shape.types.get(shape.order[0], "string") if shape and len(shape.order) == 1 else ftype)
                 for v in value.value]
        return SequenceNode(BaseResolver.DEFAULT_SEQUENCE_TAG, items, flow_style=False if items else True)
    return _scalar(value.value, ftype)


def _comments(text: str, path: str) -> list[Issue]:
    """Comments that formatting would lose: every `#` outside a scalar, except the header and `#|` help."""
    body = text.partition("\n")[2] if text.startswith(HEADER_PREFIX) else text
    if "#" not in body:
        return []  # no comment beyond the header line: nothing to scan
    covered = []
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.ScalarToken):
            covered.append((token.start_mark.index, token.end_mark.index))
    covered.sort()
    issues, i = [], 0
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for m in re.finditer("#", text):
        pos = m.start()
        while i < len(covered) and covered[i][1] <= pos:
            i += 1
        if i < len(covered) and covered[i][0] <= pos < covered[i][1]:
            continue
        line_no = _line_of(line_starts, pos)
        line = text[line_starts[line_no - 1]:].split("\n", 1)[0]
        stripped = line.strip()
        if stripped.startswith(HELP_PREFIX) or (line_no == 1 and stripped.startswith(HEADER_PREFIX)):
            continue
        if issues and issues[-1].line == line_no:
            continue
        issues.append(Issue(code="yaml-comment", path=path, line=line_no, column=pos - line_starts[line_no - 1] + 1,
                            message="this comment would be lost by `pakafg fmt`",
                            hint="move the remark into the record's `note:` field, or delete it"))
    return issues


def _line_of(line_starts: list[int], pos: int) -> int:
    lo, hi = 0, len(line_starts)
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if line_starts[mid] <= pos:
            lo = mid
        else:
            hi = mid
    return lo + 1


def _without_defaults(plain, shape: _Shape):
    if isinstance(plain, dict):
        return {k: v for k, v in plain.items() if not (k in shape.defaults and v == shape.defaults[k])}
    if isinstance(plain, list):
        return [_without_defaults(v, shape) for v in plain]
    return plain


def format_text(package: PackageSpec, table: TableSpec, text: str, path: str) -> tuple[str | None, list[Issue]]:
    """The canonical text of one record file of `table`, or None and the issues preventing it."""
    root, issues = parse_text(text, path)
    if root is None or issues:
        return None, issues
    try:
        issues = _comments(text, path)
    except yaml.YAMLError as exc:  # pragma: no cover - parse_text accepted it; scanning is no stricter
        return None, [Issue(code="yaml-syntax", path=path, message=f"invalid YAML: {exc}")]
    if issues:
        return None, issues
    shape = _shape(package, table)
    tree = _node(root, shape)
    body = yaml.serialize(tree, Dumper=_Dumper)
    if table.group_by and root.kind == "list":  # a blank line between the records of a grouped file
        body = re.sub(r"\n(?=- )", "\n\n", body)
    out = f"{schema_header(package, table.name)}\n{body}"
    again, again_issues = parse_text(out, path)
    if again_issues or to_plain(again) != _without_defaults(to_plain(root), shape):
        return None, [Issue(code="not-canonical", path=path, message="cannot be rewritten without changing its values",
                            hint="please report this as a bug in pakafg fmt, with the file")]
    return out, []


def select_files(package: PackageSpec, paths: list[str | Path] | None = None) -> list[tuple[TableSpec, Path, str]]:
    """(table, file, repo-relative path) of the record files to format: all of them, or those under `paths`."""
    everything = [(table, file, rel) for table in package.record_tables() for file, rel in record_files(package.root, table.directory)]
    if not paths:
        return everything
    root = package.root.resolve()
    wanted: list[tuple[TableSpec, Path, str]] = []
    for p in paths:
        target = Path(p).resolve()
        try:
            rel = target.relative_to(root).as_posix()
        except ValueError:
            raise PakafgError(f"{p}: not inside the package at {package.root}") from None
        if target.is_dir():
            matched = [e for e in everything if e[2] == rel or e[2].startswith(rel.rstrip("/") + "/") or rel == "."]
            wanted += matched
            continue
        if not target.exists():
            raise PakafgError(f"{p}: no such file")
        table = package.table_of_folder(rel.rpartition("/")[0])
        if table is None or not rel.endswith((".yaml", ".yml")):
            folders = ", ".join(t.directory for t in package.record_tables())
            raise PakafgError(f"{p}: not a record file (record files are *.yaml in {folders})")
        wanted.append((table, target, rel))
    seen, out = set(), []
    for entry in wanted:
        if entry[2] not in seen:
            seen.add(entry[2])
            out.append(entry)
    return out


def format_files(package: PackageSpec, paths: list[str | Path] | None = None, *, write: bool = True,
                 progress=lambda items: items) -> list[Formatted]:
    """Format record files in place (or only compute, `write=False`); one `Formatted` per file."""
    results = []
    for table, file, rel in progress(select_files(package, paths)):
        original, issues = read_text(file, rel)
        if original is None:
            results.append(Formatted(rel, file, None, None, issues))
            continue
        text, issues = format_text(package, table, original, rel)
        result = Formatted(rel, file, original, text, issues)
        if write and result.changed:
            _replace(file, text)
        results.append(result)
    return results


def _replace(file: Path, text: str) -> None:
    """Write via a hidden temporary file and rename, so an interrupted run never leaves half a record."""
    tmp = file.with_name(f".{file.name}.fmt-tmp")
    try:
        tmp.write_bytes(text.encode("utf-8"))
        os.replace(tmp, file)
    finally:
        tmp.unlink(missing_ok=True)


def check_issues(results: list[Formatted]) -> list[Issue]:
    """Every file that is not canonical (an issue at its first differing line) or could not be formatted."""
    issues: list[Issue] = []
    for r in results:
        issues += r.issues
        if r.changed:
            line = _first_difference(r.original or "", r.text or "")
            issues.append(Issue(code="not-canonical", path=r.path, line=line, message="not in canonical format",
                                hint=f"run `pakafg fmt {r.path}`"))
    return sorted(issues, key=Issue.sort_key)


def _first_difference(a: str, b: str) -> int:
    for tag, i1, _i2, _j1, _j2 in difflib.SequenceMatcher(None, a.splitlines(), b.splitlines(), autojunk=False).get_opcodes():
        if tag != "equal":
            return i1 + 1
    return 1
