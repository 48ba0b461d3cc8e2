"""Reading record files on every core: forked workers read runs of files and send each file's reading back packed.

Each file is read on its own, so the readings are exactly those of reading the
files one after another, in the same order. Workers inherit the table readers
through fork (Linux only; elsewhere, and for small packages, files are read in
this process). Ctrl-C stops everything; a worker that dies leaves its files to
be read here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..read import FileReading, TableReader, read_file
from .cache import pack

MIN_FILES = 2_000  # below this, starting workers and sending readings back costs more than it saves
CHUNK = 200  # files per task
_readers: dict[str, TableReader] = {}  # set just before the workers fork; they inherit it


def jobs() -> int:
    """Processes to read with: PAKAFG_JOBS, else every CPU this process may use; 1 where fork is not safe."""
    wanted = os.environ.get("PAKAFG_JOBS", "")
    n = int(wanted) if wanted.isdigit() and int(wanted) > 0 else len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return n if sys.platform.startswith("linux") else 1


def _quiet() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the whole group: the parent handles it


def _read_chunk(chunk: list[tuple[str, str, str]]) -> list[bytes]:
    return [pack(read_file(_readers[table], Path(file), path)) for table, file, path in chunk]


def read_packed(readers: dict[str, TableReader], todo: list[tuple[str, Path, str]], min_files: int = MIN_FILES) -> list[bytes | FileReading]:
    """Each file of `todo` read, in order: packed bytes from a worker, or a FileReading read here."""
    global _readers
    workers = jobs()
    if workers <= 1 or len(todo) < min_files:
        return [read_file(readers[table], file, path) for table, file, path in todo]
    chunks = [[(t, str(f), p) for t, f, p in todo[i:i + CHUNK]] for i in range(0, len(todo), CHUNK)]
    _readers = readers
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_quiet) as pool:
            futures = [pool.submit(_read_chunk, chunk) for chunk in chunks]
            out: list[bytes | FileReading] = []
            for chunk, future in zip(chunks, futures):
                try:
                    out += future.result()
                except BrokenProcessPool:  # a worker died (killed for memory?): read its files here
                    out += [read_file(readers[t], Path(f), p) for t, f, p in chunk]
            return out
    except OSError:  # no process could be started (limits, a sandbox): read here
        return [read_file(readers[table], file, path) for table, file, path in todo]
    finally:
        _readers = {}
