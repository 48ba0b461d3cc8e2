"""Reading on several processes gives exactly what reading one file after another gives."""

from __future__ import annotations

import dataclasses
import os

import pytest

from pakafg import records, validate
from pakafg.bench import generate
from pakafg.records import collect, reading_jobs
from pakafg.schemas import load_package_spec

from conftest import edit, make_package


def _snapshot(coll) -> tuple:
    rows = {t: [(r.path, r.line, r.cells, r.positions, sorted(r.bad)) for r in rs] for t, rs in coll.rows.items()}
    return rows, [dataclasses.astuple(i) for i in coll.issues], coll.files


@pytest.fixture
def always_parallel(monkeypatch):
    monkeypatch.setattr(records, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(records, "_CHUNK_FILES", 7)  # many chunks, so their order matters
    monkeypatch.setattr(records, "_IN_FLIGHT", 1)  # workers are handed few at a time: this process reads its share too


def test_generated_corpus_reads_the_same_on_two_processes(tmp_path, always_parallel, monkeypatch):
    root = tmp_path / "corpus"
    generate(root, 300, seed=3)
    spec = load_package_spec(root)
    one = collect(spec, jobs=1)
    assert sum(len(r) for r in one.rows.values()) > 300
    read_here = []
    real = records.read_record_file
    monkeypatch.setattr(records, "read_record_file", lambda *a: read_here.append(a[2]) or real(*a))
    for jobs in (2, 3):  # this process and one or two workers, each reading a share
        read_here.clear()
        assert _snapshot(collect(spec, jobs=jobs)) == _snapshot(one)
        assert 0 < len(read_here) < len(one.files)  # counted here only: the workers' reads happen in their own processes


def test_bad_records_give_the_same_issues_on_two_processes(tmp_path, always_parallel):
    root = make_package(tmp_path / "pkg")
    edit(root / "tables/actors/pakistan.yaml", "actor_type: state", "actor_type: stat\nnickname: x")
    (root / "tables/events/broken.yaml").write_text("event_id: broken\n  title: [unclosed\n", encoding="utf-8")
    spec = load_package_spec(root)
    one, two = collect(spec, jobs=1), collect(spec, jobs=2)
    codes = {i.code for i in one.issues}
    assert {"enum", "unknown-field", "yaml-syntax"} <= codes
    assert _snapshot(two) == _snapshot(one)


def test_validate_on_two_processes_fills_the_cache_like_one(tmp_path, always_parallel, monkeypatch):
    monkeypatch.setenv("PAKAFG_JOBS", "2")
    assert reading_jobs() == 2
    root = make_package(tmp_path / "pkg")
    first = validate(root)  # read on two processes, cache written
    again = validate(root)  # every file from the cache
    assert first.valid and again.valid
    assert _snapshot(again.collection) == _snapshot(first.collection)


def test_pakafg_jobs_one_reads_in_process(monkeypatch):
    monkeypatch.setenv("PAKAFG_JOBS", "1")
    assert reading_jobs() == 1


def _worker_dies(chunk):
    os._exit(1)  # as if the kernel killed the worker for memory


def test_files_of_a_dead_worker_are_read_in_process(tmp_path, always_parallel, monkeypatch):
    root = tmp_path / "corpus"
    generate(root, 150, seed=4)
    spec = load_package_spec(root)
    one = collect(spec, jobs=1)
    monkeypatch.setattr(records, "_read_chunk", _worker_dies)
    assert _snapshot(collect(spec, jobs=2)) == _snapshot(one)
