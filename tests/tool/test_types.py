"""Columnar typing agrees with frictionless: every value it accepts, frictionless' own field reader reads the same.

It is stricter on purpose in a few places (thousands separators, NaN/Infinity,
non-ASCII digits, unpadded dates, a pattern matching only before a trailing
newline); those are listed here so the difference is deliberate and visible.
"""

from __future__ import annotations

import datetime as dt
import functools

import pyarrow as pa
import pytest
from frictionless import Field
from hypothesis import given, settings
from hypothesis import strategies as st

from pakafg.check.types import _parse

from conftest import REPO

TEXT = st.one_of(
    st.text(alphabet="0123456789+-.eE,_ :/TZaN", max_size=12),
    st.sampled_from(["1e3", "1E+3", ".5", "5.", "-0", "+7", "0012", "2025-02-28", "2024-02-29", "2023-02-29", "2025-3-1",
                     "NaN", "nan", "Infinity", "-inf", "1,000", "1_000", " 5", "5 ", "٣", "１２", "true", "True", "TRUE",
                     "1", "0", "yes", "false", "99999999999999999999", "9223372036854775807", "-9223372036854775808",
                     "9223372036854775808", "1e400", "2025-02-29T00:00:00"]),
    st.text(max_size=8),
)


def _ours(kind: str, values: list[str]) -> list:
    typed, failed = _parse(kind, pa.array(values, pa.string()))
    return [None if bad else value for value, bad in zip(typed.to_pylist(), failed.to_pylist())]


@functools.cache
def _reader(kind: str):
    return Field.from_descriptor({"name": "x", "type": kind}).create_cell_reader()


def _frictionless(kind: str, value: str):
    cell, notes = _reader(kind)(value)
    return None if notes else cell


@settings(max_examples=120, deadline=None)
@given(values=st.lists(TEXT, min_size=1, max_size=20))
@pytest.mark.parametrize("kind", ["number", "integer", "date", "boolean"])
def test_what_we_accept_frictionless_reads_the_same(kind, values):
    for value, ours in zip(values, _ours(kind, values)):
        if ours is None:
            continue  # refused here; frictionless may be more lenient (see the module docstring)
        theirs = _frictionless(kind, value)
        assert theirs is not None, (kind, value, ours)
        if kind == "number":
            assert float(theirs) == ours, value
        elif kind == "date":
            assert isinstance(ours, dt.date) and theirs == ours, value
        else:
            assert theirs == ours, value


@pytest.mark.parametrize("kind,value", [("number", "1,000"), ("number", "NaN"), ("number", "Infinity"), ("number", "٣"),
                                        ("number", "1e400"), ("integer", "١٢"), ("integer", "9223372036854775808"),
                                        ("date", "2025-3-1"), ("date", "2025-02-30"), ("date", "２０２５-01-01")])
def test_spellings_refused_on_purpose(kind, value):
    assert _ours(kind, [value]) == [None]


def test_a_pattern_must_match_the_whole_value_not_up_to_a_trailing_newline(package):
    from pakafg import validate

    path = package / "tables/claims/fp.yaml"  # grouped records: no file name to compare the ID with
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- claim_id: fp-hijacking-deaths", '- claim_id: "fp-hijacking-deaths\\n"'), encoding="utf-8")
    issues = validate(package).report.issues
    assert any(i.code == "pattern" and i.field == "claim_id" for i in issues), [i.format() for i in issues]


def test_every_field_type_of_the_schemas_has_a_reader():
    from pakafg.schemas import load_package_spec

    kinds = {f.get("type", "string") for t in load_package_spec(REPO).tables.values() for f in t.fields}
    for kind in kinds:
        _parse(kind, pa.array(["x"], pa.string()))
