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

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
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

    # With no path resolvers, BaseResolver's bookkeeping around every node does nothing;
    # the C parser still calls it twice per node, so these no-ops save its lookups.
    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


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
        if "maximum nesting depth" in problem:
            return None, [_issue("too-deep", path, "values nest too deep to read", mark.line + 1 if mark else None,
                                 mark.column + 1 if mark else None, f"records nest at most {MAX_DEPTH} levels")]
        hint = "indent with spaces, not tabs" if "\t" in problem or "'\\t'" in problem else "check quoting and indentation on this line"
        return None, [_issue("yaml-syntax", path, f"invalid YAML: {problem}", mark.line + 1 if mark else None,
                             mark.column + 1 if mark else None, hint)]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow in a text file
        at = text.find(chr(exc.character))  # its first occurrence: the reader stops at the first bad character
        line, column = _line_col(text, at if at >= 0 else exc.position)
        return None, [_issue("binary-file", path, f"control character U+{exc.character:04X} is not allowed", line, column,
                             "delete it; record files are plain UTF-8 text")]
    except yaml.YAMLError as exc:
        return None, [_issue("yaml-syntax", path, f"invalid YAML: {exc}", hint="one YAML document per file")]
    except RecursionError:
        return None, [_issue("too-deep", path, "nesting is too deep to read", hint=f"records nest at most {MAX_DEPTH} levels")]
    if root is None:
        return None, [_issue("empty-file", path, "file holds no record", 1, 1, "delete the file or write the record")]
    issues: list[Issue] = []
    return _convert(root, path, issues, 1), issues


_ScalarNode, _SequenceNode = yaml.ScalarNode, yaml.SequenceNode


def _convert(node: yaml.Node, path: str, issues: list[Issue], depth: int) -> Node:
    """Turn a composed node into `Node`s, reporting tags, duplicate keys and depth.

    This walk runs once per value of every record, so it is written for speed:
    nodes are told apart by exact type (the composer builds no subclasses), and
    plain-text items, most values, are converted right in their parent's loop
    (`_scalar`, inlined for mappings), exactly as the recursive call would.
    """
    mark = node.start_mark
    line, column = mark.line + 1, mark.column + 1
    if node.tag not in ALLOWED_TAGS:
        issues.append(_issue("yaml-tag", path, f"explicit tag {node.tag!r} is not allowed", line, column,
                             "remove the tag; values are typed by the schema"))
        return Node(None, line, column)
    if depth > MAX_DEPTH:
        issues.append(_issue("too-deep", path, f"value nested {depth} levels deep", line, column,
                             f"records nest at most {MAX_DEPTH} levels"))
        return Node(None, line, column)
    kind = type(node)
    if kind is _ScalarNode:
        return _scalar(node)
    inner = depth + 1
    direct = inner <= MAX_DEPTH  # items this deep may take the in-loop path
    if kind is _SequenceNode:
        return Node([_scalar(item) if direct and type(item) is _ScalarNode and item.tag in ALLOWED_TAGS
                     else _convert(item, path, issues, inner) for item in node.value], line, column)
    mapping: dict[str, Node] = {}
    for key_node, value_node in node.value:
        if type(key_node) is not _ScalarNode or key_node.tag not in ALLOWED_TAGS:
            key_mark = key_node.start_mark
            issues.append(_issue("wrong-shape", path, "a mapping key must be plain text", key_mark.line + 1, key_mark.column + 1))
            continue
        key = key_node.value
        if key in mapping:
            key_mark = key_node.start_mark
            issues.append(_issue("duplicate-key", path, f"key '{key}' appears twice (first at line {mapping[key].line})",
                                 key_mark.line + 1, key_mark.column + 1, "keep one; YAML would silently use the last"))
            continue
        if direct and type(value_node) is _ScalarNode and value_node.tag in ALLOWED_TAGS:  # _scalar, inlined
            value_mark, value = value_node.start_mark, value_node.value
            if not value_node.style and value in NULL_SCALARS:
                value = None
            mapping[key] = Node(value, value_mark.line + 1, value_mark.column + 1)
        else:
            mapping[key] = _convert(value_node, path, issues, inner)
    return Node(mapping, line, column)


def _scalar(node: yaml.ScalarNode) -> Node:
    """A text value whose tag and depth are fine: plain `null`, `~` or nothing is None, anything else its text."""
    mark = node.start_mark
    value = node.value
    if not node.style and value in NULL_SCALARS:  # style None (libyaml) or "" (pure Python) is plain
        value = None
    return Node(value, mark.line + 1, mark.column + 1)


