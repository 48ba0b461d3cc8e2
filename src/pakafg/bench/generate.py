"""Synthetic corpora for the benchmark: a valid package of N records, deterministic from a seed.

The proportions follow a real event/claim package: most records are claims
(grouped by source), then events, actors, sources and places. Every source has
an archived text; every quote is a sentence of its own source (some with curly
quotes and dashes, so folding is exercised); numeric claims state their number
in the quote; events have participants and citations, actors aliases, claims
links. The result passes `pakafg validate` with the repository's own schemas.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ..schemas import PACKAGE_FILE, SCHEMA_DIR

# share of N per table (sources, actors, places, events, claims)
PROPORTIONS = {"sources": 0.05, "actors": 0.05, "places": 0.02, "events": 0.18, "claims": 0.70}

_WORDS = ("officials ministry delegation border crossing talks ceasefire province refugees returns security forces "
          "militants attack statement visit meeting trade corridor dialogue spokesman envoy agreement council "
          "committee report government capital region district operation deadline campaign").split()
_VERBS = ("said", "reported", "announced", "stated", "confirmed", "denied", "warned", "estimated", "claimed", "noted")
_PUBLISHERS = ("Dawn", "Bloomberg", "Al Jazeera", "F.P. Report", "Reuters", "Tolo News", "The Express Tribune")
_ACTOR_TYPES = ("state", "government", "ministry", "military", "armed_group", "person", "organisation", "media_outlet")
_EVENT_TYPES = (("CONSULT", "meeting"), ("CONSULT", "visit"), ("CONSULT", "talks_round"), ("AGREE", "ceasefire"),
                ("ASSAULT", "attack"), ("ASSAULT", "clash"), ("COERCE", "deportation_campaign"), ("SANCTION", "border_closure"),
                ("PUBLISH", "report"), ("DISAPPROVE", "statement"))
_ROLES = ("initiator", "target", "participant", "host", "visitor", "mediator")
_SPEECH = ("reports", "states", "announces", "accuses", "denies", "confirms", "estimates", "warns")
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .,()/-]*\Z")


def scalar(text: str) -> str:
    """A YAML scalar for `text`: plain when unambiguous, else double-quoted (JSON escapes are valid YAML)."""
    if _PLAIN.match(text) and ": " not in text and " #" not in text and not text.endswith((" ", ":")):
        return text
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Counts:
    sources: int
    actors: int
    places: int
    events: int
    claims: int

    @property
    def records(self) -> int:
        return self.sources + self.actors + self.places + self.events + self.claims


def plan(records: int, sources: int | None = None, claims: int | None = None) -> Counts:
    """How many records of each table a corpus of `records` holds (overrides for a given shape)."""
    n = {name: max(1, round(records * share)) for name, share in PROPORTIONS.items()}
    n["places"] = max(2, n["places"])
    if sources is not None:
        n["sources"] = sources
    if claims is not None:
        n["claims"] = claims
    n["claims"] = max(n["claims"], n["sources"])  # every source is cited by at least one claim
    return Counts(**n)


def _template_root() -> Path:
    """The repository this code was installed from (editable install): it holds the schemas."""
    return Path(__file__).resolve().parents[3]


class _Writer:
    def __init__(self, dest: Path, rng: random.Random):
        self.dest, self.rng = dest, rng

    def write(self, relative: str, lines: list[str]) -> None:
        path = self.dest / relative
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")

    def words(self, k: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(k))


def _day(rng: random.Random) -> date:
    return date(2021, 1, 1) + timedelta(days=rng.randrange(0, 1700))


def _sentences(w: _Writer, sid: str, count: int) -> list[tuple[str, int | None]]:
    """Unique sentences of one source: (text, number stated or None). The serial makes each unique."""
    out = []
    for k in range(count):
        rng = w.rng
        number = rng.randrange(2, 900_000) if rng.random() < 0.4 else None
        body = f"{w.words(rng.randrange(4, 9)).capitalize()} {rng.choice(_VERBS)} {w.words(rng.randrange(3, 7))}"
        if number is not None:
            body += f", putting the figure at {number:,} people"
        if rng.random() < 0.2:
            body = f"\u201c{body}\u201d \u2014 {w.words(2)}"
        out.append((f"{body} in item {sid}-{k + 1}.", number))
    return out


def generate(dest: str | Path, records: int, seed: int = 0, sources: int | None = None, claims: int | None = None,
             template: str | Path | None = None) -> Counts:
    """Write a valid synthetic package of about `records` records into `dest` (which must not exist or be empty)."""
    dest, template = Path(dest), Path(template) if template else _template_root()
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    rng = random.Random(seed)
    n = plan(records, sources, claims)
    for folder in ("sources", "tables/actors", "tables/places", "tables/events", "tables/measures", "tables/claims"):
        (dest / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(template / PACKAGE_FILE, dest / PACKAGE_FILE)
    shutil.copytree(template / SCHEMA_DIR, dest / SCHEMA_DIR)
    w = _Writer(dest, rng)

    # sources: archived texts with enough unique sentences for their claims plus events' citations
    per_source = [n.claims // n.sources + (1 if i < n.claims % n.sources else 0) for i in range(n.sources)]
    sids = [f"source-{i + 1:06d}" for i in range(n.sources)]
    texts: list[list[tuple[str, int | None]]] = []
    for sid, k in zip(sids, per_source):
        sentences = _sentences(w, sid, k + 6)
        texts.append(sentences)
        text = f"{rng.choice(_PUBLISHERS)}\n\n" + "\n".join(s for s, _ in sentences) + "\n"
        data = text.encode("utf-8")
        (dest / "sources" / f"{sid}.txt").write_bytes(data)
        w.write(f"sources/{sid}.yaml", [
            f"source_id: {sid}",
            f"title: {scalar(w.words(6).title())}",
            f"publisher: {scalar(rng.choice(_PUBLISHERS))}",
            f"published: {_day(rng).isoformat()}",
            "published_precision: day",
            "language: en",
            f"file: sources/{sid}.txt",
            f"sha256: {hashlib.sha256(data).hexdigest()}",
            "rights: Synthetic text generated for benchmarks.",
        ])

    def citation(indent: str = "  ") -> list[str]:
        i = rng.randrange(n.sources)
        sentence = rng.choice(texts[i][per_source[i]:])[0]  # event/actor quotes use the spare sentences
        return [f"{indent}- source_id: {sids[i]}", f"{indent}  quote: {scalar(sentence)}"]

    pids = [f"place-{i + 1:06d}" for i in range(n.places)]
    for i, pid in enumerate(pids):
        lines = [f"place_id: {pid}", f"name: {scalar(w.words(2).title())}",
                 f"place_type: {'country' if i < 2 else rng.choice(('province', 'city', 'district', 'border_crossing'))}"]
        if i >= 2:
            lines.append(f"parent_place_id: {pids[rng.randrange(i)]}")
        lines.append(f"country_code: {'PK' if i % 2 == 0 else 'AF'}")
        if rng.random() < 0.1:
            lines += ["citations:", *citation()]
        w.write(f"tables/places/{pid}.yaml", lines)

    aids = [f"actor-{i + 1:06d}" for i in range(n.actors)]
    for i, aid in enumerate(aids):
        name = w.words(3).title()
        lines = [f"actor_id: {aid}", f"name: {scalar(name)}", f"actor_type: {rng.choice(_ACTOR_TYPES)}"]
        if rng.random() < 0.5:
            lines.append(f"position: {scalar(w.words(3).capitalize())}")
        if i > 0 and rng.random() < 0.3:
            lines.append(f"affiliation_actor_id: {aids[rng.randrange(i)]}")
        lines.append(f"country_code: {'PK' if i % 2 == 0 else 'AF'}")
        lines.append(f"description: {scalar(w.words(8).capitalize())}")
        if rng.random() < 0.3:
            lines += ["aliases:", f"  - {scalar(name.upper())}", f"  - {scalar(name + ' Group')}"]
        if rng.random() < 0.1:
            lines += ["citations:", *citation()]
        w.write(f"tables/actors/{aid}.yaml", lines)

    eids = [f"event-{i + 1:07d}" for i in range(n.events)]
    for i, eid in enumerate(eids):
        etype, subtype = rng.choice(_EVENT_TYPES)
        start = _day(rng)
        lines = [f"event_id: {eid}", f"event_type: {etype}", f"event_subtype: {subtype}",
                 f"title: {scalar(w.words(5).capitalize())}", f"summary: {scalar(w.words(14).capitalize() + '.')}",
                 f"date_start: {start.isoformat()}", f"date_end: {(start + timedelta(days=rng.randrange(0, 4))).isoformat()}",
                 "date_precision: day", f"date_phrase: {scalar('on ' + start.strftime('%A'))}", f"place_id: {rng.choice(pids)}"]
        if i > 0 and rng.random() < 0.2:
            lines.append(f"parent_event_id: {eids[rng.randrange(i)]}")
        lines.append("participants:")
        for aid, role in zip(rng.sample(aids, min(len(aids), rng.randrange(1, 4))), rng.sample(_ROLES, 3)):
            lines += [f"  - actor_id: {aid}", f"    role: {role}"]
        lines += ["citations:", *citation()]
        w.write(f"tables/events/{eid}.yaml", lines)

    w.write("tables/measures/people-affected.yaml", ["measure_id: people-affected", "label: People affected", "unit: people",
                                                     "definition: People a synthetic claim counts.", "counts_deaths: false"])
    all_claims: list[str] = []
    for i, sid in enumerate(sids):
        lines = []
        for k in range(per_source[i]):
            cid = f"{sid}-c{k + 1:03d}"
            sentence, number = texts[i][k]
            lines += [f"- claim_id: {cid}", f"  claimant_actor_id: {rng.choice(aids)}", f"  speech_act: {rng.choice(_SPEECH)}"]
            if rng.random() < 0.7:
                lines.append(f"  event_id: {rng.choice(eids)}")
            lines += [f"  summary: {scalar(w.words(10).capitalize() + '.')}", f"  quote: {scalar(sentence)}"]
            if number is not None:
                lines += ["  measure: people-affected"]
                if rng.random() < 0.5:
                    lines += [f"  value: {number}", "  qualifier: exact"]
                else:
                    lines += [f"  value_low: {number}", "  qualifier: over"]
            if rng.random() < 0.3:
                stated = _day(rng)
                lines += [f"  stated_on: {stated.isoformat()}", "  stated_on_precision: day", "  stated_on_phrase: on the day"]
            if all_claims and rng.random() < 0.1:
                lines += ["  links:", f"    - other_claim_id: {rng.choice(all_claims)}", "      relation: contradicts",
                          f"      note: {scalar(w.words(6).capitalize())}"]
            all_claims.append(cid)
        w.write(f"tables/claims/{sid}.yaml", lines)
    return n


def edit_one_record(root: str | Path) -> Path:
    """Change one claim's summary in place (a valid edit); return the file changed. Used by the rebuild benchmark."""
    folder = Path(root) / "tables" / "claims"
    path = min(folder.glob("*.yaml"))
    text = path.read_text(encoding="utf-8")
    marker = "  summary: "
    at = text.index(marker) + len(marker)
    end = text.index("\n", at)
    current = text[at:end]
    new = "Edited summary, revision 2." if "revision 1" in current else "Edited summary, revision 1."
    path.write_text(text[:at] + new + text[end:], encoding="utf-8", newline="\n")
    return path
