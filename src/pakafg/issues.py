"""Problems found in the records, as data.

Every check yields `Issue` objects instead of raising, so one run reports every
problem (congress-legislators' `error(context, message)` style). Each issue has a
stable kebab-case `code` documented in `CODES` (frictionless-py's error catalogue
style); tests assert on `(code, path, line, field)`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

# Characters never printed as they are: control characters (a newline would split the one-line format, an
# escape sequence would drive the terminal), lone surrogates (UTF-8 cannot encode them: a file name that is not
# UTF-8 arrives as U+DC80-U+DCFF from `os.fsdecode`), non-characters, the byte-order mark, line and paragraph
# separators and the bidirectional controls that can make a line read differently from what it holds.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff"
    + "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(1, 17)) + "]")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode carries it: show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str) -> str:
    """`text` with every character that must not be printed as is written as a backslash escape
    (`\\n`, `\\x1b`, `\\u202e`; a file-name byte that is not UTF-8 as `\\xff`): one line, encodable as UTF-8."""
    return text if _UNPRINTABLE.search(text) is None else _UNPRINTABLE.sub(_escape, text)


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    table: str | None = None
    record_id: str | None = None
    field: str | None = None
    hint: str | None = None
    severity: str = "error"
    count: int | None = None  # `more-issues` only: how many issues of the file this line stands for

    def printable(self) -> Issue:
        """The same issue with every text escaped by `printable` (what is printed, never the values checked)."""
        texts = {k: printable(v) for k in ("message", "path", "table", "record_id", "field", "hint")
                 if isinstance(v := getattr(self, k), str) and _UNPRINTABLE.search(v)}
        return replace(self, **texts) if texts else self

    def location(self) -> str:
        """`path:line:column` as editors and CI annotations expect."""
        parts = [self.path or "<package>"]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """One line: `path:line:col: table.field: message (hint) [code]` (characters that cannot be printed escaped)."""
        shown = self.printable()
        what = ".".join(p for p in (shown.table, shown.field) if p)
        text = f"{shown.location()}: "
        if what:
            text += f"{what}: "
        text += shown.message
        if shown.hint:
            text += f" ({shown.hint})"
        return f"{text} [{shown.code}]"

    def to_dict(self) -> dict:
        """The issue as JSON-ready data; texts escaped as in `format`, so the JSON is always valid UTF-8."""
        return {k: v for k, v in asdict(self.printable()).items() if v is not None}

    def sort_key(self) -> tuple:
        return (self.path or "", self.line or 0, self.column or 0, self.field or "", self.code)


def did_you_mean(word: str, options, cutoff: float = 0.6) -> str:
    """`did you mean 'x'?` for the closest of `options` to a mistyped `word`, or "" when none is close."""
    import difflib

    match = difflib.get_close_matches(word, list(options), n=1, cutoff=cutoff)
    return f"did you mean '{match[0]}'?" if match else ""


class PakafgError(Exception):
    """The build cannot continue (not a data problem): bad configuration, I/O."""


class InvalidPackage(PakafgError):
    """Raised by `build` when validation found errors; carries them all."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__(f"{sum(i.count or 1 for i in issues if i.severity == 'error')} error(s) in the records")


MAX_ISSUES_PER_FILE = 100  # beyond this, a file's issues are counted, not listed: a flood must not bury the rest
KEEP_PER_FILE = 10 * MAX_ISSUES_PER_FILE  # kept in memory per file before duplicates are dropped; the rest are counted


