"""Fuzz: whatever bytes a pull request puts in a record file (or its name), `pakafg validate` keeps its contract.

Hypothesis writes record files of random bytes, YAML records whose values are
double-quoted with every kind of escape (`\\0`, `\\e`, `\\x85`, `\\ud800`,
`\\ufffe`, `\\u202e` …) and random structure, and record files with odd names;
each goes through the real CLI in-process, in the text, json and github formats.
The contract: exit 0 or 1, never an exception; the JSON parses and every problem
in it names a file; the text is one line per problem; one annotation per problem.
Bounded to a few seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pakafg.check
from pakafg.cli import cli

from conftest import make_package

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TARGETS = ["tables/actors/pakistan.yaml", "tables/claims/fp.yaml", "sources/fp.yaml"]
ESCAPES = [r"\0", r"\a", r"\b", r"\t", r"\n", r"\v", r"\f", r"\r", r"\e", r"\ ", r"\"", r"\/", r"\\", r"\N", r"\_", r"\L", r"\P",
           r"\x00", r"\x1b", r"\x7f", r"\x85", r"\x9b", r"\xff", r"\u0000", r"\u200b", r"\u202e", r"\ud800", r"\udfff", r"\ufeff",
           r"\ufffe", r"\uffff", r"\U0001FFFE", r"\U0010FFFF", r"\U00110000", r"\x", r"\u12", r"\q", "\\"]
STRUCTURE = ["\t", "\n", "\r", " ", ":", ": ", "- ", "#", " #", "&a", "*a", "!x", "{", "}", "[", "]", ",", "'", '"', "|", ">", "%", "@", "`",
             "---", "...", "? ", "\u00a0", "\u2028", "\x85", "\ufeff"]
CHAR = st.characters(blacklist_categories=("Cs",))
FIELDS = ["actor_id", "name", "actor_type", "country_code", "position", "description", "note", "aliases", "claim_id", "quote",
          "value", "value_low", "file", "url", "sha256", "source_id", "colour"]


@st.composite
def escaped_values(draw) -> str:
    """A double-quoted YAML scalar: text, escapes and raw characters mixed."""
    parts = draw(st.lists(st.sampled_from(ESCAPES) | st.text(CHAR, max_size=4) | st.sampled_from(["Pakistan", "fp", "800000", "2025-03-01"]),
                          max_size=6))
    return '"' + "".join(p.replace('"', r"\"") if not p.startswith("\\") else p for p in parts) + '"'


@st.composite
def yaml_records(draw) -> str:
    """A record (or list of records) with escaped values, sometimes bent by stray YAML punctuation."""
    lines = []
    for key in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=6)):
        value = draw(escaped_values() | st.text(CHAR, max_size=8) | st.sampled_from(["", "null", "[a, b]", "{}", "- x"]))
        indent = draw(st.sampled_from(["", "", "", "  ", "\t"]))
        lines.append(f"{indent}{key}: {value}")
    for _ in range(draw(st.integers(0, 2))):  # stray structure somewhere
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(st.sampled_from(STRUCTURE)) + draw(st.text(CHAR, max_size=3)))
    text = "\n".join(lines) + "\n"
    return "- " + text.replace("\n", "\n  ").rstrip(" ") if draw(st.booleans()) else text


@pytest.fixture(scope="module")
def package():
    folder = Path(tempfile.mkdtemp(prefix="pakafg-fuzz-"))
    root = make_package(folder / "pkg")
    yield root
    shutil.rmtree(folder, ignore_errors=True)


def _contract(root: Path) -> None:
    """`pakafg validate` in the three formats: exit 0/1, no exception, JSON that parses, every problem named by file."""
    results, real = {}, pakafg.check.validate

    def once(root=".", fast=True):  # one check, rendered three ways
        if "v" not in results:
            results["v"] = real(root, fast)
        return results["v"]

    pakafg.check.validate = once
    try:
        runs = {fmt: CliRunner().invoke(cli, ["validate", "--root", str(root), "--format", fmt]) for fmt in ("json", "text", "github")}
    finally:
        pakafg.check.validate = real
    for fmt, result in runs.items():
        assert result.exception is None or isinstance(result.exception, SystemExit), (fmt, repr(result.exception))
        assert result.exit_code in (0, 1), (fmt, result.exit_code, result.output)
        assert "Traceback" not in result.output
    issues = json.loads(runs["json"].stdout)
    assert all(isinstance(i.get("path"), str) and i["path"] and i["code"] and i["message"] for i in issues), issues
    assert (runs["json"].exit_code == 1) == any(i["severity"] == "error" for i in issues)
    text = runs["text"].output.splitlines()
    assert all(line.startswith(issue_path) for line, issue_path in zip(text, (i["path"] for i in issues))), text
    annotations = [ln for ln in runs["github"].output.splitlines() if ln.startswith("::")]
    assert len(annotations) == len(issues) and all(re.match(r"^::(error|warning) file=[^,]+,", a) for a in annotations)


def _with_file(root: Path, rel: str, data: bytes) -> None:
    target = root / rel
    original = target.read_bytes()
    target.write_bytes(data)
    try:
        _contract(root)
    finally:
        target.write_bytes(original)


@FUZZ
@given(data=st.binary(max_size=400), target=st.sampled_from(TARGETS))
def test_random_bytes_as_a_record_file(package, data, target):
    _with_file(package, target, data)


@FUZZ
@given(text=yaml_records(), target=st.sampled_from(TARGETS))
def test_yaml_with_escapes_as_a_record_file(package, text, target):
    _with_file(package, target, text.encode("utf-8", "surrogatepass"))


@settings(FUZZ, max_examples=15)
@given(name=st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..")),
       folder=st.sampled_from(["tables/actors", "tables/claims", "tables", "sources"]))
def test_odd_file_names(package, name, folder):
    path = os.path.join(os.fsencode(package / folder), name + b".yaml")
    if os.path.lexists(path):
        return
    with open(path, "wb") as fh:
        fh.write(b"actor_id: x\nname: X\nactor_type: state\n")
    try:
        _contract(package)
    finally:
        os.remove(path)
