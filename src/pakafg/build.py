"""`build`: validate, compile, and write one version's release atomically.

The release is staged in a fresh temporary directory next to its final place
(`build/.staging-*`) and moved into `build/<version>/` only when complete, so a
failed or killed build never leaves a half-written release and never touches
the previous one (zavod: validators gate publication).

Replacing an existing release is one atomic swap on Linux (renameat2 with
RENAME_EXCHANGE); elsewhere it is two renames through `build/.previous-<version>`,
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
import functools
import os
import shutil
import stat
import sys
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from . import derived, incremental
from .export import EXPORTERS, PACKAGE_EXPORTERS, codebook, datapackage
from .issues import InvalidPackage, PakafgError, Report
from .perf import paused_gc
from .release import CHANGELOG_FILE, changelog_section, check_frozen, frozen_created
from .schemas import PackageSpec, check_schemas, load_package_spec
from .tables import compile_tables, published
from .validate import validate_spec

BUILD_DIR = "build"
STAGING_PREFIX = ".staging-"
PREVIOUS_PREFIX = ".previous-"
LOCK_FILE = ".lock"


@dataclass
class BuildResult:
    path: Path
    version: str
    row_counts: dict[str, int]
    files: list[str] = field(default_factory=list)
    unchanged: bool = False
    report: Report | None = None  # what validation found (warnings only: a build with errors raises)
    notes: list[str] = field(default_factory=list)
    edited: list[str] | None = None  # an incremental build: the record files it read (None: a full build read them all)


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


def write_release(spec: PackageSpec, tables: dict[str, pa.Table], staging: Path, created: str | None,
                  writer: incremental.Writer | None = None) -> tuple[list[str], dict[str, str]]:
    """Write every format of the compiled `tables` into `staging`; return the relative paths written and their sha256.

    A build that keeps a state for the next rebuild passes a `writer` (incremental.py),
    which writes files in place of the exporters (the same bytes) and notes what the
    next rebuild needs.
    """
    hashes: dict[str, str] = {}  # relative path -> sha256, so nothing is hashed twice (datapackage.json, SHA256SUMS)
    finish = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pakafg-finish")  # see _flush
    finished = {}  # relative path -> its sha256 being computed, for the files whose digest is not known yet
    write = writer.packages(tables, staging) if writer else (  # (path, its sha256 if known) of each file
        lambda: [(exporter.write_package(spec, tables, staging), None) for exporter in PACKAGE_EXPORTERS])

    def done(path: Path, digest: str | None = None) -> Path:
        relative = path.relative_to(staging).as_posix()
        if digest:
            hashes[relative] = digest
        else:  # hashed while the next file is written, and while it is still in memory
            finished[relative] = finish.submit(datapackage.sha256_file, path)
        finish.submit(_flush, path)
        return path

    def packages():
        return [done(path, digest) for path, digest in write()]
    try:
        with _beside(packages) as written:
            described = []  # (exporter, path) of the files listed in datapackage.json besides the CSV tables
            for exporter in EXPORTERS:
                for name, table in tables.items():
                    made = writer.file(exporter, name, table, staging) if writer else None
                    path = done(*made) if made else done(exporter.write(name, table, staging))
                    if exporter.FORMAT != "csv":
                        described.append((exporter, path))
        described += list(zip(PACKAGE_EXPORTERS, written.result))
        for relative, future in finished.items():
            hashes[relative] = future.result()
        files = [datapackage.file_entry(path, staging, exporter.FORMAT, exporter.MEDIATYPE, hashes) for exporter, path in described]
        notes = changelog_section(spec.root, spec.version)  # release notes, once `pakafg release` wrote them
        if notes:
            (staging / CHANGELOG_FILE).write_text(notes, encoding="utf-8", newline="\n")
        for path in codebook.write(spec, tables, staging, created):  # [codebook] README.md, LICENSE-DATA.md, CITATION.cff
            files.append(datapackage.file_entry(path, staging, *codebook.file_format(path), hashes))
        datapackage.write(spec, tables, staging, files, created, hashes)  # while the last files are still being flushed
        datapackage.write_sums(staging, hashes)
    finally:
        finish.shutdown()
    return sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()), hashes


def _flush(path: Path) -> None:
    """fsync a finished file on a thread while the next is written, so `publish` finds little left to flush.

    An error is left to `publish`, whose `_sync_tree` flushes every file again
    (at no cost for a file already on disk) before the release is visible.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _Beside:
    result = None
    error: BaseException | None = None