class Collector:
    """Issues as they are found: at most `keep` per file kept, the others only counted.

    A 1 MiB file can hold a quarter of a million empty records, each a
    handful of issues; keeping them all cost gigabytes. What is kept is plenty
    for the report, which lists at most MAX_ISSUES_PER_FILE per file. Reading
    (per file) and checking (per package) each collect into one; `extend` with
    another Collector carries its counts over, so nothing found is lost from
    the totals. It iterates like a list of the kept issues.

    Past the limit, the first issue of each new kind (code and field) is
    still kept, up to MAX_ISSUES_PER_FILE more, so a flood of one mistake
    does not hide a different one.
    """

    def __init__(self, keep: int = KEEP_PER_FILE):
        self.keep = keep
        self.issues: list[Issue] = []
        self.count: dict[str | None, int] = {}
        self.hidden: dict[str, tuple[int, int]] = {}  # path -> (errors, warnings) not kept
        self.kinds: set[tuple[str | None, str, str | None]] = set()  # (path, code, field) of every kept issue

    def add(self, issue: Issue) -> None:
        if issue.path is not None and self.full(issue.path, issue.code, issue.field):
            self.hide(issue.path, issue.severity)
            return
        self.count[issue.path] = self.count.get(issue.path, 0) + 1
        self.kinds.add((issue.path, issue.code, issue.field))
        self.issues.append(issue)

    append = add

    def hide(self, path: str, severity: str = "error", n: int = 1) -> None:
        """Count `n` issues of `path` without keeping them."""
        errors, warnings = self.hidden.get(path, (0, 0))
        self.hidden[path] = (errors + n * (severity == "error"), warnings + n * (severity != "error"))

    def extend(self, issues) -> None:
        """Add each issue; from another Collector, also the counts of those it did not keep."""
        for issue in issues:
            self.add(issue)
        self.count_hidden(getattr(issues, "hidden", {}))

    def count_hidden(self, hidden: dict[str, tuple[int, int]]) -> None:
        """Add another Collector's counts of issues not kept."""
        for path, (errors, warnings) in hidden.items():
            self.hide(path, "error", errors)
            self.hide(path, "warning", warnings)

    def __iadd__(self, issues) -> Collector:
        self.extend(issues)
        return self

    def __iter__(self):
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    def full(self, path: str | None, code: str | None = None, field: str | None = None) -> bool:
        """Whether further issues of `path` (of this code and field, when given) are only counted:
        a check may then skip building their messages."""
        return (path is not None and self.count.get(path, 0) >= self.keep
                and (code is None or (path, code, field) in self.kinds or self.count[path] >= self.keep + MAX_ISSUES_PER_FILE))

    def report(self) -> Report:
        return Report.of(self.issues, hidden=self.hidden)


@dataclass
class Report:
    """All issues of one run, sorted by place."""

    issues: list[Issue] = field(default_factory=list)

    @classmethod
    def of(cls, issues: list[Issue], per_file: int = MAX_ISSUES_PER_FILE, hidden: dict | None = None) -> Report:
        """Deduplicated, sorted, at most `per_file` issues per file (then one `more-issues` line with the count).

        Later checks often restate an earlier failure at the same place: the
        first issue per (file, line, field, record) is kept. Of a file with
        more than `per_file`, the first of each kind (code and field) is listed,
        then the others in order of place.
        """
        seen, kept = set(), []
        for issue in issues:
            key = ((issue.path, issue.line, issue.field, issue.record_id) if issue.field
                   else (issue.path, issue.line, issue.code, issue.message))
            if key not in seen:
                seen.add(key)
                kept.append(issue)
        kept.sort(key=Issue.sort_key)
        # a file's first issue of each kind (code, field) is listed before more of any one kind
        kinds, first = set(), set()
        for i, issue in enumerate(kept):
            kind = (issue.path, issue.code, issue.field)
            if kind not in kinds:
                kinds.add(kind)
                first.add(i)
        out, shown, hidden = [], {}, dict(hidden or {})
        for rank in (0, 1):
            for i, issue in enumerate(kept):
                if (i in first) != (rank == 0):
                    continue
                n = shown.get(issue.path, 0)
                if issue.path is not None and n >= per_file:
                    errors, warnings = hidden.get(issue.path, (0, 0))
                    hidden[issue.path] = (errors + (issue.severity == "error"), warnings + (issue.severity != "error"))
                    continue
                shown[issue.path] = n + 1
                out.append(issue)
        for path, (errors, warnings) in hidden.items():
            for severity, n in (("error", errors), ("warning", warnings)):  # one line per severity: totals stay exact
                if n:
                    out.append(Issue(code="more-issues", path=path, severity=severity, count=n,
                                     message=f"{n} more {severity}(s) in this file are not listed",
                                     hint=f"at most {per_file} are listed per file, the first of each kind among them; "
                                          "fix those and run again"))
        out.sort(key=lambda i: (i.path or "", i.code == "more-issues", *i.sort_key()[1:]))  # each file's count last
        return cls(out)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors


