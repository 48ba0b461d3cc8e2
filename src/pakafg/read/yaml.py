"""Strict YAML: text -> `Node`s that keep what the contributor typed, and where.

YAML 1.1 turns `NO` into false, `1:20` into 80 and `012` into 10, and silently
keeps the last of two duplicate keys. Here every scalar stays the string that
was typed (plain `null`, `~` or nothing is the only null); the schema types it
later. Duplicate keys, anchors/aliases, explicit tags, oversized or binary files
are reported as issues with `file:line:column`; nothing here raises on bad input.
Reading the file's bytes safely is `files.py`'s job.

One parser for every file: PyYAML's libyaml parser (CParser) composes the node
graph in C; the walk that turns nodes into `Node`s is the only Python pass over
the data. Two rules libyaml does not enforce are checked here, so no spelling
gets around them:

- **Tabs** only inside quoted or block (`|`, `>`) values and in comments. A tab
  used to indent (also a quoted value's next line) or to separate
  (`key:<TAB>value`, `-<TAB>item`, before a comment), or inside an unquoted
  value, is a `yaml-syntax` error; libyaml accepts some of these and refuses
  others, so the file's tokens are checked (only when the text holds a tab).
- **Characters**: every key and value must pass the same rules as the raw
  text, whether typed or written as a double-quoted escape (`"\\0"`, `"\\e"`,
  `"\\x85"`, `"\\ufffe"`): no control character but tab, LF and CR (so no NEL
  U+0085 either), no U+FFFE/U+FFFF, no byte-order mark U+FEFF (libyaml refuses
  lone surrogates such as `"\\ud800"` itself). A value that breaks them is a
  `bad-character` error at the exact line and column of the character or its escape.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from ..issues import Collector, Issue

MAX_DEPTH = 6  # record > list > item > value is 4 levels; deeper is never valid
NULL_SCALARS = frozenset({"", "~", "null", "Null", "NULL"})
ALLOWED_TAGS = frozenset({BaseResolver.DEFAULT_SCALAR_TAG, BaseResolver.DEFAULT_SEQUENCE_TAG, BaseResolver.DEFAULT_MAPPING_TAG})


class _PyParser(Reader, Scanner, Parser, Composer):
    """PyYAML's pure-Python parser: only where PyYAML was built without libyaml."""

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
    """Composes nodes without implicit typing: every plain scalar is tagged str. The one loader of every file."""

    def __init__(self, stream):
        _Parser.__init__(self, stream)
        BaseResolver.__init__(self)

    def resolve(self, kind, value, implicit):
        """No implicit typing: every node gets the default tag of its kind (a scalar is text)."""
        return _DEFAULT_TAGS[kind]


# Characters no key or value may hold, however written: what libyaml refuses in raw text (C0 controls but
# tab/LF/CR, DEL, C1 controls but NEL, U+FFFE/U+FFFF; lone surrogates, which UTF-8 cannot encode), and two it
# would accept but no published cell should hold: NEL U+0085 (a control character; typed raw, YAML reads it as
# a line break) and the byte-order mark U+FEFF (an invisible leftover of an encoding).
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
_NAMES = {0x00: "NUL", 0x07: "bell", 0x08: "backspace", 0x0B: "vertical tab", 0x0C: "form feed", 0x1B: "escape",
          0x7F: "delete", 0x85: "next line", 0x2028: "line separator", 0x2029: "paragraph separator",
          0xFEFF: "byte-order mark"}
# a double-quoted scalar's escapes (YAML 1.1 §5.7) and the character each stands for
_ESCAPE = re.compile(r'\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)', re.DOTALL)
_SIMPLE_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
                   "e": "\x1b", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}


def describe_character(char: str) -> str:
    """`control character U+001B (escape)`, `non-character U+FFFE` and the like."""
    code = ord(char)
    u = f"U+{code:04X}"
    if code in _NAMES and code > 0x9F:
        return f"{_NAMES[code]} {u}"
    if 0xD800 <= code <= 0xDFFF:
        return f"lone surrogate {u} (half of a pair, not a character)"
    if code <= 0x9F:
        return f"control character {u}" + (f" ({_NAMES[code]})" if code in _NAMES else "")
    return f"non-character {u}"


