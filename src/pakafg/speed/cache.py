"""The record cache: what reading each record file produced, kept as Arrow tables, keyed by the sha256 of each file.

In `.pakafg-cache/records/` (gitignored by its own `.gitignore`): one Arrow IPC
file per table holding the rows read from every file, each row naming its
file, and `files.pickle` mapping each file's path to (stat key, sha256, its
issues, its number of records). A run that finds a file unchanged takes its
rows from there (one Arrow filter per table, no parsing); only the changed
files are read. Every check still runs on every row, so a cached run reports
exactly what an uncached one does.

It is never trusted blindly:

- its fingerprint covers the pakafg version, the code that reads files,
  the Python, PyYAML and pyarrow versions, `datapackage.yaml` and every file
  under `schemas/`; any change discards it whole;
- the content hash is authoritative: a file's (size, mtime, ctime, inode) is
  only a shortcut to skip hashing it, as git does, and a file modified within
  RACY_SECONDS of the cache being written gets no shortcut next time;
- a corrupt, truncated or foreign cache is ignored and rebuilt; `files.pickle`
  is read with an unpickler that accepts only plain builtins (a planted cache
  cannot run code), the tables with Arrow's IPC reader;
- it is written atomically (a new folder, then a rename); failing to write
  it only costs speed.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

from .. import __version__
from ..issues import Issue
from ..read import Batch
from ..read.files import MAX_FILE_BYTES
from ..read.records import PATH
from ..schemas import PACKAGE_FILE, SCHEMA_DIR, PackageSpec

CACHE_DIR = ".pakafg-cache"
RECORDS = "records"
FILES = "files.pickle"
FORMAT = 4
RACY_SECONDS = 2.0
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
CODE = ("read", "issues.py", "schemas.py", "speed/cache.py")  # what decides a reading: any edit discards the cache
ISSUE_FIELDS = tuple(Issue.__dataclass_fields__)


def cache_folder(root: Path) -> Path:
    """`<root>/.pakafg-cache`, created with a `.gitignore`, so it is never committed."""
    folder = Path(root) / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by pakafg: local caches, never commit them\n*\n", encoding="utf-8")
    return folder


def keep(root: Path, name: str, text: str) -> None:
    """Write `<root>/.pakafg-cache/<name>` atomically (a temporary file, then a rename); failing only costs speed."""
    try:
        folder = cache_folder(root)
        tmp = folder / f".{name}.{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / name)
    except OSError:
        pass


def kept(root: Path, name: str) -> str | None:
    """What `keep` wrote, or None."""
    try:
        return (Path(root) / CACHE_DIR / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


class SafeUnpickler(pickle.Unpickler):
    """Accepts plain builtins only: a planted cache file cannot name a class to run."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")


def plain_issues(issues) -> tuple:
    return tuple(tuple(getattr(i, f) for f in ISSUE_FIELDS) for i in issues)


def issues_from(plain) -> list[Issue]:
    return [Issue(*values) for values in plain]


def fingerprint(spec: PackageSpec) -> str:
    """What a file's reading depends on besides its bytes: schemas, metadata, code, library versions."""
    import pyarrow
    import yaml

    h = hashlib.sha256(f"{FORMAT}; pakafg {__version__}; python {sys.version}; pyyaml {yaml.__version__}; "
                       f"pyarrow {pyarrow.__version__}".encode())
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
        self.folder = spec.root / CACHE_DIR / RECORDS
        self.root = spec.root
        self.fingerprint = fingerprint(spec)
        self.entries: dict[str, tuple] = {}  # path -> (stat key | None, sha256, issues, records, hidden)
        self.hits: dict[str, tuple] = {}  # this run's files found unchanged, with their (new) stat key
        self.keys: dict[str, tuple] = {}  # this run's other files: their stat key, taken before they were read
        try:
            with open(self.folder / FILES, "rb") as fh:
                data = SafeUnpickler(io.BufferedReader(fh)).load()
            if isinstance(data, dict) and data.get("fingerprint") == self.fingerprint and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except FileNotFoundError:
            pass
        except Exception:  # noqa: BLE001 - a corrupt or foreign cache is ignored and rebuilt
            self.entries = {}

    def unchanged(self, path: str, file: Path) -> bool:
        """Whether `file` is as it was when cached (its stat key is kept for `save` either way)."""
        try:
            st = os.lstat(file)
        except OSError:
            return False  # reading it reports the problem
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            return False  # a link, FIFO or oversized file: reading it says why, never from here
        key = stat_key(st)
        entry = self.entries.get(path)
        if isinstance(entry, tuple) and len(entry) == 5:
            same = entry[0] is not None and tuple(entry[0]) == key
            if not same:
                try:
                    same = hashlib.sha256(file.read_bytes()).hexdigest() == entry[1]  # touched, not changed?
                except OSError:
                    same = False
            if same:
                self.hits[path] = (key, *entry[1:])
                return True
        self.keys[path] = key
        return False

    def batch(self) -> Batch | None:
        """The rows and issues of the files found unchanged, as one batch (None when there are none)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if not self.hits:
            return None
        batch = Batch({})
        wanted = pa.array(list(self.hits), pa.string())
        try:
            for path in sorted(self.folder.glob("*.arrow")):
                with pa.memory_map(str(path)) as source:
                    table = pa.ipc.open_file(source).read_all()
                batch.tables[path.stem] = table.filter(pc.is_in(table.column(PATH), value_set=wanted))
        except (OSError, pa.ArrowException):
            return None
        for path, (_, digest, issues, records, hidden) in self.hits.items():
            batch.files[path] = (issues_from(issues), records, digest)
            if hidden:
                batch.hidden[path] = tuple(hidden)
        return batch

    def save(self, batches: list[Batch]) -> None:
        """Keep what this run read (the files not seen in it are dropped); nothing to do when every file was a hit."""
        import pyarrow as pa

        if not self.keys and self.hits.keys() == self.entries.keys():
            return
        racy = time.time_ns() - int(RACY_SECONDS * 1e9)
        entries = {}
        for batch in batches:
            for path, (issues, records, digest) in batch.files.items():
                key = self.hits[path][0] if path in self.hits else self.keys.get(path)
                if digest is None:
                    continue  # could not be read as text: read again next time
                key = None if key is None or key[1] > racy else key
                entries[path] = (key, digest, plain_issues(issues), records, batch.hidden.get(path))
        tables: dict[str, list] = {}
        for batch in batches:
            for name, table in batch.tables.items():
                tables.setdefault(name, []).append(table)
        try:
            parent = cache_folder(self.root)
            staging = Path(tempfile.mkdtemp(prefix=".records-", dir=parent))
            try:
                for name, parts in tables.items():
                    table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
                    with pa.OSFile(str(staging / f"{name}.arrow"), "wb") as sink:
                        with pa.ipc.new_file(sink, table.schema) as writer:
                            writer.write_table(table)
                with open(staging / FILES, "wb") as fh:
                    pickle.dump({"fingerprint": self.fingerprint, "entries": entries}, fh, protocol=pickle.HIGHEST_PROTOCOL)
                old = parent / f".records-old-{os.getpid()}"
                if self.folder.exists():
                    os.replace(self.folder, old)
                os.replace(staging, self.folder)
                shutil.rmtree(old, ignore_errors=True)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except (OSError, pa.ArrowException):
            pass  # a read-only checkout: only slower
