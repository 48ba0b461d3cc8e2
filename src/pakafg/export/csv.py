"""CSV: UTF-8, LF line endings, minimal quoting, empty cell = null.

Values are written exactly as stored (no spreadsheet-formula escaping); see the
README "Formula injection policy".

The bytes are those of Python's `csv.writer` (minimal quoting, `\\n` line ends)
with one addition: a row in which some text holds a carriage return is written
with every non-integer cell quoted (`csv.QUOTE_NONNUMERIC`, a null as `""`),
because readers take a lone `\\r` as a line break. The rows are built with
Arrow compute kernels, a column at a time, instead of one Python call per
cell (a sixth of the CPU time); tests/test_csv_bytes.py holds the two to the
same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FOLDER = "csv"
FORMAT = "csv"
MEDIATYPE = "text/csv"
BATCH_ROWS = 65536  # rows turned into text at once: bounds the memory a large table needs while it is written

_NEEDS_QUOTES = b',"\n'  # what makes csv.writer quote a cell: the delimiter, the quote, the line terminator
_TEXT = pa.large_string()  # every cell is made this type (64-bit offsets: no size limit per batch)
_QUOTE, _EMPTY, _EMPTY_QUOTED, _LF = (pa.scalar(s, _TEXT) for s in ('"', "", '""', "\n"))


def format_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _is_plain(kind: pa.DataType) -> bool:
    """Types whose text never needs quoting (digits, signs, dashes, letters)."""
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_date32(kind) or pa.types.is_boolean(kind)


def _float_text(column: pa.Array) -> pa.Array:
    """`format_cell` of floats: a whole number below 1e15 as its integer (Arrow's cast), anything else `repr`."""
    column = column.cast(pa.float64())  # exact, as to_pylist() would give
    whole = pc.and_(pc.equal(pc.floor(column), column), pc.less(pc.abs(column), 1e15))  # NaN and inf are not
    text = pc.cast(pc.cast(pc.if_else(whole, column, pa.scalar(None, pa.float64())), pa.int64()), _TEXT)
    if (pc.sum(whole).as_py() or 0) == len(column) - column.null_count:
        return text
    rest = pc.if_else(whole, pa.scalar(None, pa.float64()), column).to_pylist()
    return pc.coalesce(text, pa.array([None if v is None else repr(v) for v in rest], _TEXT))


def _text(column: pa.Array) -> pa.Array:
    """A column as `format_cell`'s text, nulls kept (Arrow's casts where they give the same text)."""
    kind = column.type
    if _is_text(kind) or pa.types.is_integer(kind) or pa.types.is_date32(kind) or pa.types.is_boolean(kind):
        return pc.cast(column, _TEXT)  # str(int), date.isoformat(), true/false
    if pa.types.is_floating(kind):
        return _float_text(column)
    return pa.array([None if v is None else format_cell(v) for v in column.to_pylist()], _TEXT)


def _rows_holding(text: pa.Array, chars: bytes) -> pa.Array | None:
    """Which rows hold any of the ASCII `chars` (None if none does): one byte scan of the column's UTF-8 data."""
    data = text.buffers()[2]
    if data is None:
        return None
    offsets = np.frombuffer(text.buffers()[1], np.int64)[text.offset:text.offset + len(text) + 1]
    scanned = np.frombuffer(data, np.uint8)[offsets[0]:offsets[-1]]
    hit = scanned == chars[0]
    for char in chars[1:]:
        hit |= scanned == char
    at = np.flatnonzero(hit) + offsets[0]  # ASCII bytes never occur inside a multi-byte UTF-8 character
    if not len(at):
        return None
    rows = pa.array(np.searchsorted(at, offsets[1:]) > np.searchsorted(at, offsets[:-1]))
    return pc.and_(rows, text.is_valid()) if text.null_count else rows


def _quoted(text: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(_QUOTE, pc.replace_substring(text, '"', '""'), _QUOTE, _EMPTY)


def _cells(column: pa.Array, text: pa.Array, cr_rows: pa.Array | None) -> pa.Array:
    """One column's cells as written: quoted where csv.writer would, every non-integer in a carriage-return row."""
    cells = text
    if not _is_plain(column.type):
        needs = _rows_holding(text, _NEEDS_QUOTES)
        if needs is not None:
            cells = pc.if_else(needs, _quoted(text), text)
    cells = cells.fill_null(_EMPTY)
    if cr_rows is None:
        return cells
    if pa.types.is_integer(column.type):
        every = text.fill_null(_EMPTY_QUOTED)  # QUOTE_NONNUMERIC: a number stays bare, a null is quoted
    else:
        every = _quoted(text.fill_null(_EMPTY))
    return pc.if_else(cr_rows, every, cells)


def _lines(batch: pa.RecordBatch) -> pa.Array:
    """One string per row, "\\n" included, whose concatenation is the batch's part of the file."""
    texts = [_text(column) for column in batch.columns]
    cr_rows = None  # rows where some text holds "\\r" (usually none)
    for column, text in zip(batch.columns, texts):
        found = _rows_holding(text, b"\r") if _is_text(column.type) else None
        if found is not None:
            cr_rows = found if cr_rows is None else pc.or_(cr_rows, found)
    cells = [_cells(column, text, cr_rows) for column, text in zip(batch.columns, texts)]
    if len(cells) == 1:  # csv.writer quotes a row whose only cell is empty, lest it read as no row at all
        cells[0] = pc.if_else(pc.equal(cells[0], _EMPTY), _EMPTY_QUOTED, cells[0])
    cells[-1] = pc.binary_join_element_wise(cells[-1], _LF, _EMPTY)
    return pc.binary_join_element_wise(*cells, pa.scalar(",", _TEXT)) if len(cells) > 1 else cells[0]


def _write_lines(fh, lines: pa.Array) -> None:
    """Write the UTF-8 bytes of `lines` back to back, straight from the array's data buffer."""
    offsets = memoryview(lines.buffers()[1]).cast("q")  # int64 (large_string), in the machine's byte order as Arrow keeps it
    start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
    fh.write(memoryview(lines.buffers()[2])[start:end])


def _header(table: pa.Table) -> bytes:
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(table.column_names)
    return header.getvalue().encode("utf-8")


def write(name: str, table: pa.Table, out: Path) -> Path:
    """Write one table: the header with csv.writer, then the rows a batch at a time."""
    path = out / FOLDER / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(_header(table))
        if table.num_columns:
            for batch in table.to_batches(max_chunksize=BATCH_ROWS):
                if batch.num_rows:
                    _write_lines(fh, _lines(batch))
    return path
