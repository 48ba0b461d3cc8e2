"""Semantic versions: parsing, the bump a change needs, the next version, a development build's version."""

from __future__ import annotations

import re

from ..issues import PakafgError
from ..schemas import PACKAGE_FILE

BUMPS = ("none", "patch", "minor", "major")
_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def parse_version(text: str) -> tuple[int, int, int, str]:
    """`MAJOR.MINOR.PATCH[-pre][+build]` -> a sortable tuple (a pre-release sorts before its release)."""
    m = _VERSION.match(str(text).strip())
    if not m:
        raise PakafgError(f"version {text!r} in {PACKAGE_FILE} is not a semantic version MAJOR.MINOR.PATCH (e.g. 1.2.0)")
    return int(m[1]), int(m[2]), int(m[3]), m[4] or "~"  # "~" sorts after any pre-release tag


def version_bump(old: str, new: str) -> str:
    """Which part of the version changed: none, patch, minor, major, or 'downgrade'."""
    a, b = parse_version(old), parse_version(new)
    if b < a:
        return "downgrade"
    if b[0] != a[0]:
        return "major"
    if b[1] != a[1]:
        return "minor"
    return "patch" if b != a else "none"


def bump_ok(actual: str, required: str) -> bool:
    return actual != "downgrade" and BUMPS.index(actual) >= BUMPS.index(required)


def next_version(version: str, bump: str) -> str:
    """The version after `version` for a `bump` (patch, minor or major)."""
    major, minor, patch, _ = parse_version(version)
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    if bump == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise PakafgError(f"unknown bump {bump!r}: choose patch, minor or major")


def development_version(version: str, released: bool, digest: str) -> str:
    """The version a development build carries: a pre-release, so it sorts after the release it follows and before the next.

    After released `1.2.0`: `1.2.1-dev+<digest>` (the next release may be 1.2.1, 1.3.0
    or 2.0.0; all sort after it). Before `version` is first released: `<version>-dev+<digest>`.
    `digest` (of the data) tells two development builds apart.
    """
    major, minor, patch, _ = parse_version(version)
    base = f"{major}.{minor}.{patch + 1}" if released else f"{major}.{minor}.{patch}"
    return f"{base}-dev+{digest[:12]}"
