"""Coverage tests for the hand-coded content (issue #4).

These read the record files and the archived texts directly with PyYAML, so they
check what matters to a reader independently of the validator in src/:

- every archived source has claims, and every claim quote is found in its text;
- every number a source states (apart from years, dates and a short, explicit
  list of non-quantities) is coded as a numeric claim from that source;
- the three spellings of the TTP resolve to one actor;
- the four disagreements named in DESIGN.md are linked with `contradicts`;
- every denial in the texts is a claim linked with `denies` to what it denies.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
TABLES = ROOT / "tables"


# --- loading ---------------------------------------------------------------------


def _load(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


SOURCE_IDS = sorted(p.stem for p in SOURCES.glob("*.txt"))
TEXTS = {sid: (SOURCES / f"{sid}.txt").read_text(encoding="utf-8") for sid in SOURCE_IDS}


def _claims() -> dict[str, list[dict]]:
    out = {}
    for path in sorted((TABLES / "claims").glob("*.yaml")):
        out[path.stem] = _load(path) or []
    return out


CLAIMS = _claims()
CLAIM_SOURCE = {c["claim_id"]: sid for sid, cs in CLAIMS.items() for c in cs}
CLAIM_BY_ID = {c["claim_id"]: c for cs in CLAIMS.values() for c in cs}
ACTORS = [_load(p) for p in sorted((TABLES / "actors").glob("*.yaml"))]


def fold(text: str) -> str:
    """Normalise quotes, dashes, NBSP and whitespace (the package's quote-matching rule)."""
    text = unicodedata.normalize("NFC", text)
    for a, b in (("‘", "'"), ("’", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-"), ("\xa0", " ")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


# --- every source is coded ----------------------------------------------------------


def test_five_sources_archived():
    assert len(SOURCE_IDS) == 5


@pytest.mark.parametrize("sid", SOURCE_IDS)
def test_every_source_has_metadata_and_claims(sid):
    assert (SOURCES / f"{sid}.yaml").is_file(), f"sources/{sid}.yaml missing"
    meta = _load(SOURCES / f"{sid}.yaml")
    assert meta["source_id"] == sid
    assert CLAIMS.get(sid), f"no claims coded from {sid}"


@pytest.mark.parametrize("sid", SOURCE_IDS)
def test_claim_quotes_are_in_their_source(sid):
    text = fold(TEXTS[sid])
    missing = [c["claim_id"] for c in CLAIMS.get(sid, []) if fold(c["quote"]) not in text]
    assert not missing, f"quotes not found in {sid}: {missing}"


def test_claim_links_resolve():
    bad = [(cid, link["other_claim_id"]) for cid, c in CLAIM_BY_ID.items() for link in c.get("links") or []
           if link["other_claim_id"] not in CLAIM_BY_ID]
    assert not bad


# --- numbers ----------------------------------------------------------------------

# Phrases whose number word is not a quantity the source states (a reference to
# "the two countries", a pronoun "one"). Kept explicit and small on purpose.
NOT_QUANTITIES = [
    "the two countries",
    "the two nations",
    "the two sides",
    "two neighboring countries",
    "the most notable one",
    "— one mounted by",
]
# Lines that are site boilerplate, not part of the report.
BOILERPLATE_LINE = re.compile(r"^\s*(Also Read \|.*)$", re.M)

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Jan\\.|Feb\\.|Mar\\.|Apr\\.|Aug\\.|Sept?\\.|Oct\\.|Nov\\.|Dec\\.")
DAY_OF_MONTH = re.compile(rf"\b(?:{MONTHS})\s+(\d{{1,2}})\b")
WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
WORDS.update({w: 10 * (i + 3) for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split())})
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
TOKEN = re.compile(r"\b(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)|[A-Za-z]+")  # no digits glued to a name ("TechTricks365")


def stated_numbers(text: str) -> dict[float, str]:
    """Numbers the text states as quantities -> a snippet showing where (years and dates left out)."""
    for phrase in NOT_QUANTITIES:
        text = re.sub(re.escape(phrase), " ", text, flags=re.I)
    text = BOILERPLATE_LINE.sub(" ", text)
    dates = {m.start(1) for m in DAY_OF_MONTH.finditer(text)}
    found: dict[float, str] = {}
    tokens = list(TOKEN.finditer(text))
    skip_next = False
    for i, m in enumerate(tokens):
        if skip_next:
            skip_next = False
            continue
        tok = m.group(0)
        low = tok.lower()
        nxt = tokens[i + 1].group(0).lower() if i + 1 < len(tokens) else ""
        if tok[0].isdigit():
            if m.start() in dates:
                continue
            if re.fullmatch(r"(19|20)\d\d", tok):  # a year
                continue
            value = float(tok.replace(",", ""))
        elif low in WORDS:
            value = float(WORDS[low])
        elif low in ("a", "an") and nxt in SCALES:  # "a million"
            value = 1.0
        else:
            continue
        if nxt in SCALES:
            value *= SCALES[nxt]
            skip_next = True
        found.setdefault(value, text[max(0, m.start() - 30): m.end() + 30].replace("\n", " "))
    return found


def coded_values(sid: str) -> set[float]:
    out = set()
    for c in CLAIMS.get(sid, []):
        for key in ("value", "value_low", "value_high"):
            if c.get(key) is not None:
                out.add(float(c[key]))
    return out


def test_number_extraction_reads_words_and_digits():
    got = stated_numbers("over 800,000 people; nearly one million; Nearly a million; 70% ; six calls; "
                         "On April 19, 2025; the two countries; four days")
    assert set(got) == {800000.0, 1_000_000.0, 70.0, 6.0, 4.0}


@pytest.mark.parametrize("sid", SOURCE_IDS)
def test_every_stated_number_is_a_numeric_claim(sid):
    coded = coded_values(sid)
    missing = {v: where for v, where in stated_numbers(TEXTS[sid]).items() if v not in coded}
    assert not missing, f"numbers in {sid} with no numeric claim: " + "; ".join(
        f"{v:g} (…{w}…)" for v, w in sorted(missing.items()))


def test_numeric_claims_have_measure_unit_qualifier():
    bad = [c["claim_id"] for c in CLAIM_BY_ID.values()
           if any(c.get(k) is not None for k in ("value", "value_low", "value_high"))
           and not all(c.get(k) for k in ("measure", "unit", "qualifier"))]
    assert not bad


# --- actors -------------------------------------------------------------------------

TTP_SPELLINGS = ["Tehreek-e-Taliban Pakistan", "Tehrik-i-Taliban Pakistan", "Tehreek-i-Taliban Pakistan"]


def test_ttp_spellings_resolve_to_one_actor():
    owners = {}
    for spelling in TTP_SPELLINGS:
        assert any(spelling in t for t in TEXTS.values()), f"{spelling!r} not in any source"
        owners[spelling] = {a["actor_id"] for a in ACTORS
                            if spelling == a["name"] or spelling in (a.get("aliases") or [])}
    assert all(len(ids) == 1 for ids in owners.values()), owners
    assert len(set().union(*owners.values())) == 1, owners


# --- disagreements and denials ------------------------------------------------------------


def _claims_quoting(sid: str, phrase: str) -> list[dict]:
    return [c for c in CLAIMS.get(sid, []) if fold(phrase).lower() in fold(c["quote"]).lower()]


def _linked(a: str, b: str, relation: str) -> bool:
    def has(x, y):
        return any(link["other_claim_id"] == y and link["relation"] == relation
                   for link in CLAIM_BY_ID[x].get("links") or [])
    return has(a, b) or has(b, a)


# Each disagreement: the versions, as (source, words of its claim quote); every pair
# of versions must be joined by a `contradicts` link.
DISAGREEMENTS = {
    "last high-level visit before April 2025": [
        ("aljazeera-dar-kabul-thaw", "since February 2023"),
        ("bloomberg-dar-kabul-visit", "since the Taliban seized power in 2021"),
        ("muttaqi-repatriation-concern", "since 2022"),
    ],
    "Afghans returned, and since when": [
        ("fp-dar-sustained-dialogue", "over 800,000 Afghans"),
        ("aljazeera-dar-kabul-thaw", "nearly one million Afghans"),
        ("bloomberg-dar-kabul-visit", "since September 2023"),
    ],
    "security-force deaths in 2024": [
        ("aljazeera-dar-kabul-thaw", "358 law enforcement personnel"),
        ("bloomberg-dar-kabul-visit", "at least 685 forces killed"),
    ],
    "Istanbul round: failed or extended the ceasefire": [
        ("dar-senate-six-calls", "agreed to extend the ceasefire during negotiations in Istanbul"),
        ("dar-senate-six-calls", "the talks failed after four days"),
    ],
}


@pytest.mark.parametrize("name", sorted(DISAGREEMENTS))
def test_disagreement_is_linked(name):
    versions = []
    for sid, phrase in DISAGREEMENTS[name]:
        found = _claims_quoting(sid, phrase)
        assert found, f"{name}: no claim in {sid} quotes {phrase!r}"
        versions.append([c["claim_id"] for c in found])
    for xs, ys in itertools.combinations(versions, 2):
        assert any(_linked(x, y, "contradicts") for x in xs for y in ys), \
            f"{name}: no contradicts link between {xs} and {ys}"


DENIALS = [
    ("fp-dar-sustained-dialogue", "Kabul denies these claims"),
    ("fp-dar-sustained-dialogue", "Afghan officials deny the allegation"),
    ("aljazeera-dar-kabul-thaw", "rejected the claims, calling them"),
    ("bloomberg-dar-kabul-visit", "claims the Taliban have denied"),
    ("muttaqi-repatriation-concern", "an allegation the Taliban denies"),
]


@pytest.mark.parametrize("sid,phrase", DENIALS)
def test_denial_is_linked_to_what_it_denies(sid, phrase):
    assert fold(phrase) in fold(TEXTS[sid])
    found = _claims_quoting(sid, phrase)
    assert found, f"no claim in {sid} quotes the denial {phrase!r}"
    targets = [link["other_claim_id"] for c in found for link in c.get("links") or [] if link["relation"] == "denies"]
    assert targets, f"denial {phrase!r} has no `denies` link"
    for target in targets:
        assert CLAIM_SOURCE[target] == sid, f"{phrase!r} denies a claim from another source"
        assert CLAIM_BY_ID[target]["speech_act"] in {"accuses", "alleges"}, target
