"""Incremental rebuild: after one build, a build that follows record edits redoes only what they touch.

A full build at 100k records spends seconds on work that depends on every row
(keys, links, coverage, the exports). After an edit that changes no key,
reference or status (the usual correction of a summary, a date, a number or a
quote), those results are known: the last build proved them, and the edited
rows hold the same keys and references as before. So a rebuild:

1. finds the edited record files (stat keys, then content hashes, as git does);
2. reads them, and runs every check that depends on a row alone on their rows
   (reading and typing, formula-like text, quotes and numbers against the
   archived texts, the pandera cross-field rules);
3. checks that their rows keep every column a whole-table check reads (keys,
   foreign keys, citations, `status`, each source's archived text) and that no
   primary key is used twice;
4. patches the last build's Arrow tables (each row knows its record file),
   splices the new rows into the changed tables' CSV files and rewrites their
   Parquet files, hard-links the other tables' files from the last release,
   updates the SQLite database row by row (export/sqlite.py), and publishes
   atomically as a full build does.

The result is byte-identical to a full build of the same inputs (tests/test_incremental.py
compares every file). Whenever that cannot be shown cheaply, the full build
runs instead and reports exactly as always: any issue at all (a warning
included), a file added, removed or renamed, an archived text changed, a key,
reference or status changed, a changed schema, code, library, `datapackage.yaml`,
release notes or frozen manifest, or a release folder touched since (its files'
stat keys). `PAKAFG_INCREMENTAL=0` turns it off, and `PAKAFG_NO_CACHE=1` with the record cache.

The state lives in `.pakafg-cache/build/` (local, never committed): `state.pickle`
(plain data, read with the cache's restricted unpickler), one Arrow file per
table and the SQLite database as filled before `VACUUM INTO`. It is bound to
the files on this disk (inode and change time), so a state copied from elsewhere
never matches; its Arrow files are parsed only after that is shown. It is
forgotten before a rebuild updates its SQLite database in place, and written
again (atomically: `state.pickle` last) after each build that publishes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import stat
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from importlib import metadata
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import __version__, derived
from .cache import CACHE_DIR, RACY_SECONDS, SafeUnpickler, cache_folder, stat_key
from .cache import fingerprint as cache_fingerprint
from .export import codebook, csv, relative_path, sqlite
from .export.datapackage import SUMS_FILE
from .load import folder_issues
from .records import Collection, Row, read_record_file, record_files, table_reader
from .release import manifest_path
from .schemas import LIST_KEYS_ID_FIELD, LIST_KEYS_TABLE_FIELD, PackageSpec, TableSpec
from .tables import PATH_COLUMN, row_order, sort_rows, to_arrow
from .validate.formulas import check_formula_text
from .validate.frame import check_frame
from .validate.provenance import _safe_source_path, check_numbers, load_source_texts, locate_quotes, sources_base

STATE_DIR = "build"
STATE_FILE = "state.pickle"
FORMAT = 1
_CODE_DIR = Path(__file__).resolve().parent
_NO_KEY = (-1, -1, -1, -1)  # a file's stat key as stored when it changed too recently to trust one (cache.py)
# besides keys, foreign keys and `status`: what every citation of a source depends on (validate/provenance.py)
_CONTEXT_FIELDS = {"sources": ("file", "sha256")}


def enabled() -> bool:
    """Off with `PAKAFG_INCREMENTAL=0`, and with the record cache (`PAKAFG_NO_CACHE=1`): both trust files on disk
    to be what they were."""
    return os.environ.get("PAKAFG_NO_CACHE", "") in ("", "0") and os.environ.get("PAKAFG_INCREMENTAL", "") != "0"


def state_dir(spec: PackageSpec) -> Path:
    return spec.root / CACHE_DIR / STATE_DIR


def fingerprint(spec: PackageSpec, target: Path, created: str | None, notes: str | None) -> str:
    """Everything a release depends on besides the record files and archived texts."""
    versions = "; ".join(f"{name} {_version(name)}" for name in ("pandas", "pandera", "pyarrow", "numpy"))
    h = hashlib.sha256(f"incremental {FORMAT}; pakafg {__version__}; {versions}; sqlite {sqlite.sqlite3.sqlite_version}; "
                       f"{cache_fingerprint(spec)}; {os.path.abspath(target)}; {created}".encode())
    for path in sorted(_CODE_DIR.rglob("*.py")):  # every module: checks and exports included
        h.update(b"\0" + path.relative_to(_CODE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    h.update(b"\0notes\0" + (notes or "").encode())
    for path in codebook.inputs(spec.root):  # [codebook] files the release README, licence and citation are made from
        h.update(b"\0" + path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"\0missing"))
    manifest = manifest_path(spec.root, spec.version)
    h.update(b"\0manifest\0" + (manifest.read_bytes() if manifest.is_file() else b""))
    return h.hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _key_unless_racy(st: os.stat_result, since_ns: int) -> tuple | None:
    """The stat key, or None if the file changed too close to `since_ns` to trust it (hashed next time)."""
    if max(st.st_mtime_ns, st.st_ctime_ns) >= since_ns - int(RACY_SECONDS * 1e9):
        return None
    return stat_key(st)


# --- the state ---------------------------------------------------------------------------------------------------


@dataclass
class State:
    """What the last published build was made of (all plain data but `tables`)."""

    fingerprint: str
    target: str
    files: dict[str, tuple]  # record file -> (stat key | None, sha256 of the bytes read)
    table_files: dict[str, list[str]]  # record table -> its record files, in reading order
    folders: dict[str, tuple | None]  # record folder -> stat key | None
    texts: dict[str, tuple]  # archived text (as a source names it) -> (its real path, stat key | None, recorded sha256 | None)
    published: dict[str, tuple]  # release file -> (stat key, sha256)
    arrow: dict[str, str]  # table -> its Arrow file in the state folder
    working: str  # the SQLite database before VACUUM INTO, in the state folder
    csv_ends: dict[str, bytes]  # table -> where each row of its CSV file ends (int64 offsets)
    tables: dict[str, pa.Table] = field(default_factory=dict, repr=False)

    _PLAIN = ("fingerprint", "target", "files", "table_files", "folders", "texts", "published", "arrow", "working", "csv_ends")

    def plain(self) -> dict:
        """As plain data; the thousands of record files as three flat values (a tenth of the time to pickle)."""
        data = {"format": FORMAT, **{name: getattr(self, name) for name in self._PLAIN}}
        keys = [key or _NO_KEY for key, _ in self.files.values()]
        data["files"] = (list(self.files), array("q", chain.from_iterable(keys)).tobytes(),
                         bytes.fromhex("".join(digest for _, digest in self.files.values())))
        return data

    @classmethod
    def from_plain(cls, data: dict) -> State:
        paths, keys, digests = data["files"]
        flat = memoryview(keys).cast("q").tolist()
        keys = [None if key == _NO_KEY else key for key in zip(*[iter(flat)] * len(_NO_KEY))]
        digests = [digests[i:i + 32].hex() for i in range(0, len(digests), 32)]
        if not len(paths) == len(keys) == len(digests):
            raise ValueError("state: files do not add up")
        return cls(**{**{name: data[name] for name in cls._PLAIN}, "files": dict(zip(paths, zip(keys, digests)))})


def load_state(spec: PackageSpec) -> State | None:
    """The saved state, without its tables (`load_tables`); None if missing, foreign or unreadable."""
    try:
        with open(state_dir(spec) / STATE_FILE, "rb") as fh:
            data = SafeUnpickler(io.BufferedReader(fh)).load()
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        return State.from_plain(data)
    except Exception:  # noqa: BLE001 - a corrupt or foreign state only means a full build
        return None


def load_tables(spec: PackageSpec, state: State) -> bool:
    """Memory-map the state's tables, once it is known to describe this release; False if one cannot be read.

    Only then: the Arrow files are parsed after the state was shown to be this
    disk's own (a state planted in a commit cannot match the release's inodes).
    """
    folder = state_dir(spec)
    try:
        for name in spec.tables:
            with pa.memory_map(str(folder / state.arrow[name])) as source:
                table = pa.ipc.open_file(source).read_all()
            table.validate()
            state.tables[name] = table
        return True
    except Exception:  # noqa: BLE001 - see load_state
        return False


def _unique_name(folder: Path, prefix: str, suffix: str) -> str:
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.close(fd)
    return os.path.basename(path)


def new_working_file(spec: PackageSpec) -> Path:
    """A fresh path in the state folder for the next SQLite working database."""
    folder = cache_folder(spec.root, STATE_DIR)
    return folder / _unique_name(folder, "working-", ".sqlite")


def write_tables(spec: PackageSpec, state: State, tables: dict[str, pa.Table], changed: set[str] | None = None) -> bool:
    """Write the changed tables (all if `changed` is None) as Arrow files of the state; False if that failed."""
    try:
        folder = cache_folder(spec.root, STATE_DIR)
        for name, table in tables.items():
            if changed is not None and name not in changed and name in state.arrow:
                continue
            file = _unique_name(folder, f"{name}-", ".arrow")
            with pa.OSFile(str(folder / file), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            state.arrow[name] = file
        return True
    except Exception:  # noqa: BLE001 - a state that cannot be written only costs the next build its speed
        return False


def unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def save_state(spec: PackageSpec, state: State, remove=unlink_quietly) -> None:
    """Write `state.pickle` atomically (after `write_tables`), then drop the files of earlier states (by `remove`,
    which may do it on another thread). Never raises."""
    import pickle

    folder = state_dir(spec)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(state.plain(), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / STATE_FILE)
    except Exception:  # noqa: BLE001 - see write_tables
        discard_state(spec)  # never leave a state that may not match the release
        return
    keep = {STATE_FILE, state.working, *state.arrow.values()}
    for entry in os.listdir(folder):  # the tables and database of earlier builds
        if entry not in keep:
            remove(folder / entry)


def discard_state(spec: PackageSpec) -> None:
    """Forget the last build (the next one is a full build)."""
    with contextlib.suppress(OSError):
        (state_dir(spec) / STATE_FILE).unlink()


def save_release(spec: PackageSpec, state: State, writer: Writer, target: Path, hashes: dict[str, str], remove=unlink_quietly) -> None:
    """Record in `state` the release a build just published (with `writer`) and save it (after `write_tables`)."""
    state.published, state.working = published_keys(target, hashes), writer.working_out.name
    state.csv_ends.update(writer.csv_ends)
    save_state(spec, state, remove)


def published_keys(target: Path, hashes: dict[str, str]) -> dict[str, tuple]:
    """Stat key and sha256 of every file of the release just published (`hashes`: all but SHA256SUMS)."""
    keys = {relative: (stat_key(os.lstat(target / relative)), digest) for relative, digest in hashes.items()}
    sums = target / SUMS_FILE
    keys[SUMS_FILE] = (stat_key(os.lstat(sums)), hashlib.sha256(sums.read_bytes()).hexdigest())
    return keys


def text_keys(spec: PackageSpec, sources: pa.Table, since_ns: int) -> dict[str, tuple]:
    """(stat key | None, recorded sha256) of every source's archived text, as provenance.py reads it.

    A valid build checked each text against its recorded `sha256`, so that is the
    digest of the bytes it read, whatever happened to the file since.
    """
    keys = {}
    base, resolved_dirs = sources_base(spec.root), {}
    for relative, digest in zip(sources.column("file").to_pylist(), sources.column("sha256").to_pylist()):
        found = _safe_source_path(spec.root, relative, base, resolved_dirs) if relative is not None else None
        if found is not None:
            real, info = found
            if info is None:  # a symlink: its key is that of the file it leads to
                info = os.stat(real)
            keys[os.path.join(spec.root, relative)] = (real, _key_unless_racy(info, since_ns), digest)
    return keys


def folder_keys(spec: PackageSpec, since_ns: int) -> dict[str, tuple | None]:
    return {t.directory: _key_unless_racy(os.lstat(spec.root / t.directory), since_ns)
            for t in spec.record_tables() if (spec.root / t.directory).is_dir()}


def full_build_state(spec: PackageSpec, coll: Collection, tables: dict[str, pa.Table], fingerprint_: str, target: Path,
                     started_ns: int, working: Path) -> State | None:
    """The state of a full build, from what it read; None if some file was not read through the record cache."""
    if set(coll.file_keys) != set(coll.files):
        return None
    table_files = {t.name: [] for t in spec.record_tables()}
    folders = {f"{t.directory}/": t.name for t in spec.record_tables()}
    for path in coll.files:  # in reading order; a file added while the build ran changed its folder's stat key
        table_files[folders[path[:path.rindex("/") + 1]]].append(path)
    return State(fingerprint=fingerprint_, target=os.path.abspath(target), files=dict(coll.file_keys), table_files=table_files,
                 folders=folder_keys(spec, started_ns), texts=text_keys(spec, tables["sources"], started_ns), published={},
                 arrow={}, working=working.name, csv_ends={})


# --- the rebuild ---------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """A rebuild that was shown to give the full build's result: the tables to publish and where they changed."""

    spec: PackageSpec
    state: State
    tables: dict[str, pa.Table]  # with PATH_COLUMN
    changed_tables: set[str]
    positions: dict[str, np.ndarray | None]  # changed table -> where its edited rows are (None: rows moved, rewrite it)
    unchanged: bool = False
    edited: list[str] = field(default_factory=list)  # the record files read again


