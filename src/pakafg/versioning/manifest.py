"""Frozen releases: `releases/<version>.json`, tracked in git, so it travels with every clone (tags may not).

A manifest records a release's `created` date, the commit it was cut from, the
library versions, `content_sha256` (the descriptor without `pakafg:files`:
metadata, schemas and the sha256 of every CSV — the data) and the sha256 of
every file. The newest manifest is the base of `pakafg diff` and
`pakafg release`; a build whose data equals a release's is that release,
any other build is a development build (`build.py`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..export.datapackage import FILE_NAME as DESCRIPTOR_FILE
from ..export.datapackage import sha256_file
from ..issues import PakafgError
from ..schemas import RELEASES_DIR
from .versions import parse_version



def manifest_path(root: Path, version: str) -> Path:
    return Path(root) / RELEASES_DIR / f"{version}.json"


def read_manifest(root: Path, version: str) -> dict | None:
    path = manifest_path(root, version)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PakafgError(f"{path}: unreadable release manifest: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != version or not isinstance(data.get("files"), dict):
        raise PakafgError(f"{path}: not a release manifest for version {version}")
    return data


def released_versions(root: Path) -> list[str]:
    """Every released version (a manifest in releases/), oldest first."""
    folder = Path(root) / RELEASES_DIR
    versions = []
    for p in folder.glob("*.json") if folder.is_dir() else []:
        try:
            parse_version(p.stem)
        except PakafgError:
            continue
        versions.append(p.stem)
    return sorted(versions, key=parse_version)


def latest_release(root: Path) -> dict | None:
    """The manifest of the newest release, or None before the first."""
    versions = released_versions(root)
    return read_manifest(root, versions[-1]) if versions else None


def content_sha256(descriptor: dict) -> str:
    """sha256 of a descriptor without `pakafg:files`: metadata, schemas and CSV hashes — the data.

    Parquet and SQLite bytes also depend on the library versions that wrote
    them, so they are compared separately (`library_differences`).
    """
    desc = {k: v for k, v in descriptor.items() if k != "pakafg:files"}
    canon = json.dumps(desc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def file_hashes(release_dir: Path, known: dict[str, str] | None = None) -> dict[str, dict]:
    """Size and sha256 of every file of a release folder; digests in `known` (relative path -> hex) are not computed again."""
    known = known or {}
    return {rel: {"bytes": p.stat().st_size, "sha256": known.get(rel) or sha256_file(p)}
            for p in sorted(release_dir.rglob("*")) if p.is_file() for rel in [p.relative_to(release_dir).as_posix()]}


def tool_versions() -> dict[str, str]:
    import sqlite3

    import pyarrow

    from .. import __version__

    return {"pakafg": __version__, "pyarrow": pyarrow.__version__, "sqlite": sqlite3.sqlite_version}


def library_differences(manifest: dict, release_dir: Path, hashes: dict[str, str] | None = None) -> list[str]:
    """A note when a rebuilt release holds the released data but some files differ byte-wise (other pyarrow or SQLite).

    `hashes`: the digests the build already computed (relative path -> hex)."""
    files = file_hashes(release_dir, hashes)
    differ = sorted(p for p in set(files) | set(manifest["files"])
                    if files.get(p, {}).get("sha256") != manifest["files"].get(p, {}).get("sha256"))
    if not differ:
        return []
    tools = ", ".join(f"{k} {v}" for k, v in sorted(manifest.get("tools", {}).items()))
    here = ", ".join(f"{k} {v}" for k, v in sorted(tool_versions().items()))
    return [f"version {manifest['version']} is released; the data is identical but {', '.join(differ)} differ byte-wise "
            f"(library versions at release: {tools}; here: {here})"]


def write_manifest(root: Path, version: str, release_dir: Path, commit: str | None) -> Path:
    desc = json.loads((release_dir / DESCRIPTOR_FILE).read_text(encoding="utf-8"))
    manifest = {
        "name": desc.get("name"),
        "version": version,
        "created": desc.get("created"),
        "commit": commit,
        "tools": tool_versions(),
        "content_sha256": content_sha256(desc),
        "files": file_hashes(release_dir),
    }
    path = manifest_path(root, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
    return path
