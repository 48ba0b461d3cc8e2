"""Content-hash cache of parsed and typed record files, so a rebuild reads only what changed.

One file, `.pakafg-cache/records.pickle` in the repository root (gitignored),
maps each record file's path to the sha256 of its bytes and what reading it
produced (`records.FileRows`: typed rows with positions, and its issues).
Whole-table checks (keys, links, provenance, pandera) always run on all rows;
only per-file reading and typing is reused.

The cache is never trusted blindly:

- Its **fingerprint** covers the pakafg version, the code that reads and
  types records (`CODE_FILES`), the Python, PyYAML
  and frictionless versions, `datapackage.yaml` and every file under
  `schemas/`; any change discards the whole cache.
- The **content hash is authoritative.** A file's (size, mtime, ctime, inode)
  is only a shortcut to skip re-hashing unchanged files, as git does; a file
  modified less than `RACY_SECONDS` before the cache was written gets no
  shortcut (its next edit could keep the same size and timestamp), so it is
  hashed again next time.
- A **corrupt, truncated or foreign** cache is ignored and rebuilt. It is read
  with an unpickler that only accepts the few classes it stores, so a cache
  file planted in a pull request cannot run code.
- It is written atomically (temp file + rename); failing to write it only
  costs speed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import pickle
import stat
import sys
import tempfile
import time
from pathlib import Path

from . import __version__
from .load import MAX_FILE_BYTES
from .records import FileRows
from .schemas import PACKAGE_FILE, SCHEMA_DIR, PackageSpec

CACHE_DIR = ".pakafg-cache"
CACHE_FILE = "records.pickle"
FORMAT = 2  # entries: path -> (stat key | None, sha256, FileRows.dumps() bytes)
RACY_SECONDS = 2.0
_CODE_DIR = Path(__file__).resolve().parent
# the modules that decide what reading a file produces (FileRows): any edit to one discards the cache
CODE_FILES = ("load.py", "records.py", "schemas.py", "issues.py", "perf.py", "cache.py", "validate/frame.py")
_ALLOWED = {("datetime", "date"), ("builtins", "set"), ("builtins", "frozenset")}


def cache_folder(root: Path, *parts: str) -> Path:
    """`<root>/.pakafg-cache[/parts]`, created, with a `.gitignore` so it is never committed (even where the
    repository does not ignore it, as with .pytest_cache)."""
    folder = root / CACHE_DIR
    folder.joinpath(*parts).mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by pakafg: the record cache is local, never commit it\n*\n", encoding="utf-8")
    return folder.joinpath(*parts)


def _library_versions() -> str:
    import frictionless
    import yaml

    return f"python {sys.version}; pyyaml {yaml.__version__}; frictionless {frictionless.__version__}"


def fingerprint(spec: PackageSpec) -> str:
    """What the cached rows depend on besides each file's bytes: schemas, metadata, code, library versions."""
    h = hashlib.sha256(f"format {FORMAT}; pakafg {__version__}; {_library_versions()}".encode())
    inputs = [spec.root / PACKAGE_FILE]
    schema_dir = spec.root / SCHEMA_DIR
    if schema_dir.is_dir():
        inputs += sorted(p for p in schema_dir.rglob("*") if p.is_file())
    inputs += [_CODE_DIR / name for name in CODE_FILES]
    for path in inputs:
        h.update(b"\0" + str(path.name).encode() + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
    return h.hexdigest()


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class SafeUnpickler(pickle.Unpickler):
    """Accepts only plain data and dates: a planted cache file cannot name a class to run."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")


def _unpickle(path: str, pickled: bytes) -> FileRows:
    """A cached file's rows, read with the safe unpickler: the bytes come from a file anyone could have planted."""
    if not isinstance(pickled, bytes):
        raise pickle.UnpicklingError("not a cache entry")
    return FileRows.unpack(path, SafeUnpickler(io.BytesIO(pickled)).load(), pickled=pickled)


class RecordCache:
    """Per-file cache of `FileRows`, keyed by content hash, for one package root."""

    def __init__(self, spec: PackageSpec, directory: Path | None = None):
        self.directory = directory or spec.root / CACHE_DIR
        self.path = self.directory / CACHE_FILE
        self.fingerprint = fingerprint(spec)
        self.entries: dict[str, tuple] = {}  # path -> (stat key | None, sha256, FileRows.dumps())
        self.fresh: dict[str, tuple] = {}  # entries seen or made in this run
        self.hits = self.misses = 0
        self._pending: dict[str, tuple] = {}  # path -> stat key of a missed file, taken before it was read
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                data = SafeUnpickler(io.BufferedReader(fh)).load()
            if isinstance(data, dict) and data.get("format") == FORMAT and data.get("fingerprint") == self.fingerprint:
                entries = data.get("entries")
                if isinstance(entries, dict):
                    self.entries = entries
        except FileNotFoundError:
            pass
        except Exception:  # noqa: BLE001 - a corrupt or foreign cache is ignored and rebuilt
            self.entries = {}

    def get(self, path: str, file: Path) -> FileRows | None:
        """The cached result for `file` if its content is unchanged; on a miss, None (its stat is kept for `put`).

        The stat is taken here, before the file is read and parsed; the digest
        stored with the rows is that of the very bytes parsed (FileRows.digest).
        If the file changes in between, its stored stat no longer matches and the
        next run hashes it again.
        """
        key = None
        try:
            st = os.lstat(file)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
                return None  # a symlink, FIFO, device or oversized file: never hashed here; reading it reports why
            key = stat_key(st)
            entry = self.entries.get(path)
            if entry is not None and entry[0] is not None and entry[0] == key:
                result = _unpickle(path, entry[2])
                self.fresh[path] = entry
                self.hits += 1
                return result
            if entry is not None and hashlib.sha256(file.read_bytes()).hexdigest() == entry[1]:  # touched, not changed
                result = _unpickle(path, entry[2])
                self.fresh[path] = (key, entry[1], entry[2])
                self.hits += 1
                return result
        except OSError:
            return None  # reading it will report the problem
        except Exception:  # noqa: BLE001 - a malformed entry is a miss
            pass
        self.misses += 1
        if key is not None:
            self._pending[path] = key
        return None

    def put(self, path: str, result: FileRows) -> None:
        """Remember what reading `path` produced (pickled now, before any check fills in computed cells),
        under the digest of the bytes it parsed."""
        key = self._pending.pop(path, None)
        if key is not None and result.digest is not None:
            self.fresh[path] = (key, result.digest, result.dumps())

    def save(self, keep_unseen: bool = False) -> None:
        """Write the cache atomically; entries of files not seen in this run are dropped (unless `keep_unseen`)."""
        entries = {**self.entries, **self.fresh} if keep_unseen else dict(self.fresh)
        if entries.keys() == self.entries.keys() and all(entries[p] is self.entries[p] for p in entries):
            return  # every file hit with its stored stat key: the cache on disk is already this one
        now = time.time_ns()
        racy = int(RACY_SECONDS * 1e9)
        for path, (key, digest, packed) in entries.items():
            if key is not None and now - key[1] < racy:  # too recent: the next edit could keep size and mtime
                entries[path] = (None, digest, packed)
        data = {"format": FORMAT, "fingerprint": self.fingerprint, "written": dt.datetime.now(dt.timezone.utc).isoformat(),
                "entries": entries}
        try:
            cache_folder(self.directory.parent, self.directory.name)
            fd, tmp = tempfile.mkstemp(prefix=".records-", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except Exception:  # noqa: BLE001 - a read-only checkout or an odd value: it is only slower
            pass
        self.entries = entries