def forbidden_character(text: str) -> int:
    """The index of the first character of `text` no value may hold, or -1."""
    found = FORBIDDEN_CHARACTERS.search(text)
    return -1 if found is None else found.start()


def _unescape(body: str) -> str:
    return _SIMPLE_ESCAPES.get(body, body) if len(body) == 1 else chr(int(body[1:], 16))


@dataclass(slots=True)
class Node:
    """A YAML value with its 1-based position: str | None | list[Node] | dict[str, Node]."""

    value: Any
    line: int
    column: int
    refused: bool = False  # a value already reported (a forbidden character): None, and not to be reported again

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
        for event in yaml.parse(text, Loader=_StringLoader):
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                m = event.start_mark
                kind = "alias" if isinstance(event, yaml.AliasEvent) else "anchor"
                return file_issue("yaml-anchor", path, f"YAML {kind} '{anchor}' is not allowed", m.line + 1, m.column + 1,
                              "write the value out in full; records must not share nodes")
    except yaml.YAMLError:
        return None  # the syntax error is reported by compose
    return None


# libyaml's wording of the problems contributors meet, and what to do about each (first match wins)
_SYNTAX_HINTS = (
    ("did not find expected <document start>",
     "one record per file: a line at the left margin after the record must be another `key: value`; "
     "indent a value's continuation under its key or put the value in quotes"),
    ("could not find expected ':'",
     "each line is `key: value`; a value that goes on over several lines must be quoted, or indented under its key"),
    ("mapping values are not allowed",
     "a value holding ': ' must be quoted, e.g. title: \"Talks: round two\"; or a key is indented too far"),
    ("did not find expected key", "the keys of one mapping start at the same column: check this line's indentation, "
                                  "and quote a value that has text after its closing quote"),
    ("did not find expected '-' indicator", "every item of a list starts with `- ` at the same column: check the indentation"),
    ("found unexpected end of stream", "a quote is never closed: add the closing quote"),
    ("found unknown escape character", "inside double quotes \\ starts an escape: write \\\\ for a backslash, or use single quotes"),
    ("invalid Unicode character escape", "a \\u escape must name a character (not half of a surrogate pair): type the character itself"),
    ("expected hexdecimal number", "\\x, \\u and \\U escapes take 2, 4 and 8 hex digits: write \\\\ for a backslash, or use single quotes"),
    ("cannot start any token", "a value starting with @ or ` must be quoted"),
    ("did not find expected node content", "a value cannot start with this character: put it in quotes"),
    ("expected ',' or ']'", "close the [ … ] list, or quote a value holding , [ ] { } or #"),
    ("expected ',' or '}'", "close the { … } mapping, or quote a value holding , [ ] { } or #"),
    ("block sequence entries are not allowed", "a `- ` list starts on the line below its key, indented"),
    ("tag", "remove the `!` tag; values are typed by the schema"),
    ("alphabetic or numeric character", "& and * start anchors and aliases: quote a value that starts with them"),
    ("directive", "remove the `%` directive line: record files are plain YAML"),
    ("incompatible YAML document", "remove the `%YAML` line: record files are plain YAML"),
    ("indentation indicator", "after | or > an indentation number is 1 to 9, or leave it out"),
    ("comment or line break", "after | or > nothing but a comment may follow on the same line"),
    ("found unexpected ':'", "put the value in quotes: it holds a colon YAML cannot read there"),
    ("single document", "one record per file: remove the `---` line and what follows it (or move it to a file of its own)"),
    ("document indicator", "a line starting with --- or ... ends the document: indent it or put the value in quotes"),
)
_TAB_HINT = "indent and separate with spaces; a tab may stand only inside a quoted value or a comment"


