"""A contributor's data-only pull request passes CI as it is, and a maintainer then releases it (issue #15).

In a fresh clone of this repository the test does what CONTRIBUTING.md asks of
a contributor — archives a new article with `pakafg add-source`, codes claims
(one linked to a claim already in the package), an event, an actor and a
place, runs `pakafg fmt` and `pakafg generate`, commits — and then runs what CI
runs on a pull request: `pakafg validate`, `pakafg build`, `pakafg fmt --check`,
`pakafg generate --check` and the whole test suite. Nothing in
`datapackage.yaml` or `tests/` is touched. Finally `pakafg release` makes the
next version, whose CHANGELOG entry lists the new records.

It takes about a minute (a second full test run), so it is not part of the
contributor's `pytest -q`; CI runs it (`pytest -q tests/pr_flow`, see .ci/run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO

GIT = ["git", "-c", "user.name=Contributor", "-c", "user.email=contributor@example.org", "-c", "commit.gpgsign=false"]
SOURCE = "example-news-ceasefire-holds"
ARTICLE = """\
Ceasefire holds along the border as delegations prepare to meet again

EXAMPLE NEWS, Peshawar — The ceasefire between Pakistan and Afghanistan held for a third day on Sunday, \
officials said, as traders waited for the Torkham crossing to reopen.

A spokesman for the provincial government said that "no firing has been reported since Thursday night".

Delegations from both countries are expected to meet in Doha next week to discuss a monitoring mechanism, \
according to two officials who spoke on condition of anonymity.

