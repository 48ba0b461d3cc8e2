"""The benchmark: generated corpora of 1k / 10k / 100k records, every step timed in the same run.

Each measurement runs in a fresh Python process (so peak RSS is that step's
own) and reports the seconds of the work itself, after imports; the process's
wall time including interpreter start and imports is kept too. Ratios are taken
between numbers measured in the same run, because absolute times on a shared
machine are noisy.

Measured per corpus:

- **floor**: the fastest way to merely parse the same record files into Python
  (every candidate is timed; the fastest is the floor);
- **peer**: a naive pipeline — `yaml.safe_load` of every file, pandas frames,
  CSVs written with `to_csv`, then stock `frictionless validate` of those CSVs;
- `validate` and `build` cold (no cache), `build` warm (nothing changed), and
  `build` after editing one record;
- a cold build's time per stage (profile), and the peak RSS of each step.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .bench import edit_one_record, generate, plan

SIZES = (1_000, 10_000, 100_000)


def clock() -> float:
    """CPU seconds of this process (all its threads) and of its finished children (the processes reading records).

    Other jobs on a shared machine move CPU time far less than wall time.
    """
    t = os.times()  # children's times only come at this resolution (clock ticks)
    return time.process_time() + t.children_user + t.children_system


def _workers_rss_mib() -> float:
    """Peak resident memory of the largest child process (a reading worker), 0 if none ran."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports KiB
PROVENANCE_SHAPES = ((1_000, 100), (10_000, 1_000), (30_000, 3_000))  # (claims, sources)


# --- workers: each runs in its own process -------------------------------------------------

def _record_files(root: Path) -> list[Path]:
    from .records import record_files
    from .schemas import load_package_spec

    spec = load_package_spec(root)
    return [f for t in spec.record_tables() for f, _ in record_files(spec, t)]


def _work_floor(root: Path) -> dict:
    """Parse every record file with each candidate parser; the fastest one is the floor."""
    import yaml

    from .load import _StringLoader

    files = _record_files(root)
    candidates = {
        "yaml.compose (CParser, pakafg's string resolver)": lambda t: yaml.compose(t, Loader=_StringLoader),
        "yaml.compose (CBaseLoader)": lambda t: yaml.compose(t, Loader=yaml.CBaseLoader),
        "yaml.load (CBaseLoader)": lambda t: yaml.load(t, Loader=yaml.CBaseLoader),  # noqa: S506 - base loader builds plain data
        "yaml.load (CSafeLoader)": lambda t: yaml.load(t, Loader=yaml.CSafeLoader),  # noqa: S506
    }
    out, walls = {}, {}
    for name, parse in candidates.items():
        start, wall = clock(), time.perf_counter()
        for f in files:
            parse(f.read_bytes().decode("utf-8"))
        out[name], walls[name] = clock() - start, time.perf_counter() - wall
    best = min(out, key=out.get)
    return {"seconds": out[best], "wall_seconds": walls[best], "parser": best, "candidates": out, "files": len(files)}