def syntax_hint(problem: str) -> str:
    """A plain hint for one of libyaml's (or PyYAML's) problem messages."""
    return next((hint for fragment, hint in _SYNTAX_HINTS if fragment in problem), "check quoting and indentation on this line")


def _syntax_issue(exc: yaml.MarkedYAMLError, text: str, path: str) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(p for p in (exc.context, exc.problem) if p)
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    at = mark.index if mark and 0 <= mark.index < len(text) else -1
    if "tab character" in problem or "'\\t'" in problem or (at >= 0 and text[at] == "\t"):
        return file_issue("yaml-syntax", path, "invalid YAML: a tab is used for indentation or spacing", line, column, _TAB_HINT)
    return file_issue("yaml-syntax", path, f"invalid YAML: {problem}", line, column, syntax_hint(problem))


def _misplaced_tab(text: str, path: str) -> Issue | None:
    """The first tab outside quoted and block values and comments (`text` is valid YAML and holds a tab)."""
    spans = [(t.start_mark.index, t.end_mark.index, t.style) for t in yaml.scan(text, Loader=_StringLoader)
             if isinstance(t, yaml.ScalarToken)]
    starts = [start for start, _, _ in spans]

    def scalar_at(i: int):
        k = bisect.bisect_right(starts, i) - 1
        return spans[k] if k >= 0 and spans[k][0] <= i < spans[k][1] else None

    for tab in re.finditer("\t", text):
        i = tab.start()
        scalar = scalar_at(i)
        line_start = text.rfind("\n", 0, i) + 1
        indenting = not text[line_start:i].strip(" \t")
        if scalar is not None and scalar[2] and not (indenting and scalar[2] in "'\"" and scalar[0] < line_start):
            continue  # inside a quoted or block value, not indenting a quoted value's next line: part of the value
        line, column = line_col(text, i)
        if scalar is not None and not scalar[2]:
            return file_issue("yaml-syntax", path, "invalid YAML: a tab inside an unquoted value", line, column,
                              "put the value in quotes if the tab belongs to it; otherwise use spaces")
        hashes = (line_start + m.start() for m in re.finditer("#", text[line_start:i]))
        if scalar is None and any((j == line_start or text[j - 1] in " \t") and scalar_at(j) is None for j in hashes):
            continue  # after a `#` that starts a comment
        return file_issue("yaml-syntax", path, "invalid YAML: a tab is used for indentation or spacing", line, column, _TAB_HINT)
    return None


def parse_text(text: str, path: str) -> tuple[Node | None, Collector]:
    """Compose one YAML document into `Node`s; return (root, issues) — at most `Collector.keep` issues kept, the rest counted."""
    issues = Collector()
    if "&" in text or "*" in text:
        anchored = _first_anchor(text, path)
        if anchored:
            issues.add(anchored)
            return None, issues
    try:
        root = yaml.compose(text, Loader=_StringLoader)
        tab = _misplaced_tab(text, path) if root is not None and "\t" in text else None
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem):
            mark = exc.problem_mark or exc.context_mark
            issues.add(file_issue("too-deep", path, "values nest too deep to read", mark.line + 1 if mark else None,
                                  mark.column + 1 if mark else None, f"records nest at most {MAX_DEPTH} levels"))
        else:
            issues.add(_syntax_issue(exc, text, path))
        return None, issues
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow in a text file
        at = text.find(chr(exc.character))  # its first occurrence: the reader stops at the first bad character
        line, column = line_col(text, at if at >= 0 else exc.position)
        issues.add(file_issue("binary-file", path, f"{describe_character(chr(exc.character))} is not allowed", line, column,
                              "delete it; record files are plain UTF-8 text"))
        return None, issues
    except yaml.YAMLError as exc:
        issues.add(file_issue("yaml-syntax", path, f"invalid YAML: {exc}", hint="one YAML document per file"))
        return None, issues
    except RecursionError:
        issues.add(file_issue("too-deep", path, "nesting is too deep to read", hint=f"records nest at most {MAX_DEPTH} levels"))
        return None, issues
    if tab is not None:
        issues.add(tab)
        return None, issues
    if root is None:
        issues.add(file_issue("empty-file", path, "file holds no record", 1, 1, "delete the file or write the record"))
        return None, issues
    return _convert(root, text, path, issues, 1, None), issues


