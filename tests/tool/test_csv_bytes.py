"""The CSV files' exact bytes: those of Python's csv.writer plus the carriage-return rule.

Released CSV bytes are frozen (a released version must rebuild byte for byte),
so the writer is pinned here on the values that could tell two writers apart,
and checked against a plain csv.writer rendering of the same rules on random
tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pakafg.export import csv as csv_export

TRICKY = pa.table({
    "text": ["plain", "a,b", 'say "hi"', "two\nlines", " lead", "trail ", "", None, "lone\rcr", "crlf\r\nend", "x", "=1+2"],
    "count": pa.array([1, -2, None, 0, 10**18, 3, 4, 5, 6, None, 7, 8], pa.int64()),
    "value": [2.5, 1e20, 3.0, None, -0.0, 1e15, 1e16, 0.1, 1.5e-7, 123456789012.0, float("inf"), -7.25],
    "day": pa.array([dt.date(2025, 3, 1), None, dt.date(1, 1, 1), dt.date(9999, 12, 31)] + [dt.date(2024, 2, 29)] * 6 + [None, None],
                    pa.date32()),
    "flag": [True, False, None, True, False, True, False, None, True, None, False, True],
    "note": ["", None, 'q"', "n,", "ok", None, "", "a", None, "", "b\rc", None],
})

TRICKY_CSV = (
    "text,count,value,day,flag,note\n"
    "plain,1,2.5,2025-03-01,true,\n"
    '"a,b",-2,1e+20,,false,\n'
    '"say ""hi""",,3,0001-01-01,,"q"""\n'
    '"two\nlines",0,,9999-12-31,true,"n,"\n'
    " lead,1000000000000000000,0,2024-02-29,false,ok\n"
    "trail ,3,1000000000000000.0,2024-02-29,true,\n"
    ",4,1e+16,2024-02-29,false,\n"
    ",5,0.1,2024-02-29,,a\n"
    '"lone\rcr",6,"1.5e-07","2024-02-29","true",""\n'  # a lone \r: every cell but integers quoted, null as ""
    '"crlf\r\nend","","123456789012","2024-02-29","",""\n'
    '"x",7,"inf","","false","b\rc"\n'
    "=1+2,8,-7.25,,true,\n"
)


def _written(table: pa.Table, tmp_path) -> str:
    return csv_export.write("t", table, tmp_path).read_bytes().decode("utf-8")


def test_tricky_values_are_written_byte_for_byte(tmp_path):
    assert _written(TRICKY, tmp_path) == TRICKY_CSV


def test_a_one_column_row_that_is_empty_is_quoted(tmp_path):
    table = pa.table({"only": ["a", "", None, "b,c", "x\ry"]})
    assert _written(table, tmp_path) == 'only\na\n""\n""\n"b,c"\n"x\ry"\n'


def test_rows_split_into_batches_give_the_same_file(tmp_path, monkeypatch):
    table = pa.concat_tables([TRICKY, TRICKY.slice(3), TRICKY.slice(0, 5)])
    whole = _written(table, tmp_path)
    monkeypatch.setattr(csv_export, "BATCH_ROWS", 4)
    assert _written(table, tmp_path) == whole == _reference(table)


def _reference(table: pa.Table) -> str:
    """The rules with csv.writer, cell by cell: minimal quoting; a row whose text holds "\\r" quotes every non-integer."""
    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n")
    every = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    plain.writerow(table.column_names)
    for row in table.to_pylist():
        cells = [v if v is None or isinstance(v, int) and not isinstance(v, bool) else csv_export.format_cell(v) for v in row.values()]
        has_cr = any(isinstance(v, str) and "\r" in v for v in row.values())
        (every if has_cr else plain).writerow(cells)
    return out.getvalue()


TEXT = st.text(st.sampled_from('ab ,"\n\r\t\\\x85\u2028ü😀'), max_size=6)
COLUMNS = st.sampled_from([
    (pa.string(), TEXT), (pa.int64(), st.integers(-(2**63), 2**63 - 1)), (pa.bool_(), st.booleans()),
    (pa.float64(), st.floats() | st.integers(-(2**60), 2**60).map(float)), (pa.date32(), st.dates()),
])


@st.composite
def tables(draw):
    columns = draw(st.lists(COLUMNS, min_size=1, max_size=4))
    rows = draw(st.integers(0, 12))
    return pa.table({f"c{i}": pa.array(draw(st.lists(st.none() | values, min_size=rows, max_size=rows)), kind)
                     for i, (kind, values) in enumerate(columns)})


@settings(max_examples=150, deadline=None)
@given(table=tables())
def test_any_table_is_written_as_csv_writer_writes_it(table, tmp_path_factory):
    assert _written(table, tmp_path_factory.mktemp("csv")) == _reference(table)