def _peer_tables(root: Path) -> tuple[dict, dict]:
    """yaml.safe_load every record file and flatten child lists, as a naive pipeline would."""
    import yaml

    meta = yaml.safe_load((root / "datapackage.yaml").read_text(encoding="utf-8"))
    rows: dict[str, list[dict]] = {r["name"]: [] for r in meta["resources"]}
    children = {}
    for r in meta["resources"]:
        rec = r.get("records", {})
        if "parent" in rec:
            for parent in [rec["parent"]] if isinstance(rec["parent"], str) else rec["parent"]:
                children.setdefault(parent, []).append((r["name"], rec["key"]))
    for r in meta["resources"]:
        rec = r.get("records", {})
        if "dir" not in rec:
            continue
        for path in sorted((root / rec["dir"]).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            records = data if isinstance(data, list) else [data]
            for record in records:
                if "group_by" in rec:
                    record[rec["group_by"]] = path.stem
                rid = record.get(r["name"][:-1] + "_id")
                for child, key in children.get(r["name"], []):
                    for item in record.pop(key, None) or []:
                        item = dict(item) if isinstance(item, dict) else {"alias": item}
                        if child == "citations":
                            item.update(record_table=r["name"], record_id=rid)
                        else:
                            item[f"{r['name'][:-1]}_id"] = rid
                        rows[child].append(item)
                rows[r["name"]].append(record)
    return meta, rows


def _work_peer(root: Path) -> dict:
    """Naive peer: safe_load + pandas + to_csv + stock frictionless validate of the CSVs."""
    import pandas as pd
    from frictionless import Package

    from .schemas import load_package_spec, public_descriptor

    start, wall = clock(), time.perf_counter()
    _, rows = _peer_tables(root)
    spec = load_package_spec(root)
    parsed = clock() - start
    out = Path(tempfile.mkdtemp(prefix="pakafg-peer-"))
    try:
        resources = []
        for name, table in spec.tables.items():
            columns = table.field_names
            frame = pd.DataFrame(rows[name], columns=columns)
            for f in table.fields:
                if f.get("x-default") is not None:
                    frame[f["name"]] = frame[f["name"]].fillna(f["x-default"])
            frame.to_csv(out / f"{name}.csv", index=False)
            schema = public_descriptor(table.descriptor)
            if name == "citations":  # offsets are computed by pakafg only; the peer has none to key on
                schema.pop("primaryKey", None)
            resources.append({"name": name, "path": f"{name}.csv", "schema": schema})
        written = clock() - start
        report = Package({"name": "peer", "resources": resources}, basepath=str(out)).validate(limit_errors=10**9)
        seconds = clock() - start
        return {"seconds": seconds, "wall_seconds": time.perf_counter() - wall, "parse_seconds": parsed, "pandas_csv_seconds": written - parsed,
                "frictionless_seconds": seconds - written, "valid": report.valid,
                "errors": sum(len(t.errors) for t in report.tasks)}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _work_validate(root: Path) -> dict:
    from .validate import validate

    start, wall = clock(), time.perf_counter()
    result = validate(root)
    return {"seconds": clock() - start, "wall_seconds": time.perf_counter() - wall, "valid": result.valid,
            "workers_rss_mib": _workers_rss_mib(), "jobs": _jobs(),
            "rows": sum(len(r) for r in result.collection.rows.values())}


def _work_build(root: Path) -> dict:
    from .pipeline import build

    start, wall = clock(), time.perf_counter()
    result = build(root, out=Path(tempfile.gettempdir()) / f"pakafg-bench-out-{root.name}")
    return {"seconds": clock() - start, "wall_seconds": time.perf_counter() - wall, "unchanged": result.unchanged,
            "workers_rss_mib": _workers_rss_mib(), "jobs": _jobs(),
            "edited": None if result.edited is None else len(result.edited)}  # None: a full build


def _jobs() -> int:
    from .records import reading_jobs

    return reading_jobs()


def _work_stages_warm(root: Path) -> dict:
    """The same with the record cache as a rebuild finds it: what is left once no file needs parsing."""
    return _work_stages(root, warm=True)


def _work_stages(root: Path, warm: bool = False) -> dict:
    """A cold build split into its stages (no cache), to see where the time goes."""
    from . import tables
    from .pipeline import write_release
    from .records import check_primary_keys, collect
    from .schemas import load_package_spec
    from .validate.formulas import check_formula_text
    from .validate.frame import check_frame
    from .validate.links import check_links
    from .validate.provenance import check_provenance

    times, walls = {}, {}

    def timed(name, fn, *args):
        start, wall = clock(), time.perf_counter()
        value = fn(*args)
        times[name], walls[name] = clock() - start, time.perf_counter() - wall
        return value

    spec = timed("schemas", load_package_spec, root)
    if warm:
        from .cache import RecordCache

        cache = timed("load cache", RecordCache, spec)
        coll = timed("read + type (collect)", collect, spec, None, cache)
    else:
        coll = timed("read + type (collect)", collect, spec)
    timed("formula-like text", check_formula_text, coll)
    timed("provenance", check_provenance, coll)
    timed("primary keys", check_primary_keys, coll)
    timed("frame (pandera)", lambda: [check_frame(t, coll.rows[n]) for n, t in spec.tables.items()])
    timed("links", check_links, coll)
    compiled = timed("compile (Arrow)", tables.compile_tables, spec, coll.rows)
    staging = Path(tempfile.mkdtemp(prefix="pakafg-stages-"))
    try:
        timed("export (all formats)", write_release, spec, compiled, staging, None)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"seconds": sum(times.values()), "stages": times, "stage_walls": walls}


