"""Strict YAML: text -> `Node`s that keep what the contributor typed, and where.

YAML 1.1 turns `NO` into false, `1:20` into 80 and `012` into 10, and silently
keeps the last of two duplicate keys. Here every scalar stays the string that
was typed (plain `null`, `~` or nothing is the only null); the schema types it
later. Duplicate keys, anchors/aliases, explicit tags, oversized or binary files
are reported as issues with `file:line:column`; nothing here raises on bad input.
Reading the file's bytes safely is `files.py`'s job.

PyYAML's libyaml parser (CParser) composes the node graph in C; the walk that
turns nodes into `Node`s is the only Python pass over the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from ..issues import Issue

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
        """No implicit typing: every node gets the default tag of its kind (a scalar is text)."""
        return _DEFAULT_TAGS[kind]


class _StrictStringLoader(_PyParser, BaseResolver):
    """The same in pure Python, for text holding a tab: libyaml accepts tabs as separators
    (`key:<TAB>value`); PyYAML's own scanner rejects them with a position, as the rules require."""

    def __init__(self, stream):
        _PyParser.__init__(self, stream)
        BaseResolver.__init__(self)

    resolve = _StringLoader.resolve


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


def file_issue(code: str, path: str, message: str, line: int | None = None, column: int | None = None, hint: str | None = None) -> Issue:
    return Issue(code=code, message=message, path=path, line=line, column=column, hint=hint)


def _first_anchor(text: str, path: str) -> Issue | None:
    """Find an anchor or alias by parsing events; only called when `&` or `*` appears."""
    try:
        for event in yaml.parse(text, Loader=_loader_for(text)):
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                m = event.start_mark
                kind = "alias" if isinstance(event, yaml.AliasEvent) else "anchor"
                return file_issue("yaml-anchor", path, f"YAML {kind} '{anchor}' is not allowed", m.line + 1, m.column + 1,
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
        if "maximum nesting depth" in problem:
            return None, [file_issue("too-deep", path, "values nest too deep to read", mark.line + 1 if mark else None,
                                 mark.column + 1 if mark else None, f"records nest at most {MAX_DEPTH} levels")]
        hint = "indent with spaces, not tabs" if "\t" in problem or "'\\t'" in problem else "check quoting and indentation on this line"
        return None, [file_issue("yaml-syntax", path, f"invalid YAML: {problem}", mark.line + 1 if mark else None,
                             mark.column + 1 if mark else None, hint)]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow in a text file
        at = text.find(chr(exc.character))  # its first occurrence: the reader stops at the first bad character
        line, column = line_col(text, at if at >= 0 else exc.position)
        return None, [file_issue("binary-file", path, f"control character U+{exc.character:04X} is not allowed", line, column,
                             "delete it; record files are plain UTF-8 text")]
    except yaml.YAMLError as exc:
        return None, [file_issue("yaml-syntax", path, f"invalid YAML: {exc}", hint="one YAML document per file")]
    except RecursionError:
        return None, [file_issue("too-deep", path, "nesting is too deep to read", hint=f"records nest at most {MAX_DEPTH} levels")]
    if root is None:
        return None, [file_issue("empty-file", path, "file holds no record", 1, 1, "delete the file or write the record")]
    issues: list[Issue] = []
    return _convert(root, path, issues, 1), issues


def _convert(node: yaml.Node, path: str, issues: list[Issue], depth: int) -> Node:
    """Turn a composed node into `Node`s, reporting tags, duplicate keys and depth."""
    mark = node.start_mark
    line, column = mark.line + 1, mark.column + 1
    if node.tag not in ALLOWED_TAGS:
        issues.append(file_issue("yaml-tag", path, f"explicit tag {node.tag!r} is not allowed", line, column,
                             "remove the tag; values are typed by the schema"))
        return Node(None, line, column)
    if depth > MAX_DEPTH:
        issues.append(file_issue("too-deep", path, f"value nested {depth} levels deep", line, column,
                             f"records nest at most {MAX_DEPTH} levels"))
        return Node(None, line, column)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, path, issues, depth + 1) for item in node.value], line, column)
    mapping: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key_mark = key_node.start_mark
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in ALLOWED_TAGS:
            issues.append(file_issue("wrong-shape", path, "a mapping key must be plain text", key_mark.line + 1, key_mark.column + 1))
            continue
        key = key_node.value
        if key in mapping:
            issues.append(file_issue("duplicate-key", path, f"key '{key}' appears twice (first at line {mapping[key].line})",
                                 key_mark.line + 1, key_mark.column + 1, "keep one; YAML would silently use the last"))
            continue
        mapping[key] = _convert(value_node, path, issues, depth + 1)
    return Node(mapping, line, column)


def _scalar(node: yaml.ScalarNode) -> Node:
    """A text value whose tag and depth are fine: plain `null`, `~` or nothing is None, anything else its text."""
    mark = node.start_mark
    value = node.value
    if not node.style and value in NULL_SCALARS:  # style None (libyaml) or "" (pure Python) is plain
        value = None
    return Node(value, mark.line + 1, mark.column + 1)


def line_col(text: str | bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset (a byte offset in bytes)."""
    newline = "\n" if isinstance(text, str) else b"\n"
    return text.count(newline, 0, offset) + 1, offset - (text.rfind(newline, 0, offset) + 1) + 1


def to_plain(node: Node | None) -> Any:
    """Strip positions: plain dict/list/str/None (for tools and tests)."""
    if node is None:
        return None
    if isinstance(node.value, dict):
        return {k: to_plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [to_plain(v) for v in node.value]
    return node.value