class Writer:
    """How a build that keeps a state writes its release (`build.write_release`'s `writer`).

    In a full build it only notes what the next rebuild needs: each CSV row's end
    offset and the SQLite database before VACUUM INTO (to `working_out`). In a
    rebuild (`plan` given) it hard-links the unchanged tables' files from the last
    release (`target`), replaces only the edited rows in the changed CSV files
    (export/csv.py `splice`) and updates those rows in the SQLite database
    (export/sqlite.py `update_package`); each gives the bytes a full build writes.
    """

    def __init__(self, spec: PackageSpec, working_out: Path, plan: Plan | None = None, target: Path | None = None):
        self.spec, self.working_out, self.plan, self.target = spec, working_out, plan, target
        self.csv_ends: dict[str, bytes] = {}

    def file(self, exporter, name: str, table: pa.Table, staging: Path) -> tuple[Path, str | None] | None:
        """Write one table's file of one format; (path, its sha256 if known) or None for the exporter's own `write`."""
        plan, relative = self.plan, relative_path(exporter, name)
        if plan is not None and name not in plan.changed_tables:
            return self._link(relative, staging)
        if exporter is not csv:
            return None
        ends: list = []
        previous = plan.state.csv_ends.get(name) if plan is not None else None
        positions = plan.positions.get(name) if plan is not None else None
        path = None
        if previous is not None and positions is not None:
            try:
                path = csv.splice(name, table, positions, self.target / relative, np.frombuffer(previous, np.int64),
                                  staging, ends)
            except ValueError:  # the last release's file is not the one the state describes
                ends = []
        if path is None:
            path = csv.write(name, table, staging, ends)
        self.csv_ends[name] = ends[0].tobytes()
        return path, None

    def packages(self, tables: dict[str, pa.Table], staging: Path):
        """The writer of the one-file formats: update the last SQLite database, or fill a new one."""
        plan = self.plan

        def write():
            if plan is not None and not plan.changed_tables:  # no row changed (a comment edited?): the same database
                relative = sqlite.file_name(self.spec)
                return [self._link(relative, staging)]
            path = None
            if plan is not None and all(p is not None for p in plan.positions.values()):
                path = sqlite.update_package(self.spec, tables, staging, state_dir(self.spec) / plan.state.working,
                                             {name: p.tolist() for name, p in plan.positions.items()}, self.working_out)
            return [(path or sqlite.write_package(self.spec, tables, staging, working=self.working_out), None)]
        return write

    def _link(self, relative: str, staging: Path) -> tuple[Path, str]:
        """The last release's file of an unchanged table or package, and its known sha256."""
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # the same bytes: share them (nothing new to flush to disk), as `cp -l` snapshots do
            os.link(self.target / relative, path)
        except OSError:  # a file system without hard links
            shutil.copyfile(self.target / relative, path)
        return path, self.plan.state.published[relative][1]


