"""The codebook that travels with the data: `README.md`, `LICENSE-DATA.md` and `CITATION.cff` in every release.

`README.md` is generated from `datapackage.yaml` and `schemas/` (the same
renderer as the data dictionary, `dictionary.table_markdown`): what the package
is, its version, the files, every table (derived ones marked), every field with
its type and description, every code with its meaning, the coding rules (the
"Coding rules" section of docs/records.md), how to cite and the licences.
`LICENSE-DATA.md` is the repository's, byte for byte; `CITATION.cff` the
repository's with this build's version and date (or one made from the package
metadata when the repository has none). Same inputs, same bytes: nothing reads
the clock, and every list is in a fixed order.

Charts: `render_readme` shows every `charts/<name>.svg` among the release files
it is given (with a link to `charts/<name>.png` when there is one), so an
exporter that writes charts before the codebook gets them into the README.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from ..dictionary import table_markdown, types_markdown
from ..schemas import CHANGELOG_FILE, CITATION_FILE, LICENSE_FILE, RULES_DOC, PackageSpec
from .charts import FOLDER as CHARTS_DIR

README_FILE = "README.md"
CODING_RULES_FILE = "CODING-RULES.md"  # RULES_DOC as shipped; the README lists its rules
FORMATS = {README_FILE: ("md", "text/markdown"), LICENSE_FILE: ("md", "text/markdown"), CODING_RULES_FILE: ("md", "text/markdown"),
           CITATION_FILE: ("cff", "application/yaml")}


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def with_version(citation: str, version: str, created: str | None) -> str:
    """A CITATION.cff text with its `version` and `date-released` set (the date dropped when `created` is None)."""
    out = []
    for line in citation.replace("\r\n", "\n").split("\n"):
        if line.startswith("date-released:"):
            continue
        out.append(f"version: {version}" if line.startswith("version:") else line)
        if line.startswith("version:") and created:
            out.append(f'date-released: "{created[:10]}"')
    return "\n".join(out).rstrip("\n") + "\n"


def citation_text(spec: PackageSpec, version: str, created: str | None) -> str:
    """CITATION.cff for this build: the repository's with `version` and `date-released` set, else one from the metadata."""
    date = created[:10] if created else None
    text = _read(spec.root / CITATION_FILE)
    if text is not None and re.search(r"(?m)^version:", text):
        return with_version(text, version, created)
    meta = spec.metadata
    lines = ["cff-version: 1.2.0", 'message: "If you use this data package, please cite it as below (give the version you used)."',
             "type: dataset", f"title: {_yaml_text(meta.get('title') or spec.name)}", "authors:"]
    lines += [f"  - name: {_yaml_text(c.get('title', ''))}" for c in meta.get("contributors") or [{"title": spec.name}]]
    lines.append(f"version: {version}")
    if date:
        lines.append(f'date-released: "{date}"')
    licenses = meta.get("licenses") or []
    if licenses:
        lines.append(f"license: {_yaml_text(licenses[0].get('name', ''))}")
    if meta.get("homepage"):
        lines.append(f"url: {_yaml_text(meta['homepage'])}")
    return "\n".join(lines) + "\n"


