"""A miniature package for the derived tables: the `valid` fixture plus one more source and records.

Everything is hand-checkable: a second source ("wire") whose text states one
figure per qualifier, claimants of every kind, events of every precision and
end status, a withdrawn claim and a withdrawn event (which derived tables
leave out), and the measures the figures count.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from conftest import REPO, make_package

WIRE_TEXT = """WIRE REPORT
Officials said exactly 852 people were killed in the attack. The wire put the toll at about 900 dead.
Deputy Prime Minister Ishaq Dar said at least 685 soldiers died last year. Medics said as many as 23 passengers were hurt.
Between 10 and 20 villages were evacuated. Nearly 1,000,000 Afghans have returned since the campaign began.
An insurgency has raged since 2021 and continues. Dar visited Kabul on March 10, 2025. A meeting was held at some point.
An earlier count said 40 were killed. Islamabad disputed the toll.
"""

WIRE_SOURCE = """source_id: wire
title: Wire report
publisher: Wire
publisher_actor_id: wire
published: 2025-04-01
published_precision: day
file: sources/wire.txt
sha256: {sha}
language: en
rights: Fixture text written for the tests.
"""

ACTORS = {
    "wire": "actor_id: wire\nname: Wire\nactor_type: media_outlet\n",
    "unnamed-officials": "actor_id: unnamed-officials\nname: Unnamed officials\nactor_type: government\nanonymous: true\n",
    "ishaq-dar": "actor_id: ishaq-dar\nname: Ishaq Dar\nactor_type: person\ncountry_code: PK\n",
}

EVENTS = {
    "ongoing-insurgency": """event_id: ongoing-insurgency
event_type: ASSAULT
event_subtype: insurgency
title: Insurgency since 2021
date_start: 2021-01-01
date_precision: year
ongoing: true
participants:
  - actor_id: ttp
    role: perpetrator
  - actor_id: pakistan
    role: target
citations:
  - source_id: wire
    quote: An insurgency has raged since 2021 and continues.
""",
    "dar-kabul-visit": """event_id: dar-kabul-visit
event_type: CONSULT
event_subtype: visit
title: Dar visits Kabul
date_start: 2025-03-10
date_end: 2025-03-10
date_precision: day
citations:
  - source_id: wire
    quote: Dar visited Kabul on March 10, 2025.
""",
    "undated-meeting": """event_id: undated-meeting
event_type: CONSULT
event_subtype: meeting
title: A meeting at some point
citations:
  - source_id: wire
    quote: A meeting was held at some point.
""",
    "withdrawn-event": """event_id: withdrawn-event
event_type: CONSULT
title: Withdrawn event
date_start: 2020-01-01
date_precision: year
status: withdrawn
note: Out of scope.
citations:
  - source_id: wire
    quote: A meeting was held at some point.
""",
}

WIRE_CLAIMS = """- claim_id: wire-deaths-852
  claimant_actor_id: unnamed-officials
  speech_act: states
  event_id: train-hijacking
  summary: Officials put the death toll at 852.
  quote: Officials said exactly 852 people were killed in the attack.
  attribution: Officials said
  measure: deaths
  value: 852
  qualifier: exact
  links:
    - other_claim_id: fp-hijacking-deaths
      relation: contradicts
      note: 852 against over 60.
- claim_id: wire-deaths-about-900
  claimant_actor_id: wire
  speech_act: reports
  event_id: train-hijacking
  summary: The wire puts the toll at about 900.
  quote: The wire put the toll at about 900 dead.
  measure: deaths
  value: 900
  qualifier: about
  links:
    - other_claim_id: wire-deaths-852
      relation: contradicts
      note: about 900 against 852.
- claim_id: wire-soldiers-at-least-685
  claimant_actor_id: ishaq-dar
  speech_act: states
  event_id: train-hijacking
  summary: Dar says at least 685 soldiers died.
  quote: Deputy Prime Minister Ishaq Dar said at least 685 soldiers died last year.
  attribution: Deputy Prime Minister Ishaq Dar said
  measure: security-force-deaths
  value_low: 685
  qualifier: at_least
- claim_id: wire-hurt-up-to-23
  claimant_actor_id: wire
  speech_act: reports
  event_id: train-hijacking
  summary: As many as 23 passengers were hurt.
  quote: Medics said as many as 23 passengers were hurt.
  measure: injured
  value_high: 23
  qualifier: as_many_as
- claim_id: wire-villages-10-20
  claimant_actor_id: wire
  speech_act: reports
  summary: Ten to twenty villages were evacuated.
  quote: Between 10 and 20 villages were evacuated.
  measure: villages-evacuated
  value_low: 10
  value_high: 20
  qualifier: range
- claim_id: wire-returned-nearly-1000000
  claimant_actor_id: wire
  speech_act: reports
  event_id: deportation-campaign
  summary: Nearly a million Afghans have returned.
  quote: Nearly 1,000,000 Afghans have returned since the campaign began.
  measure: afghans-returned
  value_high: 1000000
  qualifier: nearly
  links:
    - other_claim_id: fp-deportations-over-800000
      relation: contradicts
      note: nearly 1,000,000 against over 800,000.
- claim_id: wire-islamabad-disputes-toll
  claimant_actor_id: pakistan
  speech_act: denies
  summary: Islamabad disputes the officials' toll.
  quote: Islamabad disputed the toll.
  links:
    - other_claim_id: wire-deaths-852
      relation: denies
      note: A denial of a figure, stating none.
- claim_id: wire-deaths-withdrawn-40
  claimant_actor_id: wire
  speech_act: reports
  event_id: train-hijacking
  summary: An earlier count of 40 dead.
  quote: An earlier count said 40 were killed.
  measure: deaths
  value: 40
  qualifier: exact
  status: withdrawn
  note: Superseded by later counts in the same text.
"""

# measure -> (unit, counts_deaths): deliberately not what the slugs suggest, to show the table decides
MEASURES = {
    "deaths": ("people", True),
    "security-force-deaths": ("people", False),
    "injured": ("people", True),
    "villages-evacuated": ("villages", False),
    "afghans-returned": ("people", False),
}

def make_derived_package(dest: Path) -> Path:
    """The `valid` fixture plus the records and measures above, ready to build."""
    package = make_package(dest)
    (package / "sources" / "wire.txt").write_text(WIRE_TEXT, encoding="utf-8", newline="\n")
    sha = hashlib.sha256(WIRE_TEXT.encode("utf-8")).hexdigest()
    (package / "sources" / "wire.yaml").write_text(WIRE_SOURCE.format(sha=sha), encoding="utf-8")
    for actor_id, text in ACTORS.items():
        (package / "tables" / "actors" / f"{actor_id}.yaml").write_text(text, encoding="utf-8")
    for event_id, text in EVENTS.items():
        (package / "tables" / "events" / f"{event_id}.yaml").write_text(text, encoding="utf-8")
    (package / "tables" / "claims" / "wire.yaml").write_text(WIRE_CLAIMS, encoding="utf-8")
    for name in ("CITATION.cff", "LICENSE-DATA.md"):
        shutil.copy(REPO / name, package / name)
    for measure, (unit, deaths) in MEASURES.items():
        (package / "tables" / "measures" / f"{measure}.yaml").write_text(
            f"measure_id: {measure}\nlabel: {measure}\nunit: {unit}\ndefinition: The number of {measure}.\n"
            f"counts_deaths: {'true' if deaths else 'false'}\n", encoding="utf-8")
    return package