def _convert(node: yaml.Node, text: str, path: str, issues: Collector, depth: int, key: str | None) -> Node:
    """Turn a composed node into `Node`s, reporting tags, duplicate keys, depth and forbidden characters.

    `key` is the mapping key the node is the value of (or an item of), to name the field.
    """
    mark = node.start_mark
    line, column = mark.line + 1, mark.column + 1
    if node.tag not in ALLOWED_TAGS:
        issues.add(file_issue("yaml-tag", path, f"explicit tag {node.tag!r} is not allowed", line, column,
                              "remove the tag; values are typed by the schema"))
        return Node(None, line, column)
    if depth > MAX_DEPTH:
        issues.add(file_issue("too-deep", path, f"value nested {depth} levels deep", line, column,
                              f"records nest at most {MAX_DEPTH} levels"))
        return Node(None, line, column)
    if isinstance(node, yaml.ScalarNode):
        if FORBIDDEN_CHARACTERS.search(node.value) is not None:
            _add(issues, path, lambda: _character_issue(node, text, path, key, is_key=False), key)
            return Node(None, line, column, refused=True)
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, text, path, issues, depth + 1, key) for item in node.value], line, column)
    mapping: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key_mark = key_node.start_mark
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in ALLOWED_TAGS:
            issues.add(file_issue("wrong-shape", path, "a mapping key must be plain text", key_mark.line + 1, key_mark.column + 1,
                                  "write the key as a plain word, e.g. `name:`"))
            continue
        name = key_node.value
        if FORBIDDEN_CHARACTERS.search(name) is not None:
            _add(issues, path, lambda: _character_issue(key_node, text, path, None, is_key=True), None)
            continue
        if name in mapping:
            issues.add(file_issue("duplicate-key", path, f"key '{name}' appears twice (first at line {mapping[name].line})",
                                  key_mark.line + 1, key_mark.column + 1, "keep one; YAML would silently use the last"))
            continue
        mapping[name] = _convert(value_node, text, path, issues, depth + 1, name)
    return Node(mapping, line, column)


def _add(issues: Collector, path: str, make, field: str | None) -> None:
    """Add the bad-character issue `make()` builds, or only count it when the file already has as many as are kept."""
    if issues.full(path, "bad-character", field):
        issues.hide(path)
    else:
        issues.add(make())


def _character_issue(node: yaml.ScalarNode, text: str, path: str, key: str | None, is_key: bool) -> Issue:
    """A `bad-character` issue at the character itself, or at the escape that wrote it."""
    char = node.value[forbidden_character(node.value)]
    start, end = node.start_mark.index, node.end_mark.index
    source = text[start:end] if 0 <= start <= end <= len(text) else ""
    at, spelled = -1, None
    if node.style == '"':
        escape = next((m for m in _ESCAPE.finditer(source) if _unescape(m.group(1)) == char), None)
        if escape is not None:
            at, spelled = escape.start(), escape.group()
    if at < 0:
        at = source.find(char)
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if at > 0:  # counted within the scalar's own text: a flood of them stays linear
        breaks = source.count("\n", 0, at)
        line, column = (line + breaks, at - source.rfind("\n", 0, at)) if breaks else (line, column + at)
    what = "a key" if is_key else "the value"
    how = f", written as the escape {spelled}" if spelled else ""
    hint = ("delete it: text may not hold control characters (but tab and line breaks), U+FFFE, U+FFFF "
            "or a byte-order mark, however they are written")
    if char == "\x85":
        hint = "for a line break write \\n (or break the line in a | block); otherwise a space"
    return Issue(code="bad-character", message=f"{what} holds {describe_character(char)}{how}", path=path, line=line,
                 column=column, field=key, hint=hint)


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