def _changed_files(spec: PackageSpec, state: State) -> tuple[list[tuple[str, str, os.stat_result]], dict] | None:
    """(table, path, stat) of every record file whose bytes differ from the last build, and refreshed keys of
    files only touched; None if a record file or folder entry was added, removed or renamed."""
    root = str(spec.root) + os.sep
    changed, refreshed = [], {}
    now = time.time_ns()
    for table in spec.record_tables():
        folder = spec.root / table.directory
        paths = state.table_files.get(table.name, [])
        try:
            key = stat_key(os.lstat(folder))
        except OSError:
            if paths:
                return None
            continue
        if key != state.folders.get(table.directory):  # entries may have changed: list the folder as a full build would
            if folder_issues(folder, table.directory, other_files_ok=table.name == "sources"):
                return None
            if [path for _, path in record_files(spec, table)] != paths:
                return None
        for path in paths:
            try:
                st = os.lstat(root + path)
            except OSError:
                return None
            stored, digest = state.files[path]
            if stored is not None and stat_key(st) == stored:
                continue
            if not stat.S_ISREG(st.st_mode):
                return None
            with open(root + path, "rb") as fh:
                data = fh.read()
            if hashlib.sha256(data).hexdigest() == digest:
                refreshed[path] = (_key_unless_racy(st, now), digest)
            else:
                changed.append((table.name, path, st))
    return changed, refreshed


