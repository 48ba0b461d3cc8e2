"""Provenance: every row traceable to the exact words of an archived source.

Each source's archived text is read once, checked against its sha256, and
normalised once (curly quotes, dashes, NBSP and whitespace runs folded) into a
searchable string with a map back to original character offsets. Each quote
is then looked up only in its own source's text, so the cost is linear in
the corpus. Offsets are computed here and published in `citations`.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..issues import Issue
from ..records import Collection, Row
from ..schemas import LIST_KEYS_ID_FIELD, LIST_KEYS_TABLE_FIELD

SOURCES_DIR = "sources"
CITED_TABLES = ("events", "claims")  # tables whose live records must cite a source

# 1:1 character folds (keep offsets): quotes, dashes, exotic spaces
_FOLD = str.maketrans({
    **{c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u00b4`"},
    **{c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"},
    **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"},
    **{c: " " for c in "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003"},
})
_SPACES = re.compile(r"\s+")


@dataclass
class IndexedText:
    """A text folded for matching, with a map from folded to original offsets."""

    original: str
    folded: str
    _starts: list[int]  # folded offset where each segment starts
    _origins: list[int]  # original offset of the same point

    @classmethod
    def of(cls, text: str) -> "IndexedText":
        translated = text.translate(_FOLD)
        pieces, starts, origins = [], [0], [0]
        pos = n = 0
        for m in _SPACES.finditer(translated):
            pieces.append(translated[pos:m.start()])
            n += m.start() - pos
            starts.append(n)
            origins.append(m.start())
            pieces.append(" ")
            n += 1
            pos = m.end()
            starts.append(n)
            origins.append(pos)
        pieces.append(translated[pos:])
        return cls(text, "".join(pieces), starts, origins)

    def original_offset(self, folded_offset: int) -> int:
        i = bisect.bisect_right(self._starts, folded_offset) - 1
        return self._origins[i] + (folded_offset - self._starts[i])

    def find_all(self, quote: str, limit: int = 2) -> list[tuple[int, int]]:
        """(start, end) original offsets of up to `limit` occurrences of the folded quote."""
        needle = fold(quote)
        out = []
        if not needle:
            return out
        at = self.folded.find(needle)
        while at >= 0 and len(out) < limit:
            out.append((self.original_offset(at), self.original_offset(at + len(needle) - 1) + 1))
            at = self.folded.find(needle, at + 1)
        return out

    def closest(self, quote: str) -> str:
        """The passage most like the quote, to show a contributor their typo."""
        needle = fold(quote)
        words = [m.start() for m in re.finditer(r"\S+", self.folded)]
        best, best_at = 0.0, 0
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(needle)
        for at in words[:20_000]:
            window = self.folded[at:at + len(needle)]
            matcher.set_seq1(window)
            if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
                continue
            ratio = matcher.ratio()
            if ratio > best:
                best, best_at = ratio, at
        start = self.original_offset(best_at)
        return self.original[start:start + len(needle) + 10].replace("\n", " ")


def fold(text: str) -> str:
    return _SPACES.sub(" ", text.translate(_FOLD)).strip()


def _issue(row: Row, table: str, field: str | None, code: str, message: str, hint: str, record_id=None) -> Issue:
    line, col = row.where(field)
    return Issue(code=code, message=message, path=row.path, line=line, column=col, table=table, field=field,
                 record_id=record_id, hint=hint)


def safe_source_path(root: Path, relative: str) -> Path | None:
    """The archived file's path if it stays inside sources/ (no .., absolute path or symlink out)."""
    if not relative or relative.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", relative) or ".." in Path(relative).parts:
        return None
    base = (root / SOURCES_DIR).resolve()
    target = (root / relative).resolve()
    try:
        target.relative_to(base)
    except ValueError:
        return None
    return target


def load_source_texts(coll: Collection) -> tuple[dict[str, IndexedText], list[Issue]]:
    """Read, hash-check and index every source's archived text."""
    texts: dict[str, IndexedText] = {}
    issues: list[Issue] = []
    for row in coll.rows["sources"]:
        sid, relative = row.cells.get("source_id"), row.cells.get("file")
        if sid is None or relative is None:
            continue
        path = safe_source_path(coll.spec.root, relative)
        if path is None:
            issues.append(_issue(row, "sources", "file", "source-path-unsafe", f"'{relative}' is outside {SOURCES_DIR}/",
                                 f"archive the text as {SOURCES_DIR}/{sid}.txt and point at it", sid))
            continue
        if not path.is_file():
            issues.append(_issue(row, "sources", "file", "source-file-missing", f"'{relative}' does not exist",
                                 f"archive the source text at {relative}", sid))
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if row.cells.get("sha256") and digest != row.cells["sha256"]:
            issues.append(_issue(row, "sources", "sha256", "source-hash-mismatch", f"{relative} has sha256 {digest}",
                                 "the archived text changed; restore it byte for byte, or record the new hash if the archive was corrected", sid))
        try:
            texts[sid] = IndexedText.of(data.decode("utf-8"))
        except UnicodeDecodeError:
            issues.append(_issue(row, "sources", "file", "encoding-error", f"{relative} is not valid UTF-8",
                                 "archive the text as UTF-8", sid))
    return texts, issues