def _work_provenance(root: Path) -> dict:
    from .records import collect
    from .schemas import load_package_spec
    from .validate.provenance import check_provenance

    coll = collect(load_package_spec(root))
    claims = len(coll.rows["claims"])
    start = clock()
    issues = check_provenance(coll)
    return {"seconds": clock() - start, "claims": claims, "citations": len(coll.rows["citations"]),
            "sources": len(coll.rows["sources"]), "issues": len(issues)}


def _as_the_commands_run(fn):
    """Stage and provenance workers call the library's parts directly: run them with the GC paused, as validate/build do."""
    from .perf import paused_gc

    return paused_gc(fn)


WORKERS = {"floor": _work_floor, "peer": _work_peer, "validate": _work_validate, "build": _work_build,
           "stages": _work_stages, "stages_warm": _work_stages_warm, "provenance": _work_provenance}


def _load_lazily_loaded() -> None:
    """What the libraries import on first use rather than at import: frictionless' plugins, pandera's pandas backends.

    An import cost like the imports above (about 1 s together here), paid once per
    process whatever the package's size: kept out of the timing too.
    """
    import frictionless
    import pandas
    import pandera.pandas

    frictionless.system.plugins  # noqa: B018 - the property imports every plugin module
    pandera.pandas.DataFrameSchema().validate(pandas.DataFrame())


def worker_main(argv: list[str]) -> None:
    what, root = argv[0], Path(argv[1])
    import frictionless  # noqa: F401 - imports are the same fixed cost for every step: keep them out of the timing
    import pandas  # noqa: F401
    import pandera.pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    _load_lazily_loaded()
    work = WORKERS[what]
    result = (_as_the_commands_run(work) if what.startswith(("stages", "provenance")) else work)(root)
    print(json.dumps(result))


def measure(what: str, root: Path, env: dict | None = None) -> dict:
    """Run one worker in a fresh process; add its wall time (with imports) and peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pakafg.bench_run", what, str(root)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    peak_pss = 0
    while True:  # sample the memory of the command and its reading workers until it ends
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak_pss = max(peak_pss, sum(_pss_kib(p) for p in [proc.pid, *_children(proc.pid)]))
        time.sleep(0.1)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} on {root} failed ({proc.returncode}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["wall"] = wall
    result["rss_mib"] = usage.ru_maxrss / 1024  # Linux reports KiB
    if peak_pss:
        result["pss_mib"] = peak_pss / 1024
    return result


def _pss_kib(pid: int) -> int:
    """Proportional set size of a process (KiB; memory shared with forked workers counted once overall), 0 if unknown."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            return [int(c) for c in fh.read().split()]
    except (OSError, ValueError):
        return []


# --- the run ---------------------------------------------------------------------------------

def corpus(workdir: Path, records: int, seed: int, sources: int | None = None, claims: int | None = None) -> Path:
    """A generated corpus, reused if one with the same parameters exists."""
    name = f"n{records}-s{seed}" + (f"-src{sources}-c{claims}" if sources or claims else "")
    root = workdir / name
    stamp = root / ".generated"
    if not stamp.is_file():
        shutil.rmtree(root, ignore_errors=True)
        generate(root, records, seed=seed, sources=sources, claims=claims)
        stamp.write_text(json.dumps({"records": records, "seed": seed}))
    return root


def _clear_cache(root: Path) -> None:
    from .cache import CACHE_DIR

    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)