# The catalogue of issue codes: code -> what it means. Documented in the README
# (a test fails if a code is used but missing here, or listed but undocumented).
CODES: dict[str, str] = {
    # reading (read/)
    "file-too-large": "A record file (limit 1 MiB) or an archived source text (limit 16 MiB) is too large.",
    "binary-file": "A record file contains NUL bytes or control characters; it is not text.",
    "wrong-file-type": "A record file is a directory, FIFO or device (not a regular file), or a table folder is a file.",
    "file-outside-repo": "A record file or folder is a symlink to a place outside the repository (it is not read).",
    "stray-file": "Warning: a file in a record folder that is not read (hidden, wrong extension, or a subfolder).",
    "unknown-folder": "A folder under tables/ that is not a table's folder: its records would not be read.",
    "formula-like-text": "Warning: text starts with = + - @, a tab or CR; published as written, but a spreadsheet may run it as a formula.",
    "encoding-error": "A record file is not valid UTF-8.",
    "bad-file-name": "A record file's name is not valid UTF-8 or holds a control character; it is not read (rename it to <id>.yaml).",
    "bad-character": "A key or value holds a character text may not hold, typed or written as an escape (\\0, \\e, \\x85, \\ufffe …): "
                     "a control character other than tab, LF and CR, U+FFFE, U+FFFF or a byte-order mark.",
    "byte-order-mark": "A record file starts with a UTF-8 byte-order mark.",
    "empty-file": "A record file holds no record.",
    "yaml-syntax": "The file is not valid YAML (tabs for indentation, bad quoting, multiple documents…).",
    "yaml-anchor": "Anchors and aliases (&x, *x) are not allowed in records.",
    "yaml-tag": "Explicit tags (!!python/object, !!int …) are not allowed in records.",
    "duplicate-key": "A key appears twice in one mapping; YAML would silently keep the last.",
    "too-deep": "Nesting deeper than any record needs.",
    "wrong-shape": "A record, list or value has the wrong YAML shape (e.g. a list where a mapping is expected).",
    "unknown-field": "A key that the table's schema does not define.",
    "empty-string": "An empty string; omit the key or write null for a missing value.",
    "id-filename-mismatch": "A record's ID differs from its file name.",
    # structure (frictionless field types and constraints)
    "type-error": "A value cannot be read as the field's type (date, number, integer…).",
    "required": "A required field is missing or null.",
    "enum": "A value is not one of the field's allowed values.",
    "pattern": "A value does not match the field's pattern.",
    "minimum": "A value is below the field's minimum.",
    "maximum": "A value is above the field's maximum.",
    "min-length": "A value is shorter than allowed.",
    "max-length": "A value is longer than allowed.",
    "duplicate-id": "The same primary key appears in two records.",
    # frame (pandera cross-field checks)
    "date-order": "An end date or upper bound is before its start or lower bound.",
    "precision-mismatch": "A date does not fit its precision (a month-precise date must be the 1st, …).",
    "missing-companion": "A field is set without the field that must accompany it (a date without its precision, …).",
    "qualifier-bounds": "A numeric claim's qualifier does not match which of value / value_low / value_high are set.",
    "tombstone": "status and superseded_by disagree (superseded needs superseded_by, active must not have one).",
    "self-link": "A record links to itself.",
    "ongoing-with-end": "An event marked ongoing has an end date (an event still under way has none).",
    # links (foreign keys)
    "foreign-key": "A reference to a record that does not exist.",
    "dead-reference": "A reference to a withdrawn record, or superseded_by pointing at a record that is not live.",
    "parent-cycle": "A chain of parent references loops back on itself.",
    # provenance
    "source-file-missing": "A source's archived text file does not exist.",
    "source-path-unsafe": "A source's file path leaves sources/ (.., absolute path, symlink out).",
    "source-hash-mismatch": "The archived text's sha256 differs from the one recorded.",
    "source-not-cited": "No record cites this source.",
    "uncited-record": "An event or claim cites no source.",
    "quote-not-found": "A quote does not occur in the source's archived text.",
    "quote-ambiguous": "A quote occurs more than once in the source; `start` must choose one.",
    "quote-offset-mismatch": "A citation's `start` does not point at its quote.",
    "number-not-in-quote": "A numeric claim states a number its quote does not contain.",
    # formatting (fmt.py)
    "more-issues": "A file has more issues than are listed (at most 100 per file); fix those shown and run again.",
    "unknown-code": "A standard code (ISO 3166 country or subdivision, GeoNames ID) that its reference library does not know, or that belongs to another country.",
    "format": "A value does not have the field's format (a web address must start with http:// or https://).",
    "not-canonical": "A record file is not in canonical form; `pakafg fmt <file>` rewrites it.",
    "yaml-comment": "A comment `pakafg fmt` would lose (only the schema header and `#|` help lines are dropped); move it into `note:`.",
}
