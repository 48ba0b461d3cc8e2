"""`pakafg explore`: a built release's SQLite in datasette, described by metadata generated from `schemas/`.

`datasette_metadata(spec)` derives everything datasette shows besides the rows:
titles and descriptions of the package, its tables and every column (enum
columns list their codes with their meaning), the data licence, label columns
(what a foreign key shows instead of a raw ID; see export/sqlite_extras.py),
default facets, sortable columns, default sort orders, the full-text indexes
and the saved (canned) queries. Nothing here lists a table's fields: they come
from the Table Schemas, and only presentation choices (which free text is
searched, which foreign keys are worth a facet) are written down below.

`serve(database, spec)` runs datasette on 127.0.0.1 only, the database opened
immutable (a release never changes). datasette is an optional dependency
(`pip install -e ".[explore]"`), imported only here, only when serving.
"""

from __future__ import annotations

from pathlib import Path

from .export import sqlite as sqlite_export
from .export import sqlite_extras
from .issues import PakafgError
from .schemas import DISAGREEMENTS, PackageSpec, TableSpec

HOST = "127.0.0.1"  # never another interface: the explorer is for the person at this machine
DEFAULT_PORT = 8001
INSTALL_HINT = 'pip install -e ".[explore]"'

SETTINGS = {
    "truncate_cells_html": 160,  # long summaries and quotes: the first 160 characters, the rest on the row's page
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,  # the saved queries join claims twice; ample at 100k records
    "facet_time_limit_ms": 500,
    "allow_download": False,  # the release folder already has the files, with checksums
}

# Columns worth a default facet besides the enum columns (foreign keys and outlets: few values, labelled)
FACET_EXTRA = {
    "claims": ("source_id", "claimant_actor_id"),
    "sources": ("publisher",),
    "events": ("place_id",),
    "actors": ("affiliation_actor_id",),
    "citations": ("source_id",),
    "event_actors": ("actor_id",),
}
MAX_FACETS = 5
# Default order of a table: the newest first, so rows without a date come last (SQLite sorts NULL lowest)
SORT_DESC = {"events": "date_start", "sources": "published"}



class DatasetteMissing(PakafgError):
    """datasette is not installed (it is the optional extra `explore`)."""


def _enum_codes(field: dict) -> str:
    codes = field.get("constraints", {}).get("enum")
    if not codes:
        return ""
    meanings = field.get("x-enum-descriptions", {})
    return " Codes: " + "; ".join(f"{c} = {meanings[c]}" if meanings.get(c) else str(c) for c in codes) + "."


def _is_facet(field: dict) -> bool:
    return bool(field.get("constraints", {}).get("enum")) and field["name"] != "status"


def _facets(table: TableSpec) -> list[str]:
    enums = [f["name"] for f in table.fields if _is_facet(f) and not f["name"].endswith("_precision")]
    precision = [f["name"] for f in table.fields if _is_facet(f) and f["name"].endswith("_precision")]
    keys = [n for n in FACET_EXTRA.get(table.name, ()) if n in table.field_names]
    return (enums + keys + precision[:1])[:MAX_FACETS]


def _sortable(table: TableSpec, label: str | None) -> list[str]:
    """Keys, references, codes, dates and numbers, and the label: every column but free text."""
    fk_fields = {name for fk in table.foreign_keys for name in fk["fields"]}
    out = []
    for f in table.fields:
        kind = f.get("type", "string")
        c = f.get("constraints", {})
        if kind != "string" or "enum" in c or "pattern" in c or f["name"] in table.primary_key or f["name"] in fk_fields \
                or f["name"] == label:
            out.append(f["name"])
    if label and label not in out:
        out.append(label)
    return out


def _table_metadata(spec: PackageSpec, table: TableSpec, labels: dict[str, str], fts: dict) -> dict:
    meta: dict = {}
    if table.descriptor.get("title"):
        meta["title"] = table.descriptor["title"]
    if table.descriptor.get("description"):
        meta["description"] = table.descriptor["description"]
    columns = {f["name"]: (f.get("description", "") + _enum_codes(f)).strip() for f in table.fields}
    label = labels.get(table.name)
    if label:
        meta["label_column"] = label
        if label not in columns:
            _, expression = sqlite_extras.label_expression(table)
            columns[label] = (f"Label shown for this row wherever it is referenced: {expression.replace(chr(34), '')} — "
                              "the first that is not null. Generated in the SQLite copy only; not in CSV or Parquet.")
    meta["columns"] = columns
    meta["facets"] = _facets(table)
    meta["sortable_columns"] = _sortable(table, label)
    if table.name in SORT_DESC and SORT_DESC[table.name] in table.field_names:
        meta["sort_desc"] = SORT_DESC[table.name]
    if table.name in fts:
        meta["fts_table"], meta["fts_pk"] = fts[table.name][0], "rowid"
    return meta


def _number(x: str) -> str:
    """SQL: a REAL as text without a trailing .0 when it is whole (800000.0 -> 800000)."""
    return f"(CASE WHEN {x} = CAST({x} AS INTEGER) THEN CAST(CAST({x} AS INTEGER) AS TEXT) ELSE CAST({x} AS TEXT) END)"