def bench_size(workdir: Path, records: int, seed: int, log) -> dict:
    start = time.perf_counter()
    root = corpus(workdir, records, seed)
    log(f"[{records}] corpus ready in {time.perf_counter() - start:.1f}s: {root}")
    res: dict = {"records": records, "counts": vars(plan(records))}
    res["floor"] = measure("floor", root)
    log(f"[{records}] floor {res['floor']['seconds']:.2f}s ({res['floor']['parser']})")
    res["peer"] = measure("peer", root)
    log(f"[{records}] peer {res['peer']['seconds']:.2f}s (valid={res['peer']['valid']})")
    _clear_cache(root)
    res["validate_cold"] = measure("validate", root)
    log(f"[{records}] validate cold {res['validate_cold']['seconds']:.2f}s")
    _clear_cache(root)
    res["build_cold"] = measure("build", root)
    log(f"[{records}] build cold {res['build_cold']['seconds']:.2f}s")
    time.sleep(2.1)  # let the files age past the cache's racy window, as between two real edits
    res["build_warm"] = measure("build", root)
    log(f"[{records}] build warm {res['build_warm']['seconds']:.2f}s")
    edit_one_record(root)
    res["rebuild_one_edit"] = measure("build", root)
    log(f"[{records}] rebuild after one edit {res['rebuild_one_edit']['seconds']:.2f}s (edited: {res['rebuild_one_edit']['edited']})")
    edit_one_record(root)  # the same, with the incremental build off: every record checked, the record cache only
    res["rebuild_one_edit_full"] = measure("build", root, env={"PAKAFG_INCREMENTAL": "0"})
    log(f"[{records}] rebuild after one edit, full {res['rebuild_one_edit_full']['seconds']:.2f}s")
    res["stages_warm"] = measure("stages_warm", root)
    log(f"[{records}] stages warm {res['stages_warm']['stages']}")
    res["stages"] = measure("stages", root)
    log(f"[{records}] stages {res['stages']['stages']}")
    return res


def bench_provenance(workdir: Path, seed: int, log) -> list[dict]:
    out = []
    for claims, sources in PROVENANCE_SHAPES:
        root = corpus(workdir, claims, seed, sources=sources, claims=claims)
        r = measure("provenance", root)
        log(f"[provenance] {r['claims']} claims / {r['sources']} sources: {r['seconds']:.2f}s")
        out.append(r)
    return out


def machine() -> dict:
    import frictionless
    import pandas
    import pandera
    import pyarrow
    import yaml

    from . import __version__
    from .load import C_ACCELERATED

    try:
        mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.strip()
    except OSError:
        mem = "?"
    return {"nproc": os.cpu_count(), "free -g": mem, "platform": platform.platform(), "python": sys.version.split()[0],
            "versions": {"pakafg": __version__, "PyYAML": f"{yaml.__version__} (libyaml: {C_ACCELERATED})",
                         "frictionless": frictionless.__version__, "pandera": pandera.__version__,
                         "pandas": pandas.__version__, "pyarrow": pyarrow.__version__}}


def run(sizes=SIZES, workdir: str | Path | None = None, seed: int = 0, out: str | Path | None = None,
        provenance: bool = True, log=print) -> dict:
    """Run the whole benchmark; write the JSON and the Markdown table; return the results."""
    workdir = Path(workdir or Path(tempfile.gettempdir()) / "pakafg-bench")
    workdir.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seed": seed,
               "sizes": [bench_size(workdir, n, seed, log) for n in sizes]}
    if provenance:
        results["provenance"] = bench_provenance(workdir, seed, log)
    if out:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        out.write_text(render(results), encoding="utf-8")
    return results


def _rss(step: dict) -> str:
    """Peak RSS of the command (+ its largest reading worker's, once per worker), and the sampled total PSS."""
    workers = step.get("workers_rss_mib")
    text = f"{step['rss_mib']:.0f} MiB" + (f" + {step.get('jobs', 1)} x {workers:.0f} MiB" if workers else "")
    return text + (f" (PSS {step['pss_mib']:.0f} MiB)" if step.get("pss_mib") else "")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "–"


def _peak_memory(step: dict) -> float:
    """The step's peak memory: the sampled total PSS of the command and its reading workers (Linux), else its RSS
    plus each worker at its own peak RSS (an upper bound: pages shared with the forked workers count twice)."""
    if step.get("pss_mib"):
        return max(step["pss_mib"], step["rss_mib"])
    return step["rss_mib"] + step.get("jobs", 1) * step.get("workers_rss_mib", 0)


