"""Strict YAML loading that keeps what the contributor typed, and where.

YAML 1.1 turns `NO` into false, `1:20` into 80 and `012` into 10, and silently
keeps the last of two duplicate keys. Here every scalar stays the string that
was typed (plain `null`, `~` or nothing is the only null); the schema types it
later. Duplicate keys, anchors/aliases, explicit tags, oversized or binary files
are reported as issues with `file:line:column`; nothing here raises on bad input.

PyYAML's libyaml parser (CParser) composes the node graph in C; the walk that
turns nodes into `Node`s is the only Python pass over the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from .issues import Issue

MAX_FILE_BYTES = 1024 * 1024  # a claims file for one long article stays far below this
MAX_DEPTH = 6  # record > list > item > value is 4 levels; deeper is never valid
NULL_SCALARS = frozenset({"", "~", "null", "Null", "NULL"})
ALLOWED_TAGS = frozenset({BaseResolver.DEFAULT_SCALAR_TAG, BaseResolver.DEFAULT_SEQUENCE_TAG, BaseResolver.DEFAULT_MAPPING_TAG})


class _PyParser(Reader, Scanner, Parser, Composer):
    """PyYAML's pure-Python parser: used where libyaml is more lenient (tabs)."""

    def __init__(self, stream):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)


try:  # the C parser when PyYAML was built with libyaml (`yaml` itself does not export it)
    from yaml.cyaml import CParser as _Parser

    C_ACCELERATED = True
except ImportError:  # pragma: no cover - pure-Python fallback
    _Parser = _PyParser  # type: ignore[misc]
    C_ACCELERATED = False


_DEFAULT_TAGS = {yaml.ScalarNode: BaseResolver.DEFAULT_SCALAR_TAG, yaml.SequenceNode: BaseResolver.DEFAULT_SEQUENCE_TAG,
                 yaml.MappingNode: BaseResolver.DEFAULT_MAPPING_TAG}


class _StringLoader(_Parser, BaseResolver):
    """Composes nodes without implicit typing: every plain scalar is tagged str."""

    def __init__(self, stream):
        _Parser.__init__(self, stream)
        BaseResolver.__init__(self)

    def resolve(self, kind, value, implicit):
        """BaseResolver's answer (no implicit or path resolvers: the default tag of the kind), without its Python walk."""
        return _DEFAULT_TAGS[kind]


class _StrictStringLoader(_PyParser, BaseResolver):
    """The same in pure Python, for text holding a tab: libyaml accepts tabs as separators
    (`key:<TAB>value`); PyYAML's own scanner rejects them with a position, as the rules require."""

    def __init__(self, stream):
        _PyParser.__init__(self, stream)
        BaseResolver.__init__(self)


def _loader_for(text: str) -> type:
    return _StrictStringLoader if "\t" in text else _StringLoader


@dataclass(slots=True)
class Node:
    """A YAML value with its 1-based position: str | None | list[Node] | dict[str, Node]."""

    value: Any
    line: int
    column: int

    @property
    def kind(self) -> str:
        if isinstance(self.value, dict):
            return "mapping"
        if isinstance(self.value, list):
            return "list"
        return "null" if self.value is None else "text"


def _issue(code: str, path: str, message: str, line: int | None = None, column: int | None = None, hint: str | None = None) -> Issue:
    return Issue(code=code, message=message, path=path, line=line, column=column, hint=hint)


def _first_anchor(text: str, path: str) -> Issue | None:
    """Find an anchor or alias by parsing events; only called when `&` or `*` appears."""
    try:
        for event in yaml.parse(text, Loader=_loader_for(text)):
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                m = event.start_mark
                kind = "alias" if isinstance(event, yaml.AliasEvent) else "anchor"
                return _issue("yaml-anchor", path, f"YAML {kind} '{anchor}' is not allowed", m.line + 1, m.column + 1,
                              "write the value out in full; records must not share nodes")
    except yaml.YAMLError:
        return None  # the syntax error is reported by compose
    return None


