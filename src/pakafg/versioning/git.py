"""The few git operations versioning needs: the date of the last commit, a package as it was at a commit."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from datetime import datetime, timezone
from pathlib import Path

from ..issues import PakafgError
from ..schemas import PACKAGE_FILE


def run(root: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=not binary, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        raise PakafgError(f"could not run git: {exc}") from None


def output(root: Path, *args: str) -> str:
    out = run(root, *args)
    if out.returncode != 0:
        raise PakafgError(f"git {' '.join(args)} failed in {root}: {out.stderr.strip() or out.stdout.strip()}")
    return out.stdout.strip()


def is_repository(root: Path) -> bool:
    return run(root, "rev-parse", "--git-dir").returncode == 0


def ref_exists(root: Path, ref: str) -> bool:
    return run(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0


def known_refs(root: Path, limit: int = 8) -> list[str]:
    """Branches and tags that exist here, to suggest when a ref does not."""
    out = run(root, "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags", "refs/remotes")
    return out.stdout.split()[:limit] if out.returncode == 0 else []


def source_date(root: Path) -> str | None:
    """`created` from the inputs, never the clock: SOURCE_DATE_EPOCH, else the last commit's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not (epoch and epoch.isdigit()):
        out = run(root, "log", "-1", "--format=%ct") if (Path(root) / ".git").exists() or is_repository(root) else None
        epoch = out.stdout.strip() if out is not None and out.returncode == 0 else ""
    if not epoch.isdigit():
        return None
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def extract(root: Path, ref: str, dest: Path) -> Path:
    """Write the package as it is at `ref` into `dest` (git archive; the working tree is untouched)."""
    if not is_repository(root):
        raise PakafgError(f"{root} is not inside a git repository; comparing with a commit needs git")
    if not ref_exists(root, ref):
        suggestions = ", ".join(known_refs(root))
        raise PakafgError(f"unknown git ref {ref!r}" + (f" (refs here: {suggestions}, or a commit)" if suggestions else
                                                          " (give a branch or a commit)"))
    prefix = output(root, "rev-parse", "--show-prefix")
    treeish = f"{ref}:{prefix}" if prefix else ref
    top = Path(output(root, "rev-parse", "--show-toplevel"))  # git archive <ref>:<dir> fails inside a subdirectory
    out = run(top, "archive", "--format=tar", treeish, binary=True)
    if out.returncode != 0:
        raise PakafgError(f"git archive {treeish} failed: {out.stderr.decode(errors='replace').strip()}")
    try:
        with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
            tar.extractall(dest, filter="data")  # refuses links and paths that leave dest
    except (tarfile.TarError, OSError) as exc:
        raise PakafgError(f"could not extract {ref}: {exc}") from None
    if not (dest / PACKAGE_FILE).is_file():
        raise PakafgError(f"{ref} has no {prefix}{PACKAGE_FILE}; nothing to compare with")
    return dest