def targets(sizes: list[dict]) -> list[str]:
    """The issue's targets at the largest size, measured by both clocks, and whether each is met."""
    big = sizes[-1]
    walls = {k: big[k].get("wall_seconds", float("nan")) for k in ("floor", "peer", "build_cold", "rebuild_one_edit")}
    cpus = {k: big[k]["seconds"] for k in walls}
    rows = []
    for clock_name, t in (("wall", walls), ("CPU", cpus)):
        rows += [(f"cold build <= 2x the floor ({clock_name})", f"{t['build_cold'] / t['floor']:.2f}x", t["build_cold"] <= 2 * t["floor"]),
                 (f"cold build >= 5x faster than the naive peer ({clock_name})", f"{t['peer'] / t['build_cold']:.2f}x",
                  t["peer"] >= 5 * t["build_cold"]),
                 (f"rebuild after one edited record <= 1 s ({clock_name})", f"{t['rebuild_one_edit']:.2f} s", t["rebuild_one_edit"] <= 1.0)]
    if len(sizes) >= 2:
        a = sizes[-2]
        ratio = (cpus["build_cold"] / big["records"]) / (a["build_cold"]["seconds"] / a["records"])
        rows.append((f"time per record at {big['records']:,} within 1.5x of that at {a['records']:,} (CPU)", f"{ratio:.2f}x", ratio <= 1.5))
    steps = ("validate_cold", "build_cold", "build_warm", "rebuild_one_edit", "rebuild_one_edit_full")
    peak = max(_peak_memory(big[k]) for k in steps)
    rows.append(("peak memory < 1 GiB (the command and its reading workers)", f"{peak:.0f} MiB", peak < 1024))
    out = [f"## Targets at {big['records']:,} records", "", "| target | measured | met |", "|---|---:|:---:|"]
    out += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in rows]
    return out