def _texts_unchanged(state: State) -> bool:
    """Every archived text is as the last build read it (its stat key, else its recorded sha256)."""
    now = time.time_ns()
    for path, (real, key, digest) in state.texts.items():
        try:
            st = os.stat(path)  # through a symlink, as the build read it
            if key is not None and stat_key(st) == key:
                continue
            if digest is None or os.path.realpath(path) != real:
                return False
            with open(real, "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != digest:
                    return False
            state.texts[path] = (real, _key_unless_racy(st, now), digest)
        except OSError:
            return False
    return True


def _release_intact(state: State, target: Path) -> bool:
    """The last release's folder holds just the files the state describes, none rewritten, removed or added."""
    try:
        if os.path.abspath(target) != state.target or not state.published:
            return False
        if {p.relative_to(target).as_posix() for p in target.rglob("*") if not p.is_dir()} != set(state.published):
            return False
        return all(stat_key(os.lstat(target / relative)) == key for relative, (key, _) in state.published.items())
    except OSError:
        return False


def _read(spec: PackageSpec, changed: list[tuple[str, str, os.stat_result]]) -> tuple[dict[str, list[Row]], dict] | None:
    """Rows of the changed files by table, and their new (stat key, digest); None if reading found any issue."""
    rows: dict[str, list[Row]] = {name: [] for name in spec.tables}
    keys = {}
    now = time.time_ns()
    readers = {}
    for name, path, st in changed:
        table = spec.tables[name]
        if name not in readers:
            readers[name] = table_reader(spec, table)
        result = read_record_file(readers[name], spec.root / path, path)
        if result.issues or result.digest is None:
            return None
        for row in result.rows:
            rows[row.table].append(row)
        keys[path] = (_key_unless_racy(st, now), result.digest)
    return rows, keys


def _source_context(spec: PackageSpec, state: State, rows: dict[str, list[Row]]) -> list[Row]:
    """The unchanged sources cited by the changed rows, as rows (their text is what the quotes are checked against)."""
    cited = {r.cells.get("source_id") for name in ("claims", "citations") for r in rows.get(name, [])}
    cited -= {r.cells.get("source_id") for r in rows.get("sources", [])}
    cited.discard(None)
    if not cited:
        return []
    sources = state.tables["sources"]
    found = sources.filter(pc.is_in(sources["source_id"], value_set=pa.array(sorted(cited), pa.string())))
    return [Row("sources", cells.pop(PATH_COLUMN), 0, cells) for cells in found.to_pylist()]


def _row_checks(spec: PackageSpec, state: State, rows: dict[str, list[Row]]) -> bool:
    """Every check that depends on a row alone, on the changed rows: True if none finds anything.

    Fills in citation offsets and each quote's source characters, as a full validation does.
    """
    coll = Collection(spec=spec, rows=rows, issues=[])
    if check_formula_text(coll):
        return False
    context = _source_context(spec, state, rows)
    with_context = Collection(spec=spec, rows={**rows, "sources": rows["sources"] + context}, issues=[])
    texts, issues = load_source_texts(with_context)
    locate_quotes(with_context, texts, issues)  # adds each claim's quote to `citations` (the same list as rows["citations"])
    if issues or check_numbers(coll):
        return False
    return not any(check_frame(table, rows[name]) for name, table in spec.tables.items() if rows[name])


def _structural(spec: PackageSpec, table: TableSpec) -> list[str]:
    """The columns whole-table checks read: keys, foreign keys, the cited record, status, a source's text."""
    names = [*table.primary_key, *(f for fk in table.foreign_keys for f in fk["fields"])]
    names += [n for n in (LIST_KEYS_TABLE_FIELD, LIST_KEYS_ID_FIELD, "status", *_CONTEXT_FIELDS.get(table.name, ()))
              if n in table.field_names]
    return [n for n in dict.fromkeys(names) if n != "start"]  # a citation's offset is computed from its quote


def _same_rows(a: pa.Table, b: pa.Table) -> bool:
    """The same rows, whatever their order."""
    if a.num_rows != b.num_rows:
        return False
    return a.take(row_order(a, a.column_names)).equals(b.take(row_order(b, b.column_names)))


def _keys_unique(table: TableSpec, patched: pa.Table) -> bool:
    """No primary key twice and none null (rows sorted by it): then the order of the rows is the full build's."""
    names = table.primary_key or table.field_names
    n = patched.num_rows
    if n < 2:
        return True
    same = None
    for name in names:
        column = patched.column(name)
        if column.null_count:
            return False
        equal = pc.equal(column.slice(0, n - 1), column.slice(1))
        same = equal if same is None else pc.and_(same, equal)
    return not pc.any(same).as_py()


def _in_order(table: TableSpec, patched: pa.Table, slots: np.ndarray) -> bool:
    """Each row at `slots` sorts strictly between its neighbours (by primary key, as `tables.sort_rows` orders)."""
    names, n = table.primary_key or table.field_names, patched.num_rows
    around = sorted({int(p) + d for p in slots for d in (-1, 0, 1) if 0 <= int(p) + d < n})
    keys = dict(zip(around, zip(*(patched.column(name).take(pa.array(around, pa.int64())).to_pylist() for name in names))))
    try:  # Python orders str by code point, as Arrow orders UTF-8; numbers and dates alike
        return all(keys[q] < keys[q + 1] for p in slots for q in (int(p) - 1, int(p)) if q >= 0 and q + 1 < n)
    except TypeError:  # a null in a key: let the full sort decide
        return False


def _patch_table(table: TableSpec, old: pa.Table, mask: pa.Array, new: pa.Table) -> tuple[pa.Table, np.ndarray | None]:
    """`old` with the rows at `mask` replaced by `new`, in published order; and where the new rows are, if they
    took the places of the rows they replace (the usual edit), else None."""
    slots = pc.indices_nonzero(mask).to_numpy()
    if len(slots) == new.num_rows:  # put each new row, in order, where an old one was: a few slices, no sort
        pieces, at = [], 0
        for j, slot in enumerate(slots):
            pieces += [old.slice(at, slot - at), new.slice(j, 1)]
            at = int(slot) + 1
        patched = pa.concat_tables([*pieces, old.slice(at)]).combine_chunks()
        if _in_order(table, patched, slots):
            return patched, slots
    patched = sort_rows(table, pa.concat_tables([old.filter(pc.invert(mask)), new]).combine_chunks())
    return patched, None


def _patch(spec: PackageSpec, state: State, rows: dict[str, list[Row]], paths: set[str]) -> Plan | None:
    """The tables with the changed files' rows replaced; None unless only row-local columns changed."""
    files = pa.array(sorted(paths), pa.string())
    tables, positions, changed = {}, {}, set()
    for name, table in spec.tables.items():
        if table.is_derived:  # [derived] recomputed from the patched tables in `plan`
            continue
        old = state.tables[name]
        mask = pc.is_in(old[PATH_COLUMN], value_set=files)
        if not rows[name] and not pc.any(mask).as_py():
            tables[name] = old
            continue
        new = to_arrow(table, rows[name], paths=True)
        if _same_rows(old.filter(mask), new):  # e.g. the citations of a claim whose summary was edited
            tables[name] = old  # its files are the last release's: hard-linked, nothing rewritten
            continue
        columns = _structural(spec, table)
        if not _same_rows(old.filter(mask).select(columns), new.select(columns)):
            return None
        tables[name], positions[name] = _patch_table(table, old, mask, new)
        if not _keys_unique(table, tables[name]):
            return None
        changed.add(name)
    return Plan(spec, state, tables, changed, positions)


def plan(spec: PackageSpec, target: Path, fingerprint_: str) -> Plan | None:
    """A rebuild of `target` from the saved state, or None: then a full build must run. Call it under the build lock."""
    state = load_state(spec)
    if state is None or state.fingerprint != fingerprint_ or not _release_intact(state, target):
        return None
    found = _changed_files(spec, state)
    if found is None or not _texts_unchanged(state) or not load_tables(spec, state):
        return None
    changed, refreshed = found
    state.files.update(refreshed)
    if not changed:
        return Plan(spec, state, state.tables, set(), {}, unchanged=True)
    read = _read(spec, changed)
    if read is None:
        return None
    rows, keys = read
    if not _row_checks(spec, state, rows):
        return None
    result = _patch(spec, state, rows, set(keys))
    if result is None:
        return None
    # [derived] the derived tables, recomputed from the patched ones; only those that differ are written again
    result.tables, moved = derived.patch(spec, state.tables, result.tables)
    result.changed_tables |= set(moved)
    result.positions.update(moved)
    state.files.update(keys)
    result.edited = sorted(keys)
    if rows["sources"]:  # an edited source record: its text's key (its path is structural, so unchanged)
        state.texts.update(text_keys(spec, to_arrow(spec.tables["sources"], rows["sources"]), time.time_ns()))
    return result