This article was written for a test of the pakafg contributor workflow.
"""


def run(cwd: Path, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if check:
        assert proc.returncode == 0, f"{' '.join(args)} -> {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def pakafg(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(cwd, sys.executable, "-m", "pakafg", *args, check=check)


def an_existing_claim(clone: Path) -> str:
    """Any claim already in the package (whichever the data holds today)."""
    for path in sorted((clone / "tables" / "claims").glob("*.yaml")):
        for claim in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if claim.get("status", "active") == "active":
                return claim["claim_id"]
    pytest.skip("the package has no claim to link to")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    if not (REPO / ".git").exists() or (REPO / ".git").is_file() and "worktrees" in (REPO / ".git").read_text():
        pytest.skip("not a git checkout")
    dest = tmp_path_factory.mktemp("pr") / "clone"
    run(REPO, "git", "clone", "-q", str(REPO), str(dest))
    return dest


def test_a_data_only_pull_request_passes_ci_and_is_released(clone, tmp_path):
    base = run(clone, "git", "rev-parse", "HEAD").stdout.strip()
    latest = sorted(((clone / "releases").glob("*.json")), key=lambda p: [int(x) for x in p.stem.split("-")[0].split(".")])

    # --- the contributor ------------------------------------------------------------------
    article = tmp_path / "ceasefire-holds.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    pakafg(clone, "add-source", str(article), "--id", SOURCE, "--retrieved-from", "https://example.org/news/ceasefire-holds",
           "--retrieved-on", "2025-10-20")
    record = clone / "sources" / f"{SOURCE}.yaml"
    text = record.read_text(encoding="utf-8")
    for key, value in {"title": "Ceasefire holds along the border as delegations prepare to meet again",
                       "publisher": "Example News", "publisher_actor_id": "example-news", "published_note": "No date line; the year and day are not stated.",
                       "language": "en", "rights": "Written for a test; not a real article."}.items():
        text = text.replace(f"\n{key}: null\n", f"\n{key}: {json.dumps(value)}\n")
    record.write_text(text, encoding="utf-8")

    write(clone / "tables" / "actors" / "example-news.yaml",
          "actor_id: example-news\nname: Example News\nactor_type: media_outlet\n"
          "description: The outlet that published the test article.\n")
    for actor_id, name, kind, quote in (("unnamed-provincial-spokesman-example", "Unnamed spokesman for the provincial government",
                                         "person", "A spokesman for the provincial government"),
                                        ("unnamed-officials-doha-example", "Unnamed officials (Doha meeting)", "group", "two officials")):
        write(clone / "tables" / "actors" / f"{actor_id}.yaml",
              f"actor_id: {actor_id}\nname: {name}\nactor_type: {kind}\nanonymous: true\n"
              f"citations:\n  - source_id: {SOURCE}\n    quote: {quote}\n")
    write(clone / "tables" / "places" / "peshawar-example.yaml",
          "place_id: peshawar-example\nname: Peshawar\nplace_type: city\ncountry_code: PK\ngeonames_id: 1168197\n"
          f"citations:\n  - source_id: {SOURCE}\n    quote: EXAMPLE NEWS, Peshawar\n")
    write(clone / "tables" / "events" / "border-ceasefire-holds-example.yaml",
          "event_id: border-ceasefire-holds-example\nevent_type: RETREAT\ntitle: Border ceasefire holds for a third day\n"
          "summary: No firing was reported along the border for three days.\ndate_phrase: since Thursday night\n"
          "participants:\n  - actor_id: example-news\n    role: publisher\n"
          f"citations:\n  - source_id: {SOURCE}\n    quote: The ceasefire between Pakistan and Afghanistan held for a third day\n")
    linked = an_existing_claim(clone)
    write(clone / "tables" / "claims" / f"{SOURCE}.yaml",
          f"- claim_id: {SOURCE}-no-firing\n  claimant_actor_id: unnamed-provincial-spokesman-example\n  speech_act: reports\n"
          "  attribution: A spokesman for the provincial government said\n"
          "  event_id: border-ceasefire-holds-example\n  summary: A provincial spokesman said no firing had been reported since Thursday.\n"
          "  quote: no firing has been reported since Thursday night\n"
          f"  links:\n    - other_claim_id: {linked}\n      relation: responds_to\n      note: Test link to a claim already coded.\n\n"
          f"- claim_id: {SOURCE}-talks-in-doha\n  claimant_actor_id: unnamed-officials-doha-example\n  speech_act: reports\n"
          "  attribution: according to two officials who spoke on condition of anonymity\n"
          "  summary: Two anonymous officials expect the delegations to meet in Doha to discuss a monitoring mechanism.\n"
          "  quote: Delegations from both countries are expected to meet in Doha next week\n")
    pakafg(clone, "fmt")
    pakafg(clone, "generate", check=False)  # the coverage page lists the new source
    run(clone, "git", "add", "-A")
    run(clone, *GIT, "commit", "-qm", "Add the Example News ceasefire report")
    changed = run(clone, "git", "diff", "--name-only", base, "HEAD").stdout.split()
    assert "datapackage.yaml" not in changed and not [p for p in changed if p.startswith("tests/")], changed

    # --- CI on the pull request -------------------------------------------------------------
    pakafg(clone, "validate")
    built = pakafg(clone, "build")
    assert ("development build" in built.stdout) == bool(latest), built.stdout  # after a release: never a release folder
    pakafg(clone, "fmt", "--check")
    pakafg(clone, "generate", "--check")
    suite = run(clone, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")  # the README's test command
    assert " passed" in suite.stdout and "failed" not in suite.stdout.splitlines()[-1], suite.stdout[-2000:]

    # --- the maintainer ---------------------------------------------------------------------
    released = pakafg(clone, "release")
    version = released.stdout.split("released ", 1)[1].split(":", 1)[0]
    changelog = (clone / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog.split(f"## {version} — ", 1)[1].split("\n## ", 1)[0]
    for record_id in (SOURCE, f"{SOURCE}-no-firing", f"{SOURCE}-talks-in-doha", "border-ceasefire-holds-example",
                      "example-news", "peshawar-example"):
        assert f"`{record_id}`" in entry, record_id
    if latest:
        previous = json.loads(latest[-1].read_text(encoding="utf-8"))["version"]
        major, minor, _ = (int(x) for x in previous.split("-")[0].split(".")[:3])
        assert version in (f"{major}.{minor + 1}.0", f"{major + 1}.0.0")  # records added: at least a minor bump
    assert (clone / "releases" / f"{version}.json").is_file() and (clone / "build" / version / "datapackage.json").is_file()
    shutil.rmtree(clone / "build")