def render(results: dict) -> str:
    """RESULTS.md: machine, one table of times and ratios, stages, provenance."""
    m = results["machine"]
    lines = ["# Benchmark results", "",
             f"Measured {results['date']} by `pakafg bench run` (seed {results['seed']}); every number below comes "
             "from this one run. Times are **CPU seconds** (user + system, all threads, plus the processes that read "
             "record files in parallel) of the work inside a fresh process, after imports: other jobs on this shared "
             "2-core machine inflate wall time but barely move CPU time. A build reads records on every core, so the "
             "**wall** time a user waits is shorter than its CPU time; both are given, and the targets are checked "
             "against both. Peak RSS is the process's maximum resident memory (+ the largest reading worker's); the "
             "memory target is checked against the peak total PSS of the command and its workers, sampled every 0.1 s "
             "(pages a forked worker shares with its parent count once).", "",
             f"Machine: {m['nproc']} cores, {m['platform']}, Python {m['python']}.", "", "```", m["free -g"], "```", "",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".", "",
             "## Times and ratios", "",
             "| records | files | floor | peer | validate cold | build cold | build warm | rebuild after 1 edit | rebuild after 1 edit, full | peak RSS (build cold) | build/floor | peer/build | build/floor (wall) | peer/build (wall) | s per 1k records (build cold) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["sizes"]:
        floor, peer, build = r["floor"]["seconds"], r["peer"]["seconds"], r["build_cold"]["seconds"]
        lines.append(
            f"| {r['records']:,} | {r['floor']['files']:,} | {floor:.2f} | {peer:.2f} | {r['validate_cold']['seconds']:.2f} | "
            f"{build:.2f} | {r['build_warm']['seconds']:.2f} | {r['rebuild_one_edit']['seconds']:.2f} | "
            f"{r['rebuild_one_edit_full']['seconds']:.2f} | {_rss(r['build_cold'])} | {_ratio(build, floor)} | {_ratio(peer, build)} | "
            f"{_ratio(r['build_cold'].get('wall_seconds', 0), r['floor'].get('wall_seconds', 0))} | "
            f"{_ratio(r['peer'].get('wall_seconds', 0), r['build_cold'].get('wall_seconds', 0))} | "
            f"{1000 * build / r['records']:.3f} |")
    sizes = results["sizes"]
    lines += ["", "*build warm*: the same build again, nothing changed. *rebuild after 1 edit*: one claim's summary edited, "
                  "then `build` (incremental: " + "; ".join(
                      f"{r['records']:,}: " + ("a full build" if r["rebuild_one_edit"].get("edited") is None
                                               else f"{r['rebuild_one_edit']['edited']} file read")
                      for r in sizes) + "). *full*: the same with `PAKAFG_INCREMENTAL=0`, every record checked, parsing "
                  "saved by the record cache.", ""]
    lines += [*targets(sizes)]
    lines += ["", "Floor parser (fastest candidate at each size): " + "; ".join(
        f"{r['records']:,}: {r['floor']['parser']}" for r in sizes) + ".", "",
        "Peer pipeline split (parse / pandas + CSV / frictionless validate), and whether stock frictionless found the CSVs valid:", ""]
    for r in sizes:
        p = r["peer"]
        lines.append(f"- {r['records']:,}: {p['parse_seconds']:.2f} / {p['pandas_csv_seconds']:.2f} / "
                     f"{p['frictionless_seconds']:.2f} s, valid={p['valid']} ({p['errors']} errors)")
    steps = ("validate_cold", "build_cold", "build_warm", "rebuild_one_edit", "rebuild_one_edit_full")
    lines += ["", "Wall seconds: of the work (as the CPU times above) / of the whole command including interpreter "
                  "start and imports:", "",
              "| records | floor | peer | validate cold | build cold | build warm | rebuild after 1 edit | rebuild after 1 edit, full |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sizes:
        cells = [f"{r[k].get('wall_seconds', float('nan')):.2f} / {r[k]['wall']:.2f}" for k in steps]
        lines.append(f"| {r['records']:,} | {r['floor'].get('wall_seconds', float('nan')):.2f} | "
                     f"{r['peer'].get('wall_seconds', float('nan')):.2f} | " + " | ".join(cells) + " |")
    stage_names = list(sizes[0]["stages"]["stages"])
    lines += ["", "## Where a cold build spends its time (s)", "",
              "| records | " + " | ".join(stage_names) + " |", "|---:|" + "---:|" * len(stage_names)]
    for r in sizes:
        lines.append(f"| {r['records']:,} | " + " | ".join(f"{r['stages']['stages'][s]:.2f}" for s in stage_names) + " |")
    if all("stage_walls" in r["stages"] for r in sizes):
        lines += ["", "The same stages in wall seconds (reading uses every core, so its wall time is below its CPU time):", "",
                  "| records | " + " | ".join(stage_names) + " |", "|---:|" + "---:|" * len(stage_names)]
        for r in sizes:
            lines.append(f"| {r['records']:,} | " + " | ".join(f"{r['stages']['stage_walls'][s]:.2f}" for s in stage_names) + " |")
    if all("stages_warm" in r for r in sizes):
        warm_names = list(sizes[0]["stages_warm"]["stages"])
        lines += ["", "## Where a full rebuild spends its time, every file cached (s)", "",
                  "The stages of a build with `PAKAFG_INCREMENTAL=0` after an edit: parsing saved by the record cache, "
                  "every check and export on all rows.", "",
                  "| records | " + " | ".join(warm_names) + " |", "|---:|" + "---:|" * len(warm_names)]
        for r in sizes:
            lines.append(f"| {r['records']:,} | " + " | ".join(f"{r['stages_warm']['stages'][s]:.2f}" for s in warm_names) + " |")
    if results.get("provenance"):
        lines += ["", "## Provenance checks (quotes, offsets, hashes, numbers)", "",
                  "Each quote is searched only in its own source's folded text, which is read, hashed and folded once.", "",
                  "| claims | sources | citations checked | seconds | ms per citation |", "|---:|---:|---:|---:|---:|"]
        for p in results["provenance"]:
            lines.append(f"| {p['claims']:,} | {p['sources']:,} | {p['citations']:,} | {p['seconds']:.2f} | "
                         f"{1000 * p['seconds'] / max(1, p['citations']):.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    worker_main(sys.argv[1:])