@contextlib.contextmanager
def _beside(work):
    """Run `work` on a thread while the block runs; re-raise its error after both are done.

    The SQLite export spends much of its time inside SQLite and Arrow's CSV and
    Parquet writers in C++, both without the GIL, so on two cores the formats are
    written side by side. The output files are the same: each format writes its own.
    """
    outcome = _Beside()

    def run():
        try:
            outcome.result = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            outcome.error = exc

    thread = threading.Thread(target=run, name="pakafg-export")
    thread.start()
    try:
        yield outcome
    finally:
        thread.join()  # never leave it writing into a staging folder that is about to be deleted
    if outcome.error is not None:
        raise outcome.error


def _same_content(a: Path, b: Path) -> bool:
    """The two folders hold the same files, byte for byte.

    Equal SHA256SUMS come first (they differ whenever the content does), but the
    files themselves are compared too: a release file edited or deleted by hand
    leaves SHA256SUMS as it was, and must be replaced, not kept.
    """
    sums = datapackage.SUMS_FILE
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


def _remove_later(remover: ThreadPoolExecutor):
    """Delete a folder of release files on `remover`'s thread, but first, here, the files hard-linked into the new release.

    Deleting a replaced release (a 62 MB SQLite file among others at 100k
    records) takes a tenth of a second that the build can spend finishing. Its
    hard links go first because unlinking one changes the change time of its
    twin in the new release, whose stat keys the incremental state records next.
    """
    def remove(folder: Path) -> None:
        for path in folder.rglob("*"):
            with contextlib.suppress(OSError):
                info = path.lstat()
                if info.st_nlink > 1 and stat.S_ISREG(info.st_mode):
                    path.unlink()
        remover.submit(shutil.rmtree, folder, ignore_errors=True)
    return remove


def _unlink_later(remover: ThreadPoolExecutor):
    """Delete a file on `remover`'s thread (the state's files of the build before)."""
    return lambda path: remover.submit(incremental.unlink_quietly, path)


def _write_and_publish(spec: PackageSpec, tables: dict[str, pa.Table], target: Path, created: str | None, notes: list[str],
                       writer: incremental.Writer | None = None, remove=None) -> tuple[list[str], dict[str, str], bool, list[str]]:
    """Stage the release, check it against a frozen one, publish it (call under the build lock).

    Returns the files, their sha256 (all but SHA256SUMS), whether the release changed, and the notes.
    The replaced release (or the staging folder, if nothing was published) is deleted by `remove`
    (`_remove_later`), else here.
    """
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{spec.version}-", dir=target.parent))
    try:
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the release from other users
        files, hashes = write_release(spec, tables, staging, created, writer)
        notes = notes + check_frozen(spec.root, spec.version, staging)  # a released version's content is immutable
        changed = publish(staging, target)
    finally:
        if staging.exists():
            (remove or functools.partial(shutil.rmtree, ignore_errors=True))(staging)
    return files, hashes, changed, notes


