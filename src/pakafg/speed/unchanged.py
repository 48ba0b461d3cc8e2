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

When the full build runs, it says why (`pakafg build -v`): no earlier build,
which input changed (the stat keys of the last build's inputs are kept beside
its record, read only then), or which published file was touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path

from ..schemas import BUILD_INPUTS, PACKAGE_FILE, SCHEMA_DIR, PackageSpec
from .cache import CACHE_DIR, RACY_SECONDS, keep, kept, stat_key

STATE_FILE = "last-build.json"
INPUTS_FILE = "last-build-inputs.json"  # path -> stat key of each input: read only to say what changed


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
            if entry.name != "__pycache__":  # bytecode any command may write: not an input
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
    names = [PACKAGE_FILE, SCHEMA_DIR, *BUILD_INPUTS, *sorted({t.directory for t in spec.record_tables()})]
    for name in names:
        _walk(os.path.join(root, name), found)
    _walk(str(Path(__file__).resolve().parent.parent), found)
    return sorted(found, key=lambda item: item[0])


def _libraries() -> list[str]:
    """The libraries pakafg depends on (pyproject's dependencies, extras left out): a new version may change a build."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        wanted = requires("pakafg") or []
    except PackageNotFoundError:  # running from a source tree that is not installed
        wanted = []
    return sorted(re.match(r"[A-Za-z0-9._-]+", r).group(0) for r in wanted if "extra ==" not in r)


class Inputs:
    """What a build reads, now: one digest of it all, and each file's stat key."""

    def __init__(self, spec: PackageSpec, created: str | None):
        from importlib.metadata import version

        from .. import __version__

        h = hashlib.sha256(f"{__version__}; {sys.version}; created {created}; {os.environ.get('PAKAFG_JOBS')}".encode())
        for package in _libraries():
            h.update(f"{package} {version(package)}\0".encode())
        racy = time.time_ns() - int(RACY_SECONDS * 1e9)
        self.keys: dict[str, list[int]] = {}
        self.racy: str | None = None  # a file modified too recently to trust its stat key
        for path, st in _inputs(spec):
            if st.st_mtime_ns > racy and self.racy is None:
                self.racy = path
            self.keys[path] = list(stat_key(st))
            h.update(f"{path}\0{stat_key(st)}\0".encode())
        self.digest = None if self.racy else h.hexdigest()

    def changes_since(self, earlier: dict[str, list[int]]) -> list[str]:
        """The inputs added, changed or removed since `earlier` (path -> stat key), sorted."""
        return sorted(p for p in self.keys.keys() | earlier.keys() if self.keys.get(p) != earlier.get(p))


def _published(folder: Path) -> dict[str, list]:
    return {p.relative_to(folder).as_posix(): list(stat_key(p.stat())) for p in sorted(folder.rglob("*")) if p.is_file()}


def _relative(spec: PackageSpec, path: str) -> str:
    try:
        return Path(path).relative_to(spec.root).as_posix()
    except ValueError:
        return path


def _some(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def remembered(spec: PackageSpec, out_dir: Path, now: Inputs) -> tuple[dict | None, str]:
    """(the last build's result, "") if its inputs and its published folder are as they were, else (None, why not)."""
    text = kept(spec.root, STATE_FILE)
    if text is None:
        return None, f"no earlier build is remembered in {CACHE_DIR}"
    try:
        state = json.loads(text)
        if state["out"] != str(out_dir.resolve()):
            return None, f"the last build remembered wrote to {state['out']}, not {out_dir}"
        if now.racy:
            return None, f"{_relative(spec, now.racy)} was modified less than {RACY_SECONDS:g} s ago (its stat key is not trusted yet)"
        if state["fingerprint"] is None:
            return None, f"the last build began less than {RACY_SECONDS:g} s after an input was modified, so it is not trusted"
        if state["fingerprint"] != now.digest:
            earlier = kept(spec.root, INPUTS_FILE)
            changed = now.changes_since(json.loads(earlier)) if earlier else []
            if changed:
                return None, f"{len(changed)} input(s) changed since the last build: {_some([_relative(spec, p) for p in changed])}"
            return None, "pakafg, Python, a library, the release date or PAKAFG_JOBS changed since the last build"
        published = Path(state["result"]["path"])
        touched = _published(published)
        if touched != state["published"]:
            files = sorted(p for p in touched.keys() | state["published"].keys() if touched.get(p) != state["published"].get(p))
            return None, f"{published} was changed since it was published: {_some(files)}"
        return state["result"], ""
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, f"the record of the last build in {CACHE_DIR} could not be read"


def remember(spec: PackageSpec, out_dir: Path, before: Inputs, result: dict) -> None:
    """Keep what the next build needs to know nothing changed (`before`: the inputs as this build began)."""
    state = {"out": str(out_dir.resolve()), "fingerprint": before.digest, "result": result,
             "published": _published(Path(result["path"]))}
    keep(spec.root, INPUTS_FILE, json.dumps(before.keys))
    keep(spec.root, STATE_FILE, json.dumps(state))
