"""`build`: validate, compile, and write one version's release atomically.

The release is staged in a fresh temporary directory next to its final place
(`build/.staging-*`) and moved into `build/<version>/` only when complete, so a
failed or killed build never leaves a half-written release and never touches
the previous one (zavod: validators gate publication).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .export import EXPORTERS, PACKAGE_EXPORTERS, datapackage
from .issues import InvalidPackage, PakafgError
from .release import check_frozen, frozen_created
from .tables import compile_tables
from .validate import Validation, validate

BUILD_DIR = "build"
STAGING_PREFIX = ".staging-"


@dataclass
class BuildResult:
    path: Path
    version: str
    row_counts: dict[str, int]
    files: list[str] = field(default_factory=list)
    unchanged: bool = False
    validation: Validation | None = None
    notes: list[str] = field(default_factory=list)


def source_date(root: Path) -> str | None:
    """`created` from the inputs, never the clock: SOURCE_DATE_EPOCH, else the last commit's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%ct"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    stamp = out.stdout.strip()
    if out.returncode != 0 or not stamp.isdigit():
        return None
    return datetime.fromtimestamp(int(stamp), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_release(validation: Validation, staging: Path, created: str | None) -> list[str]:
    """Write every format into `staging`; return the relative paths written."""
    spec = validation.spec
    tables = compile_tables(spec, validation.collection.rows)
    files = []
    for exporter in EXPORTERS:
        for name, table in tables.items():
            path = exporter.write(name, table, staging)
            if exporter.FORMAT != "csv":
                files.append(datapackage.file_entry(path, staging, exporter.FORMAT, exporter.MEDIATYPE))
    for exporter in PACKAGE_EXPORTERS:
        path = exporter.write_package(spec, tables, staging)
        files.append(datapackage.file_entry(path, staging, exporter.FORMAT, exporter.MEDIATYPE))
    datapackage.write(spec, tables, staging, files, created)
    datapackage.write_sums(staging)
    return sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())


def _same_content(a: Path, b: Path) -> bool:
    sums = datapackage.SUMS_FILE
    return (a / sums).is_file() and (b / sums).is_file() and (a / sums).read_bytes() == (b / sums).read_bytes()


def publish(staging: Path, target: Path) -> bool:
    """Move a complete staging directory into place; False if `target` already holds the same bytes."""
    if target.exists():
        if _same_content(staging, target):
            shutil.rmtree(staging)
            return False
        old = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}old-", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)
    return True


def build(root: str | Path = ".", out: str | Path | None = None) -> BuildResult:
    """Validate the package at `root` and write `build/<version>/`; raise InvalidPackage on errors."""
    root = Path(root)
    validation = validate(root)
    if not validation.valid:
        raise InvalidPackage(validation.report.issues)
    version = validation.spec.version
    out_dir = Path(out) if out else root / BUILD_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / version
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{version}-", dir=out_dir))
    try:
        files = write_release(validation, staging, frozen_created(root, version) or source_date(root))
        notes = check_frozen(root, version, staging)  # a released version's content is immutable
        changed = publish(staging, target)
    except OSError as exc:
        raise PakafgError(f"could not write the release to {target}: {exc}") from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    counts = {name: len(rows) for name, rows in validation.collection.rows.items()}
    return BuildResult(path=target, version=version, row_counts=counts, files=files, unchanged=not changed, validation=validation,
                       notes=notes)