def parse_text(text: str, path: str) -> tuple[Node | None, list[Issue]]:
    """Compose one YAML document into `Node`s; return (root, issues)."""
    if "&" in text or "*" in text:
        anchored = _first_anchor(text, path)
        if anchored:
            return None, [anchored]
    try:
        root = yaml.compose(text, Loader=_loader_for(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        hint = "indent with spaces, not tabs" if "\t" in problem or "'\\t'" in problem else "check quoting and indentation on this line"
        return None, [_issue("yaml-syntax", path, f"invalid YAML: {problem}", mark.line + 1 if mark else None,
                             mark.column + 1 if mark else None, hint)]
    except yaml.YAMLError as exc:
        return None, [_issue("yaml-syntax", path, f"invalid YAML: {exc}", hint="one YAML document per file")]
    except RecursionError:
        return None, [_issue("too-deep", path, "nesting is too deep to read", hint=f"records nest at most {MAX_DEPTH} levels")]
    if root is None:
        return None, [_issue("empty-file", path, "file holds no record", 1, 1, "delete the file or write the record")]
    issues: list[Issue] = []
    return _convert(root, path, issues, 1), issues


def _convert(node: yaml.Node, path: str, issues: list[Issue], depth: int) -> Node:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if node.tag not in ALLOWED_TAGS:
        issues.append(_issue("yaml-tag", path, f"explicit tag {node.tag!r} is not allowed", line, column,
                             "remove the tag; values are typed by the schema"))
        return Node(None, line, column)
    if depth > MAX_DEPTH:
        issues.append(_issue("too-deep", path, f"value nested {depth} levels deep", line, column,
                             f"records nest at most {MAX_DEPTH} levels"))
        return Node(None, line, column)
    if isinstance(node, yaml.ScalarNode):
        value = node.value
        if node.style in (None, "") and value in NULL_SCALARS:
            value = None
        return Node(value, line, column)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, path, issues, depth + 1) for item in node.value], line, column)
    mapping: dict[str, Node] = {}
    for key_node, value_node in node.value:
        kl, kc = key_node.start_mark.line + 1, key_node.start_mark.column + 1
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in ALLOWED_TAGS:
            issues.append(_issue("wrong-shape", path, "a mapping key must be plain text", kl, kc))
            continue
        key = key_node.value
        if key in mapping:
            first = mapping[key]
            issues.append(_issue("duplicate-key", path, f"key '{key}' appears twice (first at line {first.line})", kl, kc,
                                 "keep one; YAML would silently use the last"))
            continue
        mapping[key] = _convert(value_node, path, issues, depth + 1)
    return Node(mapping, line, column)


def read_text(file: Path, path: str) -> tuple[str | None, list[Issue]]:
    """Read a record file's bytes and decode them, refusing what is not small UTF-8 text."""
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [_issue("file-too-large", path, f"file is {size} bytes; the limit is {MAX_FILE_BYTES}", hint="split the records over several files")]
        data = file.read_bytes()
    except OSError as exc:
        return None, [_issue("wrong-shape", path, f"cannot read file: {exc.strerror}")]
    if b"\x00" in data:
        return None, [_issue("binary-file", path, "file contains NUL bytes; it is not a text file", hint="record files are UTF-8 YAML")]
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [_issue("byte-order-mark", path, "file starts with a UTF-8 byte-order mark", 1, 1, "save the file as UTF-8 without BOM")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [_issue("encoding-error", path, f"byte 0x{data[exc.start]:02x} is not valid UTF-8", line, column, "save the file as UTF-8")]
    return text, []


def load_file(file: Path, path: str) -> tuple[Node | None, list[Issue]]:
    """Read and compose one record file. `path` is how issues name it (repo-relative)."""
    text, issues = read_text(file, path)
    if text is None:
        return None, issues
    return parse_text(text, path)


def to_plain(node: Node | None) -> Any:
    """Strip positions: plain dict/list/str/None (for tools and tests)."""
    if node is None:
        return None
    if isinstance(node.value, dict):
        return {k: to_plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [to_plain(v) for v in node.value]
    return node.value
