"""Provenance: every row traceable to the exact words of an archived source.

Each source's archived text is read once, checked against its sha256, and
folded once (curly quotes, dashes, exotic spaces, whitespace runs) into a
searchable string with a map back to original character offsets. Each quote
is then looked up only in its own source's text, so the cost is linear in the
corpus: sum over citations of the length of the one text they cite, never
every source per claim. The check changes no row: it returns where each quote
was found (`Located`), and `compile` publishes the offsets (code points,
0-based, end exclusive) and the archived text's own characters
`text[start:end]`, so a consumer can verify each row with plain Python.

Archived texts are UTF-8 as published, line endings kept as they are (`\r\n`,
`\r` and `\n` each count as characters; a text with only `\r` line endings is
accepted as it is); a byte-order mark, NUL or other control characters (but tab,
CR and LF; C1 controls such as NEL too), U+FFFE and U+FFFF are refused: offsets
would count them, and a quote's span of the text is published.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..issues import Issue
from ..read.files import text_problem
from ..schemas import LIST_KEYS_ID_FIELD, LIST_KEYS_TABLE_FIELD, LIVE, PackageSpec, safe_relative
from .types import TypedTable

SOURCES_DIR = "sources"
CITED_TABLES = ("events",)  # tables whose live records must cite a source (a quoting table cites by its own quote)
MAX_SOURCE_BYTES = 16 * 1024 * 1024  # a news article is a few KB; a book-length text still fits

# 1:1 character folds (offsets unchanged): quotes, dashes, every whitespace character -> " "
_FOLD = str.maketrans({
    **{c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u00b4`"},
    **{c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"},
    **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"},
    **{chr(c): " " for c in range(0x3000 + 1) if chr(c).isspace()},
    **{c: " " for c in "\u2028\u2029\u205f\u200a"},
})
_RUNS = re.compile(r" {2,}")  # after folding, the only change of length: a run of spaces -> one
# the characters `_FOLD` changes (a space folds to itself): most texts hold only a few of them, and replacing
# those few with str.replace is several times faster than `str.translate` with a dict over the whole text
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(c)) for c in _FOLD if chr(c) != " ") + "]")
_WORD_START = re.compile(r"(?<![^ ])[^ ]")  # a word start: a non-space after a space or at the start


@dataclass
class IndexedText:
    """A text folded for matching, with a map from folded to original offsets."""

    original: str
    folded: str
    _starts: list[int]  # folded offset where each segment starts
    _origins: list[int]  # original offset of the same point

    @classmethod
    def of(cls, text: str) -> "IndexedText":
        translated = _translate(text)
        pieces, starts, origins = [], [0], [0]
        pos = n = 0
        run = translated.find("  ")  # only runs of 2+ spaces shift offsets (as `_RUNS.finditer`, several times faster)
        while run >= 0:
            end = run + 2
            while translated.startswith(" ", end):
                end += 1
            pieces.append(translated[pos:run + 1])
            n += run + 1 - pos
            pos = end
            starts.append(n)
            origins.append(pos)
            run = translated.find("  ", end)
        pieces.append(translated[pos:])
        return cls(text, "".join(pieces), starts, origins)

    def original_offset(self, folded_offset: int) -> int:
        starts = self._starts
        if folded_offset >= starts[-1]:  # past the last run of spaces (or none): the bisect below would find the last
            return self._origins[-1] + (folded_offset - starts[-1])
        i = bisect.bisect_right(starts, folded_offset) - 1
        return self._origins[i] + (folded_offset - self._starts[i])

    def _span(self, at: int, length: int) -> tuple[int, int]:
        """Original (start, end) of the folded span [at, at + length); the span's ends are never spaces."""
        return self.original_offset(at), self.original_offset(at + length - 1) + 1

    def find_all(self, quote: str, limit: int = 2) -> list[tuple[int, int]]:
        """(start, end) original offsets of up to `limit` occurrences of the folded quote."""
        needle = fold(quote)
        out: list[tuple[int, int]] = []
        if not needle:
            return out
        at = self.folded.find(needle)
        while at >= 0 and len(out) < limit:
            out.append(self._span(at, len(needle)))
            at = self.folded.find(needle, at + 1)
        return out

    def closest(self, quote: str, max_candidates: int = 2_000) -> tuple[int, str, str]:
        """(offset, passage, first difference) of the passage most like the quote, to show a typo.

        Only runs when a quote is not found. Candidate passages start where one of
        the quote's longer words occurs (shifted back by that word's place in the
        quote), so a miss costs a few finds, not a comparison at every word.
        """
        needle = fold(quote)
        if not needle or not self.folded.strip():
            return 0, "", ""
        candidates: set[int] = set()
        for word in re.finditer(r"[^ ]{4,}", needle):
            at = self.folded.find(word.group())
            while at >= 0 and len(candidates) < max_candidates:
                candidates.add(self._word_start(max(0, at - word.start())))
                at = self.folded.find(word.group(), at + 1)
        if not candidates:  # no long word in common: try every word start
            candidates = {m.start() for _, m in zip(range(max_candidates), _WORD_START.finditer(self.folded))}
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(needle)
        best, best_at = -1.0, 0
        for at in sorted(candidates):
            matcher.set_seq1(self.folded[at:at + len(needle)])
            if matcher.quick_ratio() <= best:
                continue
            ratio = matcher.ratio()
            if ratio > best:
                best, best_at = ratio, at
        end = min(best_at + len(needle), len(self.folded))
        while end < len(self.folded) and self.folded[end].isalnum() and self.folded[end - 1].isalnum():
            end += 1  # finish a word cut in half, not the punctuation after it
        window = self.folded[best_at:end].rstrip()
        start, stop = self._span(best_at, len(window))
        return start, " ".join(self.original[start:stop].split()), _first_difference(needle, window)

    def _word_start(self, at: int) -> int:
        """The start of the word at folded offset `at` (or of the next word, on a space)."""
        if self.folded[at:at + 1] == " ":
            return at + 1
        return self.folded.rfind(" ", 0, at) + 1