def citation_rows(coll: Collection) -> list[Row]:
    """All citations: the `citations` lists plus each claim's own quote (added to the table here)."""
    rows = coll.rows["citations"]
    for claim in coll.rows["claims"]:
        cid, sid, quote = claim.cells.get("claim_id"), claim.cells.get("source_id"), claim.cells.get("quote")
        if cid is None or sid is None or quote is None:
            continue
        positions = {"quote": claim.where("quote"), "source_id": (claim.line, None), LIST_KEYS_ID_FIELD: claim.where("claim_id")}
        rows.append(Row("citations", claim.path, claim.line,
                        {LIST_KEYS_TABLE_FIELD: "claims", LIST_KEYS_ID_FIELD: cid, "source_id": sid, "quote": quote, "start": None, "end": None},
                        positions))
    return rows


def check_provenance(coll: Collection) -> list[Issue]:
    """Hashes, quotes, offsets, coverage; fills in citation offsets."""
    texts, issues = load_source_texts(coll)
    citations = citation_rows(coll)
    cited_sources: set[str] = set()
    cited_records: set[tuple[str, str]] = set()
    for row in citations:
        sid, quote, table = row.cells.get("source_id"), row.cells.get("quote"), row.cells.get(LIST_KEYS_TABLE_FIELD)
        cited_sources.add(sid)
        cited_records.add((table, row.cells.get(LIST_KEYS_ID_FIELD)))
        text = texts.get(sid)
        if text is None or not quote:
            continue
        given = row.cells.get("start")
        found = text.find_all(quote, limit=2 if given is None else 1_000)
        where_field = "quote"
        if not found:
            issues.append(_issue(row, table, where_field, "quote-not-found", f"quote not found in source '{sid}'",
                                 f"closest passage: \"{text.closest(quote)}\"", row.cells.get(LIST_KEYS_ID_FIELD)))
            continue
        if given is not None:
            match = [span for span in found if span[0] == given]
            if not match:
                issues.append(_issue(row, table, "start", "quote-offset-mismatch", f"start {given} does not point at the quote",
                                     f"the quote starts at {', '.join(str(s) for s, _ in found[:5])}", row.cells.get(LIST_KEYS_ID_FIELD)))
                continue
            found = match
        elif len(found) > 1:
            issues.append(_issue(row, table, where_field, "quote-ambiguous", f"quote occurs more than once in source '{sid}'",
                                 f"quote more words, or add `start: {found[0][0]}` (or {found[1][0]}) to choose", row.cells.get(LIST_KEYS_ID_FIELD)))
            continue
        row.cells["start"], row.cells["end"] = found[0]
    for table in CITED_TABLES:
        key = coll.spec.tables[table].primary_key[0]
        for row in coll.rows[table]:
            rid = row.cells.get(key)
            if rid is not None and row.cells.get("status", "active") == "active" and (table, rid) not in cited_records:
                issues.append(_issue(row, table, key, "uncited-record", f"'{rid}' cites no source",
                                     "add `citations: [{source_id: …, quote: …}]` with the words it rests on", rid))
    for row in coll.rows["sources"]:
        sid = row.cells.get("source_id")
        if sid is not None and row.cells.get("status", "active") == "active" and sid not in cited_sources:
            issues.append(_issue(row, "sources", "source_id", "source-not-cited", f"no record cites source '{sid}'",
                                 "code at least one claim from it, or withdraw it", sid))
    issues.extend(check_numbers(coll))
    return issues


# --- numbers in quotes ----------------------------------------------------------

_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                                     "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "dozen": 12}
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[a-z]+")


def numbers_in(text: str) -> set[float]:
    """Every number a text states, in digits ("800,000", "70%") or words ("one million", "six", "a million")."""
    found: set[float] = set()
    tokens = _TOKEN.findall(fold(text).lower().replace("-", " "))
    prev: float | None = None
    for tok in tokens:
        if tok[0].isdigit():
            value = float(tok.replace(",", ""))
        elif tok in _UNITS:
            value = float(_UNITS[tok])
        elif tok in _TENS:
            value = float(_TENS[tok])
        elif tok in _SCALES:
            base = prev if prev is not None else 1.0
            value = base * _SCALES[tok]
        elif tok in ("a", "an"):
            prev = 1.0
            continue
        else:
            prev = None
            continue
        if prev is not None and tok in _UNITS and prev >= 20 and prev % 10 == 0 and prev < 100:
            value += prev  # twenty three
        found.add(value)
        prev = value
    return found


def check_numbers(coll: Collection) -> list[Issue]:
    issues = []
    for row in coll.rows["claims"]:
        quote = row.cells.get("quote")
        if not quote:
            continue
        stated = None
        for name in ("value", "value_low", "value_high"):
            value = row.cells.get(name)
            if value is None:
                continue
            stated = stated if stated is not None else numbers_in(quote)
            if float(value) not in stated:
                shown = ", ".join(f"{n:g}" for n in sorted(stated)) or "none"
                issues.append(_issue(row, "claims", name, "number-not-in-quote", f"{value:g} does not appear in the quote",
                                     f"numbers in the quote: {shown}; quote the words that state it", row.cells.get("claim_id")))
    return issues