def _yaml_text(value) -> str:
    """A YAML double-quoted scalar."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cite_line(spec: PackageSpec, version: str, created: str | None) -> str:
    meta = spec.metadata
    authors = ", ".join(c.get("title", "") for c in meta.get("contributors") or []) or spec.name
    year = f" ({created[:4]})" if created else ""
    where = f" {meta['homepage']}" if meta.get("homepage") else ""
    return f"{authors}{year}. *{meta.get('title') or spec.name}* (version {version}) [Data set].{where}"


def _rules(root: Path) -> list[str]:
    """One line per rule of the coding rules (the `## ` headings of docs/coding-rules.md), linking into its copy."""
    text = _read(root / RULES_DOC)
    if text is None:
        return []
    titles = [line[3:].strip() for line in text.replace("\r\n", "\n").split("\n") if line.startswith("## ")]
    return [f"- {title}" for title in titles]


def _kind(spec) -> str:
    if spec.is_derived:
        return "**derived**"
    return "list in records" if spec.is_child else "records"


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_readme(spec: PackageSpec, tables: dict[str, pa.Table], version: str, created: str | None, files: list[str]) -> str:
    """The release's README.md. `files`: the paths (relative to the release) already written, sorted, for the file
    list and the charts."""
    meta = spec.metadata
    title = meta.get("title") or spec.name
    sqlite_files = [f for f in files if f.endswith(".sqlite")]
    charts = [f for f in files if f.startswith(f"{CHARTS_DIR}/") and f.endswith(".svg")]
    has = set(files)
    out = [f"# {title}", "",
           "<!-- Generated by `pakafg build` from datapackage.yaml and schemas/; do not edit. -->", "",
           f"Release **{version}** of `{spec.name}`" + (f", built {created[:10]}" if created else "") + ".", ""]
    if meta.get("description"):
        out += [_cell(meta["description"]), ""]
    out += ["This folder is the whole release: every table as CSV, Parquet and SQLite, the Data Package descriptor, "
            "checksums and this codebook. Every field, code and rule below is generated from the package's Table "
            "Schemas, the same files the build validates the records against.", "",
            "Contents: [Files](#files) · [Tables](#tables) · " + ("[Charts](#charts) · " if charts else "")
            + "[Fields and codes](#fields-and-codes) · [Coding rules](#coding-rules) · [How to cite](#how-to-cite) · "
              "[Licences](#licences)", "",
            "## Files", "", "| path | what it holds |", "|---|---|",
            "| `datapackage.json` | Data Package (v2) descriptor: metadata, each table's schema with every code's meaning "
            "(`categories`), size and sha256 of every file (`pakafg:files`) |",
            "| `SHA256SUMS` | sha256 of every file; check a download with `sha256sum -c SHA256SUMS` |",
            "| `csv/<table>.csv` | one file per table: UTF-8, LF, a header row, an empty cell is a null |",
            "| `parquet/<table>.parquet` | the same tables, typed: dates are dates, integers integers, nulls nulls |"]
    out += [f"| `{name}` | every table in one SQLite database, with types, keys and foreign keys |" for name in sqlite_files]
    out += [f"| `{README_FILE}` | this codebook |"]
    if LICENSE_FILE in has or (spec.root / LICENSE_FILE).is_file():
        out.append(f"| `{LICENSE_FILE}` | the terms of use of the data, the quotes and the archived texts |")
    out.append(f"| `{CITATION_FILE}` | how to cite this version (Citation File Format) |")
    if CHANGELOG_FILE in has:
        out.append("| `CHANGELOG.md` | what changed since the previous release, by record ID |")
    if charts:
        out.append(f"| `{CHARTS_DIR}/` | charts drawn from the tables (SVG and PNG) |")
    out += ["", "## Tables", "",
            "Record tables hold the hand-coded records (lists inside a record, such as an event's participants, become "
            "tables of their own). **Derived** tables are computed by the build from the record tables, never edited by "
            "hand; each one's description says from which tables and how.", "",
            "| table | kind | rows | title |", "|---|---|---:|---|"]
    for table in spec.tables.values():
        rows = tables[table.name].num_rows if table.name in tables else 0
        out.append(f"| [`{table.name}`](#{table.name}) | {_kind(table)} | {rows:,} | {_cell(table.descriptor.get('title', ''))} |")
    out.append("")
    if charts:
        out += ["## Charts", ""]
        for chart in charts:
            stem = chart[len(CHARTS_DIR) + 1:-len(".svg")]
            png = f"{CHARTS_DIR}/{stem}.png"
            out += [f"![{stem.replace('_', ' ').replace('-', ' ')}]({chart})", ""]
            if png in has:
                out += [f"([PNG]({png}))", ""]
    out += ["## Fields and codes", "",
            "Empty CSV cells are nulls. Dates are `YYYY-MM-DD`; a date known only to the month or year is stored as the "
            "first day of that period and its precision field says so. Each field's type in each format:", ""]
    out += types_markdown(spec) + [""]
    for table in spec.tables.values():
        section = table_markdown(spec, table, level=3)
        if table.is_derived:
            section = [section[0], "", "**Derived table**: computed by `pakafg build`, never edited by hand.", *section[1:]]
        out += section
    out += ["## Coding rules", ""]
    rules = _rules(spec.root)
    out += rules if rules else ["Every event and claim rests on a verbatim quote from an archived source; dates and "
                                "numbers keep the precision and qualifier the source gives; disagreements are kept as "
                                "separate claims linked in claim_links."]
    out += ["", f"Every rule in full, with the checks that enforce it: [`{CODING_RULES_FILE}`]({CODING_RULES_FILE}).", "",
            "## How to cite", "",
            "Cite the version you used:", "", f"> {_cite_line(spec, version, created)}", "",
            f"The same in machine-readable form is in [`{CITATION_FILE}`]({CITATION_FILE}).", "",
            "## Licences", ""]
    for lic in meta.get("licenses") or []:
        link = f" ({lic['path']})" if lic.get("path") else ""
        out.append(f"- **{lic.get('name', '')}**: {_cell(lic.get('title', ''))}{link}")
    if LICENSE_FILE in has or (spec.root / LICENSE_FILE).is_file():
        out += ["", f"Quotes are short excerpts whose copyright stays with their publishers; the archived full texts are "
                    f"not part of the release. The terms in full: [`{LICENSE_FILE}`]({LICENSE_FILE})."]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def write(spec: PackageSpec, tables: dict[str, pa.Table], out: Path, edition) -> list[Path]:
    """Write the codebook files into the release folder `out`; return their paths (README last, it lists the others).

    `edition` (export.Edition) gives the version and date the files name.
    """
    written = []
    for name, target in ((LICENSE_FILE, LICENSE_FILE), (RULES_DOC, CODING_RULES_FILE)):
        source = spec.root / name
        if source.is_file():
            path = out / target
            path.write_bytes(source.read_bytes())
            written.append(path)
    path = out / CITATION_FILE
    path.write_bytes(citation_text(spec, edition.version, edition.created).encode("utf-8"))
    written.append(path)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    path = out / README_FILE
    path.write_bytes(render_readme(spec, tables, edition.version, edition.created, files).encode("utf-8"))
    written.append(path)
    return written


def file_format(path: Path) -> tuple[str, str]:
    """(format, mediatype) of a codebook file, as `datapackage.json` lists it."""
    return FORMATS[path.name]