def _first_difference(quote: str, passage: str) -> str:
    """'quote has "campain", source has "campaign"' for the first differing words."""
    a, b = quote.split(" "), passage.split(" ")
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":
            return f'the source has "{" ".join(b[j1:j2])}" after "{" ".join(a[max(0, i1 - 2):i1])}"'
        if tag == "delete":
            return f'the source has no "{" ".join(a[i1:i2])}"'
        return f'quote has "{" ".join(a[i1:i2])}", source has "{" ".join(b[j1:j2])}"'
    return ""


def _translate(text: str, found: re.Match | None = None) -> str:
    """`text.translate(_FOLD)`, replacing only the foldable characters the text contains.

    `found` is the text's first foldable character, when the caller has searched for it already.
    """
    found = found or _FOLDABLE.search(text)
    while found is not None:  # one search per distinct character: each replace removes all of its kind
        char = found.group()
        text = text.replace(char, _FOLD[ord(char)])
        found = _FOLDABLE.search(text, found.start())
    return text


def fold(text: str) -> str:
    """The matching form of a text: quotes, dashes and spaces unified, whitespace runs collapsed."""
    found = _FOLDABLE.search(text)
    if found is not None:  # most quotes are plain ASCII words and single spaces
        text = _translate(text, found)
    if "  " in text:
        text = _RUNS.sub(" ", text)
    return text.strip()


def source_path(root: Path, relative: str) -> Path | None:
    """The archived file's real path if it stays inside <root>/sources/ (no .., absolute path, NUL or symlink out).

    `sources/` itself is not resolved: a symlinked sources/ leads out of the repository.
    """
    if not safe_relative(relative) or "\\" in relative:  # a backslash is no separator here: refused, never guessed
        return None
    base = os.path.join(os.path.realpath(root), SOURCES_DIR)
    target = os.path.realpath(os.path.join(root, relative))
    return Path(target) if os.path.dirname(target) == base or target.startswith(base + os.sep) else None


