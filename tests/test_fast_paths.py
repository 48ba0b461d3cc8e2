"""Fast paths that answer for a library, or for slower code of ours, must answer as it does.

`records.text_check` says when frictionless' own reader of a text field would
return a value unchanged and with no notes, so the reader is not called; the
provenance checks read runs of digits with `float()` instead of `Decimal`.
Each is compared here with what it stands in for: frictionless' reader of
every text field of the package's real schemas, and `Decimal`. If a
frictionless upgrade changes how its readers treat text, the first test fails
rather than the build silently disagreeing with frictionless.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from frictionless import fields
from hypothesis import given, settings
from hypothesis import strategies as st

from pakafg.records import _passes, text_check
from pakafg.schemas import load_package_spec
from pakafg.validate.provenance import _DIGITS, numbers_in

from conftest import REPO

SPEC = load_package_spec(REPO)
TEXT_FIELDS = [(table.name, f) for table in SPEC.tables.values() for f in table.schema.fields if text_check(f) is not None]
CONSTRAINED = [(t, f) for t, f in TEXT_FIELDS if set(f.constraints) & {"pattern", "enum", "minLength", "maxLength"}]


def candidates(f) -> st.SearchStrategy[str]:
    """Text a contributor might type into field `f`: its enum values, matches of its pattern, near misses, noise."""
    c = f.constraints
    near = st.sampled_from(["", " ", "\n", "NA", "null", "x", "X-1", "a b", "2025-01-01", "é", "-", "a\n", "\u00a0"])
    options = [near, st.text(alphabet="abcxyz-_ 019\n", max_size=40)]
    if c.get("enum"):
        enum = st.sampled_from(c["enum"])
        options += [enum, enum.map(str.upper), enum.map(lambda v: v + "\n"), enum.map(lambda v: " " + v)]
    if c.get("pattern"):
        match = st.from_regex(re.compile(f"^(?:{c['pattern']})$"), fullmatch=True)
        options += [match, match.map(lambda v: v + "\n"), match.map(lambda v: v + "!"), match.map(lambda v: v[:-1])]
    return st.one_of(options)


def test_the_package_has_text_fields_the_fast_path_answers_for():
    """The fast path is in use (so the tests below test something): IDs, enums and patterned codes among them."""
    assert len(TEXT_FIELDS) >= 20
    assert {"pattern", "enum"} <= {name for _, f in CONSTRAINED for name in f.constraints}


@pytest.mark.parametrize(("table", "field"), TEXT_FIELDS, ids=[f"{t}.{f.name}" for t, f in TEXT_FIELDS])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_text_check_agrees_with_frictionless_reader(table, field, data):
    """A value passes the fast check exactly when frictionless' reader returns it unchanged with no notes."""
    reader = field.create_cell_reader()
    check = text_check(field)
    raw = data.draw(candidates(field))
    assert _passes(check, raw) == (reader(raw) == (raw, None)), (table, field.name, raw, reader(raw))


def test_text_check_answers_only_for_plain_text_fields():
    """Formats and other types have readers of their own (URI parsing, numbers, dates): those are always called."""
    assert text_check(fields.StringField(name="u", format="uri")) is None
    assert text_check(fields.StringField(name="e", format="email")) is None
    assert text_check(fields.IntegerField(name="n")) is None
    assert text_check(fields.DateField(name="d")) is None
    assert text_check(fields.StringField(name="s", constraints={"pattern": "[a-z]+", "maxLength": 3})) is not None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.from_regex(r"\d{1,3}(,\d{3}){0,6}(\.\d{1,6})?", fullmatch=True),
                          st.from_regex(r"\d{1,25}", fullmatch=True), st.sampled_from(["\u0661\u0662", "\u0969"]),
                          st.sampled_from(["people", "in", "were", "killed", "since", "the"])), max_size=8))
def test_digits_read_as_decimal_would(words):
    """Digits in a quote without number words give the numbers `Decimal` gives (the general reader's arithmetic)."""
    text = " ".join(words)
    expected = {float(0 + (Decimal(tok.replace(",", "")) or 0)) for tok in _DIGITS.findall(text)}
    assert numbers_in(text) == expected
