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

from ..issues import Issue
from ..records import Collection

FORMULA_START = frozenset("=+-@\t\r")


def check_formula_text(coll: Collection) -> list[Issue]:
    """One `formula-like-text` warning per text value that starts like a spreadsheet formula."""
    issues = []
    for name, table in coll.spec.tables.items():
        texts = [f["name"] for f in table.fields if f.get("type", "string") == "string"]
        for row in coll.rows[name]:
            for field in texts:
                value = row.cells.get(field)
                if value and value[0] in FORMULA_START:
                    line, col = row.where(field)
                    issues.append(Issue(code="formula-like-text", severity="warning", path=row.path, line=line, column=col,
                                        table=name, field=field, record_id=None,
                                        message=f"text starts with {value[0]!r}: a spreadsheet opening the CSV may run it as a formula",
                                        hint="it is published as written; reword it if the sign is not part of the text"))
    return issues