def load_source_texts(spec: PackageSpec, sources: TypedTable) -> tuple[dict[str, IndexedText], list[Issue]]:
    """Read, hash-check and index every source's archived text (each exactly once)."""
    texts: dict[str, IndexedText] = {}
    issues: list[Issue] = []
    for row, (sid, relative, recorded) in enumerate(zip(sources.column("source_id"), sources.column("file"), sources.column("sha256"))):
        if sid is None or relative is None:
            continue

        def problem(code: str, message: str, hint: str, field: str = "file") -> None:
            issues.append(sources.issue(row, field, code, message, hint))

        path = source_path(spec.root, relative)
        if path is None:
            problem("source-path-unsafe", f"'{relative}' leads outside {SOURCES_DIR}/",
                    f"archive the text as {SOURCES_DIR}/{sid}.txt (a regular file, not a link out of the repository) and point at it")
            continue
        try:
            info = os.stat(path)
        except OSError:
            info = None
        if info is not None and stat.S_ISDIR(info.st_mode):
            problem("source-file-missing", f"'{relative}' is a directory, not a file", f"point at the archived text, e.g. {SOURCES_DIR}/{sid}.txt")
            continue
        if info is None or not stat.S_ISREG(info.st_mode):
            problem("source-file-missing", f"'{relative}' does not exist", f"archive the source text at {relative}, or fix the path")
            continue
        if info.st_size > MAX_SOURCE_BYTES:
            problem("file-too-large", f"{relative} is {info.st_size} bytes; the limit is {MAX_SOURCE_BYTES}", "archive only the article's text")
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            problem("source-file-missing", f"'{relative}' cannot be read: {exc.strerror or exc}", "check the file's permissions")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if recorded and digest != recorded:
            problem("source-hash-mismatch", f"{relative} has sha256 {digest}, not the recorded {recorded}",
                    "the archived text changed: restore it byte for byte, or record the new hash if the archive itself was corrected",
                    "sha256")
        bad_text = text_problem(data)
        if bad_text:
            problem(bad_text[0], f"{relative} {bad_text[1]}", "archive the article's text as plain UTF-8 (no byte-order mark, no control characters)")
            continue
        texts[sid] = IndexedText.of(data.decode("utf-8"))
    return texts, issues


@dataclass
class Located:
    """Where each citation's quote is: citations row -> (start, end, the archived text's own characters)."""

    spans: dict[int, tuple[int, int, str]]
    cited_sources: set[str]
    cited_records: set[tuple[str, str]]


def _locate(citations: TypedTable, row: int, text: IndexedText, sid: str, relative: str | None,
            quoting: list[str]) -> tuple[tuple[int, int] | None, Issue | None]:
    """Find one citation's quote: its (start, end), or what is wrong (at the record, for a table in `quoting`)."""
    quote, given = citations.column_value("quote", row), citations.column_value("start", row)
    record_table = citations.column_value(LIST_KEYS_TABLE_FIELD, row)
    own = record_table in quoting  # a claim's own quote: reported at the claim
    label = record_table if own else citations.spec.name
    found = text.find_all(quote, limit=2 if given is None else 10_000)
    if not found:
        at, passage, difference = text.closest(quote)
        hint = f'closest passage at {at}: "{passage}"' + (f"; {difference}" if difference else "")
        return None, citations.issue(row, "quote", "quote-not-found", f"quote not found in source '{sid}' ({relative})", hint,
                                     table=label)
    if given is not None:
        match = [span for span in found if span[0] == given]
        if not match:
            starts = ", ".join(str(s) for s, _ in found[:5])
            return None, citations.issue(row, "start", "quote-offset-mismatch", f"start {given} does not point at the quote in '{sid}'",
                                         f"the quote starts at {starts}; write one of these or leave `start` out", table=label)
        return match[0], None
    if len(found) > 1:
        first, second = found[0][0], found[1][0]
        how = "quote more words so it occurs only once" if own else f"add `start: {first}` (or {second}) to choose one"
        return None, citations.issue(row, "quote", "quote-ambiguous",
                                     f"quote occurs more than once in source '{sid}' (at {first} and {second})", how, table=label)
    return found[0], None