def figure_sql(alias: str, unit: str = "unit") -> str:
    """SQL: a numeric claim's figure as a reader writes it ("over 800000 people", "60–70 deaths"); NULL for other claims.

    The number sits in value, value_low or value_high depending on the qualifier
    (schemas/claims.yaml); this reads the right one.
    """
    a = alias
    unit = f"{a}.unit" if unit == "unit" else f"(SELECT unit FROM measures WHERE measure_id = {a}.measure)"
    return (f"CASE WHEN {a}.measure IS NULL THEN NULL ELSE trim("
            f"CASE WHEN {a}.qualifier IS NULL OR {a}.qualifier IN ('exact', 'range') THEN '' "
            f"ELSE replace({a}.qualifier, '_', ' ') || ' ' END || "
            f"CASE WHEN {a}.qualifier = 'range' THEN {_number(f'{a}.value_low')} || '–' || {_number(f'{a}.value_high')} "
            f"ELSE {_number(f'coalesce({a}.value, {a}.value_low, {a}.value_high)')} END || coalesce(' ' || {unit}, '')) END")


def outlet_sql(alias: str) -> str:
    """SQL: who published a source (publisher, else the site that republished it, else its title or ID)."""
    return f"coalesce({alias}.publisher, {alias}.republished_by, {alias}.title, {alias}.source_id)"


def canned_queries(spec: PackageSpec) -> dict[str, dict]:
    """The saved queries: every disagreement side by side, the event timeline, every denial with what it denies."""
    relations = ", ".join(f"'{r}'" for r in DISAGREEMENTS)
    unit = "unit" if "unit" in spec.tables["claims"].field_names else "measures"  # the unit lives in the measures table
    side = []
    for x in ("a", "b"):
        side.append(f"""{x}.claim_id AS {x}_claim, {x}ac.name AS {x}_claimant, {x}.speech_act AS {x}_speech_act,
  {outlet_sql(x + 'src')} AS {x}_outlet, {x}src.published AS {x}_published,
  {figure_sql(x, unit)} AS {x}_figure, {x}.summary AS {x}_summary, {x}.quote AS {x}_quote""")
    disagreements = f"""SELECT l.relation, coalesce(ae.title, be.title) AS event, a.measure,
  {side[0]},
  {side[1]},
  l.note
FROM claim_links AS l
JOIN claims AS a ON a.claim_id = l.claim_id
JOIN claims AS b ON b.claim_id = l.other_claim_id
JOIN actors AS aac ON aac.actor_id = a.claimant_actor_id
JOIN actors AS bac ON bac.actor_id = b.claimant_actor_id
JOIN sources AS asrc ON asrc.source_id = a.source_id
JOIN sources AS bsrc ON bsrc.source_id = b.source_id
LEFT JOIN events AS ae ON ae.event_id = a.event_id
LEFT JOIN events AS be ON be.event_id = b.event_id
WHERE l.relation IN ({relations}) AND a.status = 'active' AND b.status = 'active'
ORDER BY l.relation, a.measure IS NULL, a.measure, l.claim_id, l.other_claim_id"""
    timeline = f"""SELECT e.date_start, e.date_end, e.date_precision, e.date_phrase, e.event_type, e.event_subtype, e.title,
  p.name AS place, parent.title AS part_of,
  (SELECT count(DISTINCT s.source_id) FROM (
     SELECT source_id FROM citations WHERE record_table = 'events' AND record_id = e.event_id
     UNION SELECT source_id FROM claims WHERE event_id = e.event_id AND status = 'active') AS s) AS sources,
  (SELECT count(*) FROM claims AS c WHERE c.event_id = e.event_id AND c.status = 'active') AS claims,
  EXISTS (SELECT 1 FROM claims AS c JOIN claim_links AS l ON c.claim_id IN (l.claim_id, l.other_claim_id)
          WHERE c.event_id = e.event_id AND c.status = 'active' AND l.relation IN ({relations})) AS sources_disagree,
  e.event_id
FROM events AS e
LEFT JOIN places AS p ON p.place_id = e.place_id
LEFT JOIN events AS parent ON parent.event_id = e.parent_event_id
WHERE e.status = 'active'
ORDER BY e.date_start IS NULL, e.date_start, e.date_end IS NULL, e.date_end, e.event_id"""
    denials = f"""SELECT d.claim_id AS denial, dac.name AS denied_by, {outlet_sql('ds')} AS outlet, ds.published,
  d.summary AS denial_summary, d.quote AS denial_quote,
  t.claim_id AS denies_claim, tac.name AS claimant_denied, {outlet_sql('ts')} AS denied_in,
  t.summary AS denied_summary, t.quote AS denied_quote, ev.title AS event, l.note
FROM claims AS d
JOIN actors AS dac ON dac.actor_id = d.claimant_actor_id
JOIN sources AS ds ON ds.source_id = d.source_id
LEFT JOIN claim_links AS l ON l.claim_id = d.claim_id AND l.relation = 'denies'
LEFT JOIN claims AS t ON t.claim_id = l.other_claim_id
LEFT JOIN actors AS tac ON tac.actor_id = t.claimant_actor_id
LEFT JOIN sources AS ts ON ts.source_id = t.source_id
LEFT JOIN events AS ev ON ev.event_id = coalesce(d.event_id, t.event_id)
WHERE d.status = 'active' AND (d.speech_act = 'denies' OR l.claim_id IS NOT NULL)
ORDER BY d.claim_id, t.claim_id"""
    return {
        "disagreements": {
            "title": "Every disagreement between sources, side by side",
            "description": ("Each pair of claims linked as contradicts (both cannot be true), differs (figures or dates "
                            "that differ but may both hold) or denies, with who says what, in which outlet, the figure "
                            "as stated (the qualifier read: 'over 800000 people') and the quotes. Live claims only."),
            "sql": disagreements,
        },
        "timeline": {
            "title": "Event timeline",
            "description": ("Every live event in date order, with its date precision and the phrase the date was read "
                            "from; events no source dates come last. A month- or year-precise date is the first day of "
                            "that month or year. sources = how many sources cite or make claims about it; "
                            "sources_disagree = 1 when a claim about it is contradicted, differed from or denied."),
            "sql": timeline,
        },
        "denials": {
            "title": "Every denial, with what it denies",
            "description": ("Each claim whose speech act is 'denies' or that is linked to another claim as a denial, "
                            "with the claim it denies (empty when the denied statement is not itself in the data)."),
            "sql": denials,
        },
    }


