"""Text a spreadsheet would run as a formula: reported, never altered.

A CSV cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return,
which some programs strip first) is evaluated as a formula when the file is
opened in Excel, LibreOffice or Google Sheets ("CSV injection"). The release
keeps every value exactly as the source wrote it — quotes must match the
archived text byte for byte, and a prefixed `'` would corrupt the data for
every other consumer — so `pakafg validate` warns instead, and the README
tells consumers how to open the CSV files as text. See README "Limits and safety".
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow.compute as pc

from ..issues import Issue
from .types import TypedTable

FORMULA_START = "=+-@\t\r"  # what a spreadsheet may take as the start of a formula
_STARTS_LIKE_A_FORMULA = "^[" + re.escape(FORMULA_START) + "]"


def check_formula_text(table: TypedTable) -> list[Issue]:
    """One `formula-like-text` warning per text value that starts like a spreadsheet formula."""
    issues = []
    for name in table.spec.field_names:
        if table.spec.type_of(name) != "string":
            continue
        starts = pc.match_substring_regex(table.data.column(name), _STARTS_LIKE_A_FORMULA)
        for row in np.flatnonzero(pc.fill_null(starts, False).to_numpy(zero_copy_only=False)):
            row, value = int(row), table.column_value(name, int(row))
            issues.append(table.issue(row, name, "formula-like-text",
                                      f"text starts with {value[0]!r}: a spreadsheet opening the CSV may run it as a formula",
                                      "it is published as written; reword it if the sign is not part of the text", severity="warning"))
    return issues