def locate_quotes(citations: TypedTable, sources: TypedTable, texts: dict[str, IndexedText],
                  quoting: list[str]) -> tuple[Located, list[Issue]]:
    """Find every citation's quote in its own source's text (never in every source)."""
    files = dict(zip(sources.column("source_id"), sources.column("file")))
    located = Located({}, set(), set())
    issues = []
    for row, (sid, quote, table, rid) in enumerate(zip(citations.column("source_id"), citations.column("quote"),
                                                       citations.column(LIST_KEYS_TABLE_FIELD), citations.column(LIST_KEYS_ID_FIELD))):
        located.cited_sources.add(sid)
        located.cited_records.add((table, rid))
        text = texts.get(sid)
        if text is None or not quote or ("quote", row) in citations.bad:
            continue  # unknown source (a foreign-key issue) or unreadable text (reported above)
        span, issue = _locate(citations, row, text, sid, files.get(sid), quoting)
        if issue:
            issues.append(issue)
        else:
            located.spans[row] = (span[0], span[1], text.original[span[0]:span[1]])
    return located, issues


def _coverage(spec: PackageSpec, tables: dict[str, TypedTable], located: Located) -> Iterator[Issue]:
    """Every live event and claim cites a source; every live source is cited."""
    for name in CITED_TABLES:
        table = tables[name]
        key = table.spec.id_field
        for row, (rid, status) in enumerate(zip(table.column(key), table.column("status"))):
            if rid is not None and status == LIVE and (name, rid) not in located.cited_records:
                yield table.issue(row, key, "uncited-record", f"'{rid}' cites no source",
                             "add `citations: [{source_id: …, quote: …}]` with the words it rests on")
    sources = tables["sources"]
    for row, (sid, status) in enumerate(zip(sources.column("source_id"), sources.column("status"))):
        if sid is not None and status == LIVE and sid not in located.cited_sources:
            yield sources.issue(row, "source_id", "source-not-cited", f"no record cites source '{sid}'",
                         f"code at least one claim from it in tables/claims/{sid}.yaml, or withdraw it")


def check_provenance(spec: PackageSpec, tables: dict[str, TypedTable]) -> tuple[Located, list[Issue]]:
    """Hashes, quotes, offsets, coverage and numbers; returns where every quote was found."""
    texts, issues = load_source_texts(spec, tables["sources"])
    located, quote_issues = locate_quotes(tables["citations"], tables["sources"], texts, spec.quoting_tables())
    issues += quote_issues
    issues += _coverage(spec, tables, located)
    issues += check_numbers(tables["claims"])
    return located, issues


# --- numbers in quotes ----------------------------------------------------------

_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                                     "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
           "lakh": 10**5, "lakhs": 10**5, "crore": 10**7, "crores": 10**7}
_ABBREVIATIONS = {"k": 10**3, "m": 10**6, "mn": 10**6, "mln": 10**6, "bn": 10**9, "b": 10**9}  # "2.5m", "Rs3bn"
_MULTIPLIERS = {"hundred": 100, "dozen": 12}
_PERIODS = frozenset("second minute hour day night week fortnight month year decade century".split())  # "a day" states one
_NUMBER_WORDS = frozenset([*_UNITS, *_TENS, *_SCALES, *_ABBREVIATIONS, *_MULTIPLIERS, "a", "an", "half", "and"])
_NUMBER_TOKEN = re.compile(r"\d+(?:,\d{2,3})*(?:\.\d+)?|[a-z]+")


class _Phrase:
    """One spoken or written number being read left to right ("two hundred and fifty thousand").

    `found` collects each number with the words it was read from (from token `first` to `last`).
    """

    def __init__(self, found: dict[float, str], text: str, spans: list[tuple[int, int]]):
        self.found, self.text, self.spans = found, text, spans
        self.total = self.group = self.last = None
        self.first = self.end = 0

    @property
    def open(self) -> bool:
        return self.group is not None or self.total is not None

    def start(self, value: Decimal, kind: str, at: int) -> None:
        self.flush()
        self.total, self.group, self.last, self.first, self.end = Decimal(0), value, kind, at, at

    def add(self, value: float, at: int) -> None:
        self.found.setdefault(value, self.text[self.spans[self.first][0]:self.spans[at][1]])

    def flush(self) -> None:
        if self.open:
            self.add(float((self.total or 0) + (self.group or 0)), self.end)
        self.total = self.group = self.last = None


