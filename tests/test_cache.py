"""The record cache: reused only when nothing it depends on changed, and never at the cost of a wrong answer."""

from __future__ import annotations

import os
import pickle

from pakafg import validate
from pakafg.cache import CACHE_DIR, CACHE_FILE, RecordCache
from pakafg.schemas import load_package_spec

from conftest import edit

ACTOR = "tables/actors/pakistan.yaml"


def _codes(result) -> set[tuple]:
    return {(i.code, i.path, i.line, i.field) for i in result.report.issues}


def _cache_stats(root) -> tuple[int, int]:
    """(hits, misses) a fresh run would have: the files it can reuse and those it must read."""
    from pakafg.records import collect

    spec = load_package_spec(root)
    cache = RecordCache(spec)
    collect(spec, cache=cache)
    return cache.hits, cache.misses


def _age(root, seconds: float = 10.0) -> None:
    """Make every file look older than the cache's racy window, as between two real sessions."""
    past = os.stat(root / "datapackage.yaml").st_mtime - seconds
    for dirpath, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(dirpath, name), (past, past))


def _rows(result) -> dict:
    return {t: sorted(repr(sorted(r.cells.items(), key=lambda kv: kv[0])) for r in rows)
            for t, rows in result.collection.rows.items()}


def test_second_run_reuses_every_file_and_agrees_with_an_uncached_run(package):
    _age(package)
    first = validate(package)
    assert (package / CACHE_DIR / CACHE_FILE).is_file()
    hits, misses = _cache_stats(package)
    assert misses == 0 and hits == len(first.collection.files)
    cached = validate(package)
    uncached = validate(package, cache=False)
    assert cached.valid and uncached.valid
    assert _rows(cached) == _rows(uncached)
    assert [r.path for r in cached.collection.rows["claims"]] == [r.path for r in uncached.collection.rows["claims"]]


def test_edited_record_is_read_again(package):
    _age(package)
    validate(package)
    edit(package / ACTOR, "actor_type: state", "actor_type: stat")  # same size, possibly the same mtime tick
    result = validate(package)
    assert ("enum", ACTOR, 3, "actor_type") in _codes(result)
    edit(package / ACTOR, "actor_type: stat", "actor_type: state")
    assert validate(package).valid


def test_same_size_edit_within_the_same_second_is_seen(package):
    """mtime and size are only a shortcut: a fresh file is re-hashed, whatever its stat says."""
    validate(package)
    path = package / ACTOR
    st = os.stat(path)
    edit(path, "name: Pakistan", "name: Pakistam")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime as when cached
    result = validate(package)
    names = [r.cells["name"] for r in result.collection.rows["actors"] if r.cells["actor_id"] == "pakistan"]
    assert names == ["Pakistam"]


def test_deleted_record_disappears(package):
    _age(package)
    validate(package)
    (package / "tables/places/balochistan.yaml").unlink()
    result = validate(package)
    place_ids = {r.cells["place_id"] for r in result.collection.rows["places"]}
    assert place_ids == {"pakistan"}
    assert ("foreign-key", "tables/events/train-hijacking.yaml") in {(i.code, i.path) for i in result.report.issues}


def test_schema_change_invalidates_the_cache(package):
    _age(package)
    validate(package)
    edit(package / "schemas/actors.yaml", "armed_group, person,", "person,")  # armed_group no longer allowed
    hits, misses = _cache_stats(package)
    assert hits == 0 and misses > 0
    result = validate(package)
    assert ("enum", "tables/actors/ttp.yaml", 3, "actor_type") in _codes(result)


def test_corrupt_cache_is_ignored_and_rebuilt(package):
    validate(package)
    cache_file = package / CACHE_DIR / CACHE_FILE
    cache_file.write_bytes(cache_file.read_bytes()[:100])  # truncated
    assert validate(package).valid
    cache_file.write_bytes(b"not a pickle at all")
    assert validate(package).valid
    assert pickle.loads(cache_file.read_bytes())["entries"]  # rewritten whole


def test_planted_cache_cannot_run_code(package, tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    validate(package)
    cache_file = package / CACHE_DIR / CACHE_FILE
    data = pickle.loads(cache_file.read_bytes())
    data["entries"]["tables/actors/pakistan.yaml"] = (None, "0" * 64, Exploit())
    cache_file.write_bytes(pickle.dumps(data))
    assert validate(package).valid
    assert not marker.exists()
    # the same exploit inside an entry's bytes, with the file's true digest and stat so it would be a hit
    validate(package)
    data = pickle.loads(cache_file.read_bytes())
    path = "tables/actors/pakistan.yaml"
    key, digest, _ = data["entries"][path]
    data["entries"][path] = (key, digest, pickle.dumps(Exploit()))
    cache_file.write_bytes(pickle.dumps(data))
    result = validate(package)
    assert result.valid and not marker.exists()
    assert any(r.path == path for r in result.collection.rows["actors"])  # read again from the file instead


def test_cache_is_not_committed(package):
    validate(package)
    assert (package / CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"


def test_no_cache_option_writes_nothing(package):
    validate(package, cache=False)
    assert not (package / CACHE_DIR).exists()


def test_fingerprint_covers_every_module_that_shapes_cached_rows():
    """The cache stores what records.read_record_file produces: every pakafg module it imports must be fingerprinted."""
    import ast
    from pathlib import Path

    import pakafg
    from pakafg.cache import CODE_FILES

    src = Path(pakafg.__file__).parent
    todo, seen = ["records.py"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        package = Path(name).parent
        for node in ast.walk(ast.parse((src / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 1 and node.module:
                base = package
                for _ in range(node.level - 1):
                    base = base.parent
                todo.append((base / (node.module.replace(".", "/") + ".py")).as_posix())
    assert seen <= set(CODE_FILES), f"add to cache.CODE_FILES: {sorted(seen - set(CODE_FILES))}"


def test_unchanged_package_does_not_rewrite_the_cache(package):
    _age(package)
    validate(package)
    cache_file = package / CACHE_DIR / CACHE_FILE
    validate(package)  # stamps the aged files' stat keys
    before = os.stat(cache_file)
    assert validate(package).valid
    after = os.stat(cache_file)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    edit(package / ACTOR, "name: Pakistan", "name: Pakistan ")
    validate(package)
    assert os.stat(cache_file).st_ino != before.st_ino  # a change is written (atomically: a new file)