def _line_col(text: str | bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset (a byte offset in bytes)."""
    newline = "\n" if isinstance(text, str) else b"\n"
    return text.count(newline, 0, offset) + 1, offset - (text.rfind(newline, 0, offset) + 1) + 1


def _repo_root(file: Path, path: str) -> Path | None:
    """The repository root: `file` is `<root>/<path>`."""
    depth = len(PurePosixPath(path).parts)
    return file.parents[depth - 1] if 0 < depth <= len(file.parents) else None


def file_problem(file: Path, path: str, st: os.stat_result) -> Issue | None:
    """Why a record path (lstat'ed) is not a small regular file inside the repository, if it is not.

    Record files come from strangers' pull requests: a symlink could point at
    /etc/passwd or /dev/zero, a FIFO would block the read forever.
    """
    if stat.S_ISLNK(st.st_mode):
        root = _repo_root(file, path)
        try:
            target = file.resolve(strict=True)
            inside = root is not None and target.is_relative_to(root.resolve())
            st = os.stat(target)
        except (OSError, RuntimeError):  # dangling link or a loop
            return _issue("wrong-file-type", path, "is a symlink that leads nowhere", hint="replace it with the record file itself")
        if not inside:
            return _issue("file-outside-repo", path, "is a symlink to a file outside the repository",
                          hint="commit the record file itself, not a link")
    if stat.S_ISDIR(st.st_mode):
        return _issue("wrong-file-type", path, "is a directory, not a file", hint="record folders hold files only; move its records up")
    if not stat.S_ISREG(st.st_mode):
        return _issue("wrong-file-type", path, "is not a regular file (a FIFO, socket or device)", hint="replace it with a YAML file")
    if st.st_size > MAX_FILE_BYTES:
        return _issue("file-too-large", path, f"file is {st.st_size} bytes; the limit is {MAX_FILE_BYTES}",
                      hint="split the records over several files")
    return None


RECORD_SUFFIXES = (".yaml", ".yml")


def folder_issues(folder: Path, rel: str, other_files_ok: bool = False) -> list[Issue]:
    """Problems with a record folder as a whole: it is a file, or holds files that will not be read.

    A record saved as `x.YAML`, `.x.yaml`, `x.yaml.bak` or in a subfolder would
    silently drop out of the release; each gets a `stray-file` warning.
    `other_files_ok` for sources/, which also holds the archived texts.
    """
    if not folder.exists() and not folder.is_symlink():
        return []
    if not folder.is_dir():
        return [_issue("wrong-file-type", rel, "is a file, not a folder", hint=f"{rel}/ must be a folder of record files")]
    root = _repo_root(folder, rel)
    if root is not None and not folder.resolve().is_relative_to(root.resolve()):
        return [_issue("file-outside-repo", rel, "is a symlink to a folder outside the repository; its files are not read",
                       hint=f"make {rel}/ a real folder in the repository")]
    issues = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        name = entry.name
        if name.endswith(RECORD_SUFFIXES) and not name.startswith("."):
            continue  # read as a record
        lower = name.lower()
        looks_like_record = ".yaml" in lower or ".yml" in lower
        if entry.is_dir(follow_symlinks=False) and not name.startswith("."):
            why = "is a subfolder; records in it are not read"
        elif looks_like_record:
            why = "is not read: records are files named <id>.yaml (not hidden, lower-case extension)"
        elif not other_files_ok and not name.startswith("."):
            why = "is not a record file and is not read"
        else:
            continue
        issues.append(Issue(code="stray-file", message=why, path=f"{rel}/{name}", severity="warning",
                            hint="rename it to <id>.yaml, move it out of the record folder, or delete it"))
    return issues


def _read_bytes(file: Path) -> bytes:
    """The file's bytes, up to one past the size limit (enough to refuse a file that grew since its stat).

    Plain `os.read` calls: no file object to build, a third of the cost of `Path.read_bytes` per record file.
    """
    fd = os.open(file, os.O_RDONLY)
    try:
        data = os.read(fd, MAX_FILE_BYTES + 1)
        while data and len(data) <= MAX_FILE_BYTES:  # a short read is not the end of the file until read says so
            more = os.read(fd, MAX_FILE_BYTES + 1 - len(data))
            if not more:
                break
            data += more
        return data
    finally:
        os.close(fd)


def read_text(file: Path, path: str) -> tuple[str | None, list[Issue]]:
    """Read a record file's bytes and decode them, refusing what is not small UTF-8 text."""
    try:
        problem = file_problem(file, path, os.lstat(file))
        if problem:
            return None, [problem]
        data = _read_bytes(file)
    except OSError as exc:
        return None, [_issue("wrong-file-type", path, f"cannot read file: {exc.strerror}")]
    if len(data) > MAX_FILE_BYTES:  # grew since the stat
        return None, [_issue("file-too-large", path, f"file is over {MAX_FILE_BYTES} bytes", hint="split the records over several files")]
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _line_col(data, nul)
        return None, [_issue("binary-file", path, "file contains NUL bytes; it is not a text file", line, column,
                             "record files are UTF-8 YAML (not UTF-16, not binary)")]
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
