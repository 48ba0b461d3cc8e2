"""Publish: a complete staging folder -> `build/<name>/`, atomically, under a lock.

A release is staged in a fresh temporary folder next to its final place
(`build/.staging-*`) and moved into place only when complete, so a failed or
killed build never leaves a half-written release and never touches the
previous one (zavod: validators gate publication).

Replacing an existing release is one atomic swap on Linux (renameat2 with
RENAME_EXCHANGE); elsewhere it is two renames through `build/.previous-<name>`,
which the next build puts back if a crash fell between them. Builds into the
same folder hold an exclusive lock (`build/.lock`) while they write and
publish, so concurrent builds queue instead of mixing files, and whatever a
killed build left behind (`.staging-*`) is deleted by the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import filecmp
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .export.datapackage import SUMS_FILE

STAGING_PREFIX = ".staging-"
PREVIOUS_PREFIX = ".previous-"
LOCK_FILE = ".lock"


def _same_content(a: Path, b: Path) -> bool:
    """The two folders hold the same files, byte for byte.

    Equal SHA256SUMS come first (they differ whenever the content does), but the
    files themselves are compared too: a release file edited or deleted by hand
    leaves SHA256SUMS as it was, and must be replaced, not kept.
    """
    sums = SUMS_FILE
    if not ((a / sums).is_file() and (b / sums).is_file() and (a / sums).read_bytes() == (b / sums).read_bytes()):
        return False
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    if files != sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(a / relative, b / relative, shallow=False) for relative in files)

@contextlib.contextmanager
def build_lock(out_dir: Path):
    """Hold an exclusive lock on `out_dir` (flock on `.lock`); the kernel releases it if the process dies."""
    fd = os.open(out_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: unique staging dirs and renames still keep builds apart
            fcntl = None
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def recover(out_dir: Path) -> list[str]:
    """Undo what a killed build left (call under `build_lock`): restore a release set aside, delete staging dirs."""
    notes = []
    for entry in sorted(out_dir.iterdir()):
        name = entry.name
        if name.startswith(PREVIOUS_PREFIX) and entry.is_dir():
            target = out_dir / name[len(PREVIOUS_PREFIX):]
            if not target.exists():
                os.replace(entry, target)
                notes.append(f"restored {target.name}/ that an interrupted build had set aside")
            else:
                shutil.rmtree(entry, ignore_errors=True)
        elif name.startswith(STAGING_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            notes.append(f"deleted {name}/ left by an interrupted build")
    return notes


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # libc without renameat2 (glibc < 2.28, musl)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):  # file system or sandbox without it
        return False
    raise OSError(err, os.strerror(err), str(b))


def _sync_tree(folder: Path) -> None:
    """Flush the staged files to disk before they become visible, so a power cut cannot publish empty files."""
    for path in sorted(folder.rglob("*")) + [folder]:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:  # a directory cannot be opened on Windows; its entries are flushed with the files
            if path.is_dir():
                continue
            raise
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(staging: Path, target: Path) -> bool:
    """Move a complete staging directory into place; False if `target` already holds the same bytes.

    There is no moment at which `target` is missing or partial: a swap where the
    kernel offers one, else two renames that `recover` completes after a crash.
    """
    if target.exists():
        if _same_content(staging, target):
            shutil.rmtree(staging)
            return False
        _sync_tree(staging)
        if _exchange(staging, target):
            return True  # `staging` now holds the previous release: the caller deletes it
        previous = target.parent / f"{PREVIOUS_PREFIX}{target.name}"
        if previous.exists():
            shutil.rmtree(previous)
        os.replace(target, previous)
        os.replace(staging, target)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        _sync_tree(staging)
        os.replace(staging, target)
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def staging_folder(out_dir: Path, name: str) -> Iterator[Path]:
    """A fresh folder beside `out_dir/name` to write a release into; deleted afterwards unless published."""
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{name}-", dir=out_dir))
    try:
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the release from other users
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
