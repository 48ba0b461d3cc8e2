"""The record cache: what reading each record file produced, keyed by the sha256 of its bytes.

One file, `.pakafg-cache/records.pickle` in the repository root (gitignored by
its own `.gitignore`), maps each record file's path to (stat key, sha256,
packed `FileReading`). Only reading is reused: every check runs on all rows,
so a cached run reports exactly what an uncached one does.

It is never trusted blindly:

- its fingerprint covers the pakafg version, the code that reads files,
  the Python and PyYAML versions, `datapackage.yaml` and every file under
  `schemas/`; any change discards it whole;
- the content hash is authoritative: a file's (size, mtime, ctime, inode) is
  only a shortcut to skip hashing it, as git does, and a file modified within
  RACY_SECONDS of the cache being written gets no shortcut next time;
- a corrupt, truncated or foreign cache is ignored and rebuilt, read with an
  unpickler that accepts only plain builtins (a planted cache cannot run code);
- it is written atomically; failing to write it only costs speed.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
import sys
import tempfile
import time
from pathlib import Path

from .. import __version__
from ..issues import Issue
from ..read import FileReading, RawTable
from ..read.files import MAX_FILE_BYTES
from ..schemas import PACKAGE_FILE, SCHEMA_DIR, PackageSpec

CACHE_DIR = ".pakafg-cache"
CACHE_FILE = "records.pickle"
FORMAT = 3
RACY_SECONDS = 2.0
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
CODE = ("read", "issues.py", "schemas.py", "speed/cache.py")  # what decides a FileReading: any edit discards the cache
_ISSUE_FIELDS = tuple(Issue.__dataclass_fields__)


def cache_folder(root: Path) -> Path:
    """`<root>/.pakafg-cache`, created with a `.gitignore`, so it is never committed."""
    folder = Path(root) / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by pakafg: local caches, never commit them\n*\n", encoding="utf-8")
    return folder


class SafeUnpickler(pickle.Unpickler):
    """Accepts plain builtins only: a planted cache file cannot name a class to run."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")


def pack(reading: FileReading) -> bytes:
    """A FileReading as plain tuples, pickled (what the cache stores and reading workers send)."""
    tables = tuple((name, t.paths, t.lines, t.values, t.at, sorted(t.bad)) for name, t in reading.tables.items() if len(t))
    issues = tuple(tuple(getattr(i, f) for f in _ISSUE_FIELDS) for i in reading.issues)
    return pickle.dumps((tables, issues, reading.records, reading.digest), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes, fields: dict[str, list[str]]) -> FileReading:
    """`pack`'s bytes back into a FileReading (`fields`: each table's field names)."""
    tables, issues, records, digest = SafeUnpickler(io.BytesIO(data)).load()
    out = {name: RawTable(name, fields[name], paths, lines, values, at, set(bad)) for name, paths, lines, values, at, bad in tables}
    return FileReading(out, [Issue(*values) for values in issues], records, digest)


def fingerprint(spec: PackageSpec) -> str:
    """What a file's reading depends on besides its bytes: schemas, metadata, code, library versions."""
    import yaml

    h = hashlib.sha256(f"{FORMAT}; pakafg {__version__}; python {sys.version}; pyyaml {yaml.__version__}".encode())
    inputs = [spec.root / PACKAGE_FILE]
    if (spec.root / SCHEMA_DIR).is_dir():
        inputs += sorted(p for p in (spec.root / SCHEMA_DIR).rglob("*") if p.is_file())
    for name in CODE:
        path = _PACKAGE_DIR / name
        inputs += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for path in inputs:
        h.update(b"\0" + path.name.encode() + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
    return h.hexdigest()


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class RecordCache:
    """The cached readings of one package's record files."""

    def __init__(self, spec: PackageSpec):
        self.path = spec.root / CACHE_DIR / CACHE_FILE
        self.root = spec.root
        self.fingerprint = fingerprint(spec)
        self.entries: dict[str, tuple] = {}  # path -> (stat key | None, sha256, packed)
        self.fresh: dict[str, tuple] = {}  # the entries of this run's files
        self.hits = self.misses = 0
        try:
            with open(self.path, "rb") as fh:
                data = SafeUnpickler(io.BufferedReader(fh)).load()
            if isinstance(data, dict) and data.get("fingerprint") == self.fingerprint and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except FileNotFoundError:
            pass
        except Exception:  # noqa: BLE001 - a corrupt or foreign cache is ignored and rebuilt
            self.entries = {}

    def get(self, path: str, file: Path) -> tuple[bytes | None, tuple | None]:
        """(packed reading, None) when `file` is unchanged; else (None, its stat key taken before it is read)."""
        try:
            st = os.lstat(file)
        except OSError:
            return None, None  # reading it reports the problem
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            return None, None  # a link, FIFO or oversized file: reading it says why, never from here
        key = stat_key(st)
        entry = self.entries.get(path)
        if isinstance(entry, tuple) and len(entry) == 3:
            if entry[0] is not None and entry[0] == key:
                self.fresh[path] = entry
                self.hits += 1
                return entry[2], None
            try:
                same = hashlib.sha256(file.read_bytes()).hexdigest() == entry[1]  # touched, not changed?
            except OSError:
                same = False
            if same:
                self.fresh[path] = (key, entry[1], entry[2])
                self.hits += 1
                return entry[2], None
        self.misses += 1
        return None, key

    def put(self, path: str, key: tuple | None, packed: bytes, digest: str | None) -> None:
        if key is not None and digest is not None:
            self.fresh[path] = (key, digest, packed)

    def save(self) -> None:
        """Write this run's entries atomically (the files not seen in it are dropped)."""
        entries = self.fresh
        if entries.keys() == self.entries.keys() and all(entries[p] is self.entries[p] for p in entries):
            return  # every file hit with its stored stat key: nothing new to write
        racy = time.time_ns() - int(RACY_SECONDS * 1e9)
        entries = {p: (None if k is None or k[1] > racy else k, d, b) for p, (k, d, b) in entries.items()}
        try:
            folder = cache_folder(self.root)
            fd, tmp = tempfile.mkstemp(prefix=".records-", dir=folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump({"fingerprint": self.fingerprint, "entries": entries}, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except Exception:  # noqa: BLE001 - a read-only checkout: only slower
            pass
        self.entries = entries
