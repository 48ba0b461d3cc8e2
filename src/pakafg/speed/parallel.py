"""Reading record files on every core: forked workers read runs of files, each run sent back as one batch.

Each file is read on its own, so the rows and issues are exactly those of
reading the files one after another (`read.read_package` puts rows in file
order whatever the order batches come in). A batch crosses processes as Arrow
IPC (each table's rows) and plain tuples (each file's issues): both cheap to
send and to take back. Workers inherit the table readers through fork (Linux
only; elsewhere, and for small packages, files are read in this process).
Ctrl-C stops everything; a worker that dies leaves its files to be read here.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..read import Batch, TableReader, read_batch
from .cache import SafeUnpickler, issues_from, plain_issues

MIN_FILES = 2_000  # below this, starting workers and sending batches back costs more than it saves
CHUNK = 500  # files per task
_readers: dict[str, TableReader] = {}  # set just before the workers fork; they inherit it


def jobs() -> int:
    """Processes to read with: PAKAFG_JOBS, else every CPU this process may use; 1 where fork is not safe."""
    wanted = os.environ.get("PAKAFG_JOBS", "")
    n = int(wanted) if wanted.isdigit() and int(wanted) > 0 else len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return n if sys.platform.startswith("linux") else 1


def pack(batch: Batch) -> bytes:
    """A batch as bytes: each table as an Arrow IPC stream, each file's issues as plain tuples."""
    import pyarrow as pa

    tables = {}
    for name, table in batch.tables.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        tables[name] = sink.getvalue().to_pybytes()
    files = {path: (plain_issues(issues), records, digest) for path, (issues, records, digest) in batch.files.items()}
    return pickle.dumps((tables, files, batch.hidden), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes) -> Batch:
    import pyarrow as pa

    tables, files, hidden = SafeUnpickler(__import__("io").BytesIO(data)).load()
    return Batch({name: pa.ipc.open_stream(blob).read_all() for name, blob in tables.items()},
                 {path: (issues_from(issues), records, digest) for path, (issues, records, digest) in files.items()}, hidden)


def _quiet() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the whole group: the parent handles it


def _read_chunk(chunk: list[tuple[str, str, str]]) -> bytes:
    return pack(read_batch(_readers, [(table, Path(file), path) for table, file, path in chunk]))


def read_in_workers(readers: dict[str, TableReader], todo: list[tuple[str, Path, str]], min_files: int = MIN_FILES) -> list[Batch]:
    """The batches of `todo`, read by `jobs()` worker processes when there are enough files, else here."""
    global _readers
    workers = jobs()
    if workers <= 1 or len(todo) < min_files:
        return [read_batch(readers, todo)]
    chunks = [[(t, str(f), p) for t, f, p in todo[i:i + CHUNK]] for i in range(0, len(todo), CHUNK)]
    _readers = readers
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_quiet) as pool:
            futures = [pool.submit(_read_chunk, chunk) for chunk in chunks]
            out = []
            for chunk, future in zip(chunks, futures):
                try:
                    out.append(unpack(future.result()))
                except BrokenProcessPool:  # a worker died (killed for memory?): read its files here
                    out.append(read_batch(readers, [(t, Path(f), p) for t, f, p in chunk]))
            return out
    except OSError:  # no process could be started (limits, a sandbox): read here
        return [read_batch(readers, todo)]
    finally:
        _readers = {}
