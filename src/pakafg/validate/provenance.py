"""Provenance: every row traceable to the exact words of an archived source.

Each source's archived text is read once, checked against its sha256, and
folded once (curly quotes, dashes, exotic spaces, whitespace runs) into a
searchable string with a map back to original character offsets. Each quote
is then looked up only in its own source's text, so the cost is linear in the
corpus: sum over citations of the length of the one text they cite, never
every source per claim. Offsets (code points, 0-based, end exclusive) are
computed here, and the published quote is the archived text's own characters
`text[start:end]`, so a consumer can verify each row with plain Python.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..issues import Issue
from ..records import Collection, Row
from ..schemas import LIST_KEYS_ID_FIELD, LIST_KEYS_TABLE_FIELD

SOURCES_DIR = "sources"
CITED_TABLES = ("events", "claims")  # tables whose live records must cite a source
MAX_SOURCE_BYTES = 16 * 1024 * 1024  # a news article is a few KB; a book-length text still fits
LIVE = "active"

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


def _issue(row: Row, table: str, field: str | None, code: str, message: str, hint: str, record_id=None) -> Issue:
    line, col = row.where(field)
    return Issue(code=code, message=message, path=row.path, line=line, column=col, table=table, field=field,
                 record_id=record_id, hint=hint)


def safe_source_path(root: Path, relative: str, base: Path | None = None) -> Path | None:
    """The archived file's real path if it stays inside <root>/sources/ (no .., absolute path or symlink out).

    `base` is `sources_base(root)`, passed in to resolve the root once for all sources.
    """
    found = _safe_source_path(root, relative, base or sources_base(root), {})
    return Path(found[0]) if found else None


def _safe_source_path(root: Path, relative: str, base: Path, resolved_dirs: dict[str, str]) -> tuple[str, os.stat_result | None] | None:
    """`safe_source_path` as a string, with the file's own lstat when it is no symlink (else None).

    `resolved_dirs` caches each folder's real path: a file that is no symlink
    resolves to its resolved folder plus its name, so thousands of archived texts
    in sources/ cost one lstat each, not one per path component.
    """
    if (not relative or relative.startswith(("/", "\\")) or "\\" in relative or re.match(r"^[A-Za-z]:", relative)
            or ".." in relative.split("/")):  # as `Path(relative).parts` (a backslash is refused above), without a Path
        return None
    joined = os.path.join(root, relative)
    folder, name = os.path.split(joined)
    info = None
    if name not in ("", ".", ".."):
        real_folder = resolved_dirs.get(folder)
        if real_folder is None:
            real_folder = resolved_dirs[folder] = os.path.realpath(folder)
        target = os.path.join(real_folder, name)
        try:
            info = os.lstat(target)
        except OSError:
            pass  # missing: realpath keeps the name as it is
        if info is not None and stat.S_ISLNK(info.st_mode):
            target, info = os.path.realpath(joined), None
    else:
        target = os.path.realpath(joined)  # Path.resolve(), without its overhead
    base_text = str(base)
    if os.path.dirname(target) != base_text and (target == base_text or not target.startswith(base_text.rstrip("/") + "/")):
        return None  # usually sources/<file>
    return target, info


def sources_base(root: Path) -> Path:
    """<resolved root>/sources, not resolved itself: a symlinked sources/ leaves the repository."""
    return Path(root).resolve() / SOURCES_DIR


def load_source_texts(coll: Collection) -> tuple[dict[str, IndexedText], list[Issue]]:
    """Read, hash-check and index every source's archived text (each exactly once)."""
    texts: dict[str, IndexedText] = {}
    issues: list[Issue] = []
    base = sources_base(coll.spec.root)
    resolved_dirs: dict[str, str] = {}
    for row in coll.rows["sources"]:
        sid, relative = row.cells.get("source_id"), row.cells.get("file")
        if sid is None or relative is None:
            continue

        def problem(code: str, message: str, hint: str, field: str = "file") -> None:
            issues.append(_issue(row, "sources", field, code, message, hint, sid))

        found = _safe_source_path(coll.spec.root, relative, base, resolved_dirs)
        if found is None:
            problem("source-path-unsafe", f"'{relative}' leads outside {SOURCES_DIR}/",
                    f"archive the text as {SOURCES_DIR}/{sid}.txt (a regular file, not a link out of the repository) and point at it")
            continue
        path, info = found
        if info is None:
            try:
                info = os.stat(path)  # one stat for what is_dir(), is_file() and the size check would each ask
            except OSError:
                info = None  # as is_dir() and is_file(): neither
        mode = info.st_mode if info else 0
        if stat.S_ISDIR(mode):
            problem("source-file-missing", f"'{relative}' is a directory, not a file", f"point at the archived text, e.g. {SOURCES_DIR}/{sid}.txt")
            continue
        if not stat.S_ISREG(mode):
            problem("source-file-missing", f"'{relative}' does not exist", f"archive the source text at {relative}, or fix the path")
            continue
        try:
            size = info.st_size
            if size > MAX_SOURCE_BYTES:
                problem("file-too-large", f"{relative} is {size} bytes; the limit is {MAX_SOURCE_BYTES}",
                        "archive only the article's text")
                continue
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            problem("source-file-missing", f"'{relative}' cannot be read: {exc.strerror or exc}", "check the file's permissions")
            continue
        digest = hashlib.sha256(data).hexdigest()
        recorded = row.cells.get("sha256")
        if recorded and digest != recorded:
            problem("source-hash-mismatch", f"{relative} has sha256 {digest}, not the recorded {recorded}",
                    "the archived text changed: restore it byte for byte, or record the new hash if the archive itself was corrected",
                    "sha256")
        try:
            texts[sid] = IndexedText.of(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            problem("encoding-error", f"{relative} is not valid UTF-8 (byte {exc.start})", "archive the text as UTF-8")
    return texts, issues


def citation_rows(coll: Collection) -> list[tuple[Row, Row | None]]:
    """Every citation with the claim it came from: the `citations` lists, plus each claim's own quote.

    A claim's quote becomes a `citations` row here (once per collection, so a
    second validation of the same rows does not add it twice).
    """
    rows = coll.rows["citations"]
    pairs: list[tuple[Row, Row | None]] = [(row, None) for row in rows if row.cells.get(LIST_KEYS_TABLE_FIELD) != "claims"]
    derived = {(r.cells.get(LIST_KEYS_ID_FIELD), r.path, r.line): r for r in rows if r.cells.get(LIST_KEYS_TABLE_FIELD) == "claims"}
    for claim in coll.rows["claims"]:
        cid, sid, quote = claim.cells.get("claim_id"), claim.cells.get("source_id"), claim.cells.get("quote")
        if cid is None or sid is None or quote is None:
            continue
        row = derived.get((cid, claim.path, claim.line))
        if row is None:
            positions = {"quote": claim.where("quote"), "source_id": (claim.line, None), LIST_KEYS_ID_FIELD: claim.where("claim_id")}
            row = Row("citations", claim.path, claim.line,
                      {LIST_KEYS_TABLE_FIELD: "claims", LIST_KEYS_ID_FIELD: cid, "source_id": sid, "quote": quote, "start": None, "end": None},
                      positions)
            rows.append(row)
        pairs.append((row, claim))
    return pairs


def _locate(row: Row, claim: Row | None, text: IndexedText, sid: str, relative: str) -> Issue | None:
    """Find one citation's quote; set its offsets and source characters, or say what is wrong."""
    cells = row.cells
    quote, given = cells.get("quote"), cells.get("start")
    if given is None:  # the usual case, a quote that occurs exactly once: `find_all` and the checks below, inlined
        needle, folded = fold(quote), text.folded
        at = folded.find(needle) if needle else -1
        if at >= 0 and folded.find(needle, at + 1) < 0:
            return _found(row, claim, text, *text._span(at, len(needle)))
    table, rid = cells.get(LIST_KEYS_TABLE_FIELD), cells.get(LIST_KEYS_ID_FIELD)
    where = claim or row
    found = text.find_all(quote, limit=2 if given is None else 10_000)
    if not found:
        at, passage, difference = text.closest(quote)
        hint = f'closest passage at {at}: "{passage}"' + (f"; {difference}" if difference else "")
        return _issue(where, table, "quote", "quote-not-found", f"quote not found in source '{sid}' ({relative})", hint, rid)
    if given is not None:
        match = [span for span in found if span[0] == given]
        if not match:
            starts = ", ".join(str(s) for s, _ in found[:5])
            return _issue(row, table, "start", "quote-offset-mismatch", f"start {given} does not point at the quote in '{sid}'",
                          f"the quote starts at {starts}; write one of these or leave `start` out", rid)
        found = match
    elif len(found) > 1:
        first, second = found[0][0], found[1][0]
        how = (f"add `start: {first}` (or {second}) to choose one" if claim is None
               else "quote more words so it occurs only once")
        return _issue(where, table, "quote", "quote-ambiguous", f"quote occurs more than once in source '{sid}' (at {first} and {second})",
                      how, rid)
    return _found(row, claim, text, *found[0])


def _found(row: Row, claim: Row | None, text: IndexedText, start: int, end: int) -> None:
    """Record where a citation's quote is, and publish the source's own characters, however the record typed them."""
    exact = text.original[start:end]
    row.cells["start"], row.cells["end"], row.cells["quote"] = start, end, exact
    if claim is not None:
        claim.cells["quote"] = exact


def locate_quotes(coll: Collection, texts: dict[str, IndexedText], issues: list[Issue]) -> tuple[set[str], set[tuple[str, str]]]:
    """Find every citation's quote in its source (appending to `issues`); return the sources and records cited.

    Each citation needs only its own row, its claim and its source's text, so an
    incremental build (incremental.py) runs this on the rows of the edited files alone.
    """
    files = {r.cells.get("source_id"): r.cells.get("file") for r in coll.rows["sources"]}
    cited_sources: set[str] = set()
    cited_records: set[tuple[str, str]] = set()
    for row, claim in citation_rows(coll):
        sid, quote = row.cells.get("source_id"), row.cells.get("quote")
        cited_sources.add(sid)
        cited_records.add((row.cells.get(LIST_KEYS_TABLE_FIELD), row.cells.get(LIST_KEYS_ID_FIELD)))
        text = texts.get(sid)
        if text is None or not quote:
            continue  # unknown source (a foreign-key issue) or unreadable text (reported above)
        issue = _locate(row, claim, text, sid, files.get(sid))
        if issue:
            issues.append(issue)
    return cited_sources, cited_records


def check_provenance(coll: Collection) -> list[Issue]:
    """Hashes, quotes, offsets, coverage and numbers; fills in citation offsets."""
    texts, issues = load_source_texts(coll)
    cited_sources, cited_records = locate_quotes(coll, texts, issues)
    for table in CITED_TABLES:
        key = coll.spec.tables[table].primary_key[0]
        for row in coll.rows[table]:
            rid = row.cells.get(key)
            if rid is None or row.cells.get("status", LIVE) != LIVE or (table, rid) in cited_records:
                continue
            if "quote" in coll.spec.tables[table].field_names:
                continue  # a claim cites through its own quote; a missing quote is already a `required` issue
            issues.append(_issue(row, table, key, "uncited-record", f"'{rid}' cites no source",
                                 "add `citations: [{source_id: …, quote: …}]` with the words it rests on", rid))
    for row in coll.rows["sources"]:
        sid = row.cells.get("source_id")
        if sid is not None and row.cells.get("status", LIVE) == LIVE and sid not in cited_sources:
            issues.append(_issue(row, "sources", "source_id", "source-not-cited", f"no record cites source '{sid}'",
                                 f"code at least one claim from it in tables/claims/{sid}.yaml, or withdraw it", sid))
    issues.extend(check_numbers(coll))
    return issues


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
_DIGITS = re.compile(_NUMBER_TOKEN.pattern.split("|")[0])  # the tokens of _NUMBER_TOKEN that are numbers
# the fast path of `numbers_in` sees a text's words ([a-z]+ runs, as _NUMBER_TOKEN reads them) as ASCII bytes
_PHRASE_WORDS = frozenset(w.encode() for w in _NUMBER_WORDS - {"a", "an", "and"})  # words that state (part of) a number
_ARTICLES = frozenset((b"a", b"an"))
_PERIOD_WORDS = frozenset(w.encode() for w in _PERIODS)
_LETTERS_ONLY = bytes(b if 97 <= b <= 122 else 32 for b in range(256))  # bytes.translate table: not a-z -> space


class _Phrase:
    """One spoken or written number being read left to right ("two hundred and fifty thousand")."""

    def __init__(self, found: set[float]):
        self.found, self.total, self.group, self.last = found, None, None, None

    @property
    def open(self) -> bool:
        return self.group is not None or self.total is not None

    def start(self, value: Decimal, kind: str) -> None:
        self.flush()
        self.total, self.group, self.last = Decimal(0), value, kind

    def flush(self) -> None:
        if self.open:
            self.found.add(float((self.total or 0) + (self.group or 0)))
        self.total = self.group = self.last = None


def numbers_in(text: str) -> set[float]:
    """Every number a text states: digits ("800,000", "8,00,000", "70%", "2.5"), words ("six",
    "twenty-three", "one hundred and fifty"), scales ("one million", "nearly a million",
    "2.5 million", "half a million", "a dozen", "3 lakh", "Rs2.5bn"), and one in "a day", "a year"."""
    found: set[float] = set()
    text = fold(text).lower()
    phrase = _Phrase(found)
    words = text.encode("ascii", "replace").translate(_LETTERS_ONLY).split()  # the [a-z]+ tokens, at C speed
    if _PHRASE_WORDS.isdisjoint(words) and (_ARTICLES.isdisjoint(words) or _PERIOD_WORDS.isdisjoint(words)):
        # no number words (the usual quote): each run of digits is a number of its own, as the loop below would read it
        for tok in _DIGITS.findall(text):  # what `_Phrase.start` then `flush` add for each
            found.add(float(tok.replace(",", "")))  # rounded correctly, as float(Decimal(...)) rounds
        return found
    tokens = _NUMBER_TOKEN.findall(text)
    for i, tok in enumerate(tokens):
        if tok not in _NUMBER_WORDS and not tok[0].isdigit():  # most words state no number: as the `else` below
            if phrase.group is not None or phrase.total is not None or phrase.last is not None:
                phrase.flush()  # ... ends the number being read (a no-op when none is)
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok[0].isdigit():
            try:
                phrase.start(Decimal(tok.replace(",", "")), "digits")
            except InvalidOperation:  # pragma: no cover - the token pattern only yields numbers
                phrase.flush()
        elif tok in _UNITS or tok in _TENS:
            value = Decimal(_UNITS.get(tok, _TENS.get(tok, 0)))
            joins = phrase.open and (
                (phrase.last == "tens" and tok in _UNITS and 0 < value < 10)
                or phrase.last in ("hundred", "scale", "and"))
            if joins:
                phrase.group = (phrase.group or 0) + value
                phrase.last = "tens" if tok in _TENS else "unit"
            else:
                phrase.start(value, "tens" if tok in _TENS else "unit")
        elif tok in _MULTIPLIERS:
            if not phrase.open or phrase.last not in ("unit", "tens", "digits", "article", "half"):
                phrase.start(Decimal(1), "article")
            phrase.group = (phrase.group or Decimal(1)) * _MULTIPLIERS[tok]
            phrase.last = "hundred"
        elif tok in _SCALES:
            if not phrase.open:
                phrase.start(Decimal(1), "article")
            phrase.total = (phrase.total or 0) + (phrase.group if phrase.group is not None else Decimal(1)) * _SCALES[tok]
            phrase.group, phrase.last = None, "scale"
        elif tok in _ABBREVIATIONS and phrase.last == "digits":
            found.add(float(phrase.group))  # "5 m" may be metres: keep the bare number too
            phrase.total, phrase.group, phrase.last = phrase.total + phrase.group * _ABBREVIATIONS[tok], None, "scale"
        elif tok in ("a", "an") and (nxt in _MULTIPLIERS or nxt in _SCALES):
            if phrase.last != "half":
                phrase.start(Decimal(1), "article")
        elif tok in ("a", "an") and nxt in _PERIODS:
            phrase.start(Decimal(1), "unit")  # "for a day", "nearly a month", "more than a year"
        elif tok == "half":
            phrase.start(Decimal("0.5"), "half")
        elif tok == "and" and phrase.last in ("hundred", "scale") and (nxt in _UNITS or nxt in _TENS):
            phrase.last = "and"
        else:
            phrase.flush()
    phrase.flush()
    return found


def _show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def check_numbers(coll: Collection) -> list[Issue]:
    """A numeric claim's value / value_low / value_high must each be stated in its quote."""
    issues = []
    for row in coll.rows["claims"]:
        quote = row.cells.get("quote")
        if not quote:
            continue
        stated: set[float] | None = None
        for name in ("value", "value_low", "value_high"):
            value = row.cells.get(name)
            if value is None or name in row.bad:
                continue
            stated = numbers_in(quote) if stated is None else stated
            if float(value) not in stated:
                shown = ", ".join(_show(n) for n in sorted(stated)) or "none"
                issues.append(_issue(row, "claims", name, "number-not-in-quote", f"{_show(value)} does not appear in the quote",
                                     f"numbers in the quote: {shown}; quote the words that state it", row.cells.get("claim_id")))
    return issues