def _rebuild(spec: PackageSpec, target: Path, fingerprint: str, created: str | None) -> tuple[BuildResult | None, list[str]]:
    """The incremental build (incremental.py); None (and the notes of `recover`) when a full build must run."""
    version = spec.version
    with build_lock(target.parent):
        notes = recover(target.parent)
        plan = incremental.plan(spec, target, fingerprint)
        if plan is None:
            return None, notes
        counts = {name: table.num_rows for name, table in plan.tables.items()}
        state = plan.state
        if plan.unchanged:
            notes += check_frozen(spec.root, version, target)
            incremental.save_state(spec, state)  # files only touched: their new stat keys
            return BuildResult(path=target, version=version, row_counts=counts, files=sorted(state.published),
                               unchanged=True, report=Report([]), notes=notes, edited=[]), []
        incremental.discard_state(spec)  # its SQLite database is updated in place: a failure from here means a full build
        writer = incremental.Writer(spec, incremental.state_dir(spec) / state.working, plan, target)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pakafg-remove") as remover:
            with _beside(lambda: incremental.write_tables(spec, state, plan.tables, plan.changed_tables)) as saved:
                files, hashes, changed, notes = _write_and_publish(spec, published(plan.tables), target, created, notes, writer,
                                                                   _remove_later(remover))
            if saved.result:
                incremental.save_release(spec, state, writer, target, hashes, _unlink_later(remover))
    return BuildResult(path=target, version=version, row_counts=counts, files=files, unchanged=not changed, report=Report([]),
                       notes=notes, edited=plan.edited), []


@paused_gc  # see perf.py: a third of the CPU time at 100k records
def build(root: str | Path = ".", out: str | Path | None = None) -> BuildResult:
    """Validate the package at `root` and write `build/<version>/`; raise InvalidPackage on errors.

    After a build, a build that follows record edits checks and writes only what
    they touch, when that is shown to give the same bytes (incremental.py);
    otherwise, and with PAKAFG_NO_CACHE=1, every record is read and checked.
    """
    root = Path(root)
    spec = load_package_spec(root, check_schemas=False)  # checked below, unless the state shows they were already
    version = spec.version
    out_dir = Path(out) if out else root / BUILD_DIR
    target = out_dir / version
    created = frozen_created(root, version) or source_date(root)
    fingerprint = incremental.fingerprint(spec, target, created, changelog_section(root, version)) if incremental.enabled() else None
    notes: list[str] = []
    try:
        if fingerprint is not None and target.is_dir():
            result, notes = _rebuild(spec, target, fingerprint, created)
            if result is not None:
                return result
    except OSError as exc:
        raise PakafgError(f"could not write the release to {target}: {exc}") from exc
    started = time.time_ns()
    check_schemas(spec)
    validation = validate_spec(spec)
    if not validation.valid:
        raise InvalidPackage(validation.report.issues)
    report, coll = validation.report, validation.collection
    counts = {name: len(rows) for name, rows in coll.rows.items()}
    keep_state = fingerprint is not None and not report.issues  # an incremental build starts only from a spotless one
    tables = compile_tables(spec, coll.rows, paths=keep_state)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        working = incremental.new_working_file(spec) if keep_state else None
        state = incremental.full_build_state(spec, coll, tables, fingerprint, target, started, working) if keep_state else None
        del validation, coll  # the typed rows, most of the memory of a large build, are not needed once compiled
        tables = derived.with_derived(spec, tables)  # [derived] the analysis-ready tables, once the rows are freed
        counts.update({t.name: tables[t.name].num_rows for t in spec.derived_tables()})  # [derived]
        public = published(tables)
        with build_lock(out_dir), ThreadPoolExecutor(max_workers=1, thread_name_prefix="pakafg-remove") as remover:
            notes += recover(out_dir)
            writer = incremental.Writer(spec, working) if state else None
            with _beside(lambda: state is not None and incremental.write_tables(spec, state, tables)) as saved:
                files, hashes, changed, notes = _write_and_publish(spec, public, target, created, notes, writer,
                                                                   _remove_later(remover))
            if state is not None and saved.result:
                incremental.save_release(spec, state, writer, target, hashes, _unlink_later(remover))
            elif fingerprint is not None:
                incremental.discard_state(spec)
    except OSError as exc:
        raise PakafgError(f"could not write the release to {target}: {exc}") from exc
    return BuildResult(path=target, version=version, row_counts=counts, files=files, unchanged=not changed, report=report,
                       notes=notes)