def numbers_in(text: str) -> dict[float, str]:
    """Every number a text states, with the words it was read from: digits ("800,000", "8,00,000", "70%",
    "2.5"), words ("six", "twenty-three", "one hundred and fifty"), scales ("one million", "nearly a
    million", "2.5 million", "half a million", "a dozen", "3 lakh", "Rs2.5bn"), and one in "a day", "a year"."""
    found: dict[float, str] = {}
    text = fold(text).lower()
    matches = list(_NUMBER_TOKEN.finditer(text))
    tokens = [m.group() for m in matches]
    phrase = _Phrase(found, text, [m.span() for m in matches])
    for i, tok in enumerate(tokens):
        if tok not in _NUMBER_WORDS and not tok[0].isdigit():  # most words state no number and end any being read
            phrase.flush()
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        last = i  # the phrase's last token, if this one belongs to it
        if tok[0].isdigit():
            phrase.start(Decimal(tok.replace(",", "")), "digits", i)
        elif tok in _UNITS or tok in _TENS:
            value = Decimal(_UNITS.get(tok, _TENS.get(tok, 0)))
            joins = phrase.open and ((phrase.last == "tens" and tok in _UNITS and 0 < value < 10)
                                     or phrase.last in ("hundred", "scale", "and"))
            if joins:
                phrase.group = (phrase.group or 0) + value
                phrase.last = "tens" if tok in _TENS else "unit"
            else:
                phrase.start(value, "tens" if tok in _TENS else "unit", i)
        elif tok in _MULTIPLIERS:
            if not phrase.open or phrase.last not in ("unit", "tens", "digits", "article", "half"):
                phrase.start(Decimal(1), "article", i)
            phrase.group = (phrase.group or Decimal(1)) * _MULTIPLIERS[tok]
            phrase.last = "hundred"
        elif tok in _SCALES:
            if not phrase.open:
                phrase.start(Decimal(1), "article", i)
            phrase.total = (phrase.total or 0) + (phrase.group if phrase.group is not None else Decimal(1)) * _SCALES[tok]
            phrase.group, phrase.last = None, "scale"
        elif tok in _ABBREVIATIONS and phrase.last == "digits":
            phrase.add(float(phrase.group), i - 1)  # "5 m" may be metres: keep the bare number too
            phrase.total, phrase.group, phrase.last = phrase.total + phrase.group * _ABBREVIATIONS[tok], None, "scale"
        elif tok in ("a", "an") and (nxt in _MULTIPLIERS or nxt in _SCALES):
            if phrase.last != "half":
                phrase.start(Decimal(1), "article", i)
        elif tok in ("a", "an") and nxt in _PERIODS:
            phrase.start(Decimal(1), "unit", i)  # "for a day", "nearly a month", "more than a year"
            last = i + 1
        elif tok == "half":
            phrase.start(Decimal("0.5"), "half", i)
        elif tok == "and" and phrase.last in ("hundred", "scale") and (nxt in _UNITS or nxt in _TENS):
            phrase.last = "and"
        else:
            phrase.flush()
            continue
        if phrase.open:
            phrase.end = max(phrase.end, last)
    phrase.flush()
    return found


def _show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def check_numbers(claims: TypedTable) -> list[Issue]:
    """A numeric claim's value / value_low / value_high must each be stated in its quote."""
    issues = []
    bounds = [name for name in ("value", "value_low", "value_high") if name in claims.spec.field_names]
    for row, quote in enumerate(claims.column("quote")):
        if not quote:
            continue
        stated: dict[float, str] | None = None
        for name in bounds:
            value = claims.column_value(name, row)
            if value is None or (name, row) in claims.bad:
                continue
            stated = numbers_in(quote) if stated is None else stated
            if float(value) not in stated:
                shown = ", ".join(f'{_show(n)} (from "{words}")' for n, words in sorted(stated.items())) or "none"
                issues.append(claims.issue(row, name, "number-not-in-quote", f"{_show(value)} does not appear in the quote",
                                     f"numbers in the quote: {shown}; quote the words that state it"))
    return issues