def datasette_metadata(spec: PackageSpec, version: str | None = None) -> dict:
    """Datasette metadata (the `metadata.json` format of datasette 0.6x) for the release SQLite of `spec`."""
    meta = spec.metadata
    version = version or spec.version
    database = Path(sqlite_export.file_name(spec)).stem
    labels = sqlite_extras.label_columns(spec)
    fts = sqlite_extras.fts_tables(spec)
    title = f"{meta.get('title') or spec.name} — {version}"
    description = " ".join(str(meta.get("description") or "").split())
    instance: dict = {"title": title, "description": description}
    licences = meta.get("licenses") or []
    if licences:
        instance["license"] = licences[0].get("title") or licences[0].get("name")
        if licences[0].get("path"):
            instance["license_url"] = licences[0]["path"]
    instance["source"] = "Archived news sources, one row each in the sources table"
    instance["source_url"] = f"/{database}/sources"
    if meta.get("homepage"):
        instance["about"], instance["about_url"] = spec.name, meta["homepage"]
    tables = {name: _table_metadata(spec, table, labels, fts) for name, table in spec.tables.items()}
    for table, (fts_name, _) in fts.items():
        tables[fts_name] = {"hidden": True}
    instance["databases"] = {
        database: {
            "title": title,
            "description": (f"{description} Full-text search: the search box of claims (summary, quote) and "
                            "events (title, summary). Saved queries below."),
            **{k: v for k, v in instance.items() if k in ("license", "license_url", "source", "source_url")},
            "tables": tables,
            "queries": canned_queries(spec),
        }
    }
    return instance


def release_database(root: Path, spec: PackageSpec, version: str | None = None, build_dir: Path | None = None) -> Path:
    """The SQLite file of release `version` under `<root>/build` (default: the development build, else the version in datapackage.yaml)."""
    build_dir = build_dir or root / "build"
    version = version or ("dev" if (build_dir / "dev" / sqlite_export.file_name(spec)).is_file() else spec.version)
    path = build_dir / version / sqlite_export.file_name(spec)
    if not path.is_file():
        built = sorted(p.parent.name for p in build_dir.glob(f"*/{sqlite_export.file_name(spec)}")) if build_dir.is_dir() else []
        hint = f"built: {', '.join(built)}" if built else "nothing is built yet"
        raise PakafgError(f"no release database at {path} ({hint}); run `pakafg build` first, or pass --version")
    return path


def make_datasette(database: Path, spec: PackageSpec, version: str | None = None):
    """A `datasette.app.Datasette` serving `database` (immutable) with the generated metadata and SETTINGS."""
    try:
        from datasette.app import Datasette
    except ImportError as exc:
        raise DatasetteMissing(f"datasette is not installed ({exc}); install the explorer with: {INSTALL_HINT}") from None
    return Datasette(immutables=[str(database)], metadata=datasette_metadata(spec, version), settings=dict(SETTINGS))


def serve(database: Path, spec: PackageSpec, port: int = DEFAULT_PORT, version: str | None = None, echo=print) -> None:
    """Serve `database` on http://127.0.0.1:<port>/ until interrupted (datasette's own server, uvicorn)."""
    ds = make_datasette(database, spec, version)
    import asyncio

    import uvicorn  # a dependency of datasette

    asyncio.run(ds.invoke_startup())
    echo(f"serving {database} at http://{HOST}:{port}/{Path(database).stem} (Ctrl-C stops)")
    uvicorn.run(ds.app(), host=HOST, port=port, log_level="warning", lifespan="on", workers=1)
