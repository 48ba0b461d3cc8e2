"""`pakafg release`: what a maintainer runs to freeze the next version (contributors never touch versions).

It compares the committed working tree with the commit the latest release was
cut from (recorded in `releases/<version>.json`; no git tag needed), takes the
smallest bump those changes need (or a larger `--bump`), sets the version in
datapackage.yaml, writes the CHANGELOG.md entry and CITATION.cff, builds the
release into `build/<version>/` and freezes it in `releases/<version>.json`.
From then on a build of the same data is that release, byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..issues import PakafgError
from ..schemas import (CHANGELOG_FILE, CITATION_FILE, LICENSE_FILE, PACKAGE_FILE, RELEASES_DIR, RULES_DOC, SCHEMA_DIR,
                       load_package_spec)
from . import git
from .changelog import changelog_entry, prepend_changelog, update_citation
from .diff import WORKING_TREE, Diff, diff, load_snapshot
from .manifest import latest_release, manifest_path, write_manifest
from .render import render_text
from .versions import BUMPS, bump_ok, next_version

INPUT_PATHS = (PACKAGE_FILE, SCHEMA_DIR, "tables", "sources", LICENSE_FILE, RULES_DOC)  # what a release ships must be committed


@dataclass
class ReleaseResult:
    version: str
    path: Path
    manifest: Path
    changelog: Path
    diff: Diff | None
    commit_command: str


def set_version(root: Path, version: str) -> None:
    """Write `version:` in datapackage.yaml, keeping the rest of the file (comments included) as it is."""
    path = Path(root) / PACKAGE_FILE
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(r"(?m)^version:.*$", f"version: {version}", text, count=1)
    if count != 1:
        raise PakafgError(f"{path}: no top-level `version:` line to set")
    path.write_text(new, encoding="utf-8", newline="\n")


def plan_version(root: Path, bump: str | None) -> tuple[str, Diff | None]:
    """The version to release and the diff since the latest release (None for a first release)."""
    latest = latest_release(root)
    if latest is None:
        return load_package_spec(root).version, None
    d = diff(root)
    if bump is None:
        if d.required_bump == "none":
            raise PakafgError(f"nothing to release: the data is as released in {latest['version']}")
        bump = d.required_bump
    if bump not in BUMPS[1:]:
        raise PakafgError(f"--bump must be patch, minor or major, not {bump!r}")
    if not bump_ok(bump, d.required_bump):
        raise PakafgError(f"release refused: a {bump} bump is smaller than these changes need ({d.required_bump})\n\n{render_text(d)}")
    return next_version(latest["version"], bump), d


def release(root: str | Path = ".", bump: str | None = None, out: str | Path | None = None) -> ReleaseResult:
    """Freeze the next version: check, set the version, changelog, build, manifest."""
    from ..pipeline import build

    root = Path(root)
    if not git.is_repository(root):
        raise PakafgError(f"{root} is not a git repository; a release is tied to a commit")
    dirty = git.output(root, "status", "--porcelain", "--untracked-files=all", "--", *INPUT_PATHS)
    if dirty:
        raise PakafgError("commit your changes first; a release is built from a commit and these inputs differ from it:\n" + dirty)
    version, d = plan_version(root, bump)
    if manifest_path(root, version).exists():
        raise PakafgError(f"version {version} is already released ({RELEASES_DIR}/{version}.json)")
    commit = git.output(root, "rev-parse", "HEAD")
    created = git.source_date(root)
    counts = d.head_counts if d else {n: len(r) for n, r in load_snapshot(root, WORKING_TREE).rows.items()}
    set_version(root, version)
    changelog = prepend_changelog(root, changelog_entry(version, created, d, counts))  # before the build: it ships the entry
    built = build(root, out, release=True)
    citation = update_citation(root, version, created)
    manifest = write_manifest(root, version, built.path, commit)
    tracked = " ".join([PACKAGE_FILE, f"{RELEASES_DIR}/{version}.json", CHANGELOG_FILE] + ([CITATION_FILE] if citation else []))
    command = f"git add {tracked} && git commit -m 'Release {version}'"
    return ReleaseResult(version, built.path, manifest, changelog, d, command)
