"""`pakafg bench run`: whole commands timed on generated corpora, each beside its floor, in one run.

Every measurement is a fresh process, timed as a user waits for it (wall
clock, interpreter start and imports included) and by the CPU time of the
process and its reading workers (steadier on a shared machine). Ratios are
only taken between numbers of the same run. Peak memory is the largest sum
of proportional set sizes (PSS) of the command and its workers, sampled.

Per corpus (1k / 10k / 100k records): the **floor** (the fastest plain parse
of the same files, PyYAML's C loaders, one process), a naive **peer**
(`yaml.safe_load` + pandas + `to_csv` + stock `frictionless validate`),
`pakafg validate` and `pakafg build` cold (no cache), `build` again with
nothing changed, and `build` after editing one record. With `--baseline REF`
the same commands also run with the code of git REF, side by side, on a corpus
of the same size and seed made by that code's own generator and schemas.
Once: the small commands (`--help`, `new`, `fmt`, `validate` of a small
package) beside `python -c "import pandera.pandas"`, and a flood of issues (a
1,000,000-byte claims file of empty records).
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from .generate import edit_one_record, generate

SIZES = (1_000, 10_000, 100_000)
REPO = Path(__file__).resolve().parents[3]


# --- one process, measured ------------------------------------------------------------------

def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0)
    except (OSError, ValueError):
        return 0


def _descendants(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            children = [int(c) for c in fh.read().split()]
    except (OSError, ValueError):
        return []
    return children + [d for c in children for d in _descendants(c)]


def run(argv: list[str], cwd: Path | None = None, env: dict | None = None, expect: tuple[int, ...] = (0,),
        tail: int | None = 2000) -> dict:
    """Run one command; its wall time, CPU time (with its children), peak PSS (MiB) and the `tail` of its output.

    Output goes to temporary files, not pipes: a command printing more than a pipe holds never blocks.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, sum(_pss_kib(p) for p in [proc.pid, *_descendants(proc.pid)]))
            time.sleep(0.02)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode not in expect:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {proc.returncode}:\n{stderr[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "pss_mib": peak / 1024, "rss_mib": usage.ru_maxrss / 1024,
            "stdout": stdout[-tail:] if tail else stdout, "stderr": stderr[-2000:], "exit": proc.returncode}


def pakafg(*args: str, code: Path | None = None, env: dict | None = None, expect=(0,), tail: int | None = 2000) -> dict:
    """`python -m pakafg ARGS`, with the code at `code` (a src/ folder) instead of the installed one if given."""
    extra = {"PYTHONPATH": str(code)} if code else {}
    return run([sys.executable, "-m", "pakafg", *args], env={**extra, **(env or {})}, expect=expect, tail=tail)


def python(script: str, *args: str) -> dict:
    return run([sys.executable, "-c", script, *args])


FLOOR = r"""
import sys, time, yaml, pathlib
t = time.perf_counter()
root = pathlib.Path(sys.argv[1])
files = sorted(p for d in ("sources", "tables") for p in (root / d).rglob("*.yaml"))
for f in files:
    yaml.compose(f.read_bytes().decode("utf-8"), Loader=yaml.CBaseLoader)
print(len(files), time.perf_counter() - t)
"""

PEER = r"""
import sys, tempfile, pathlib, yaml, pandas as pd
from frictionless import Package
root = pathlib.Path(sys.argv[1])
meta = yaml.safe_load((root / "datapackage.yaml").read_text(encoding="utf-8"))
rows = {r["name"]: [] for r in meta["resources"]}
children = {}
for r in meta["resources"]:
    rec = r.get("records", {})
    for parent in ([rec["parent"]] if isinstance(rec.get("parent"), str) else rec.get("parent", [])):
        children.setdefault(parent, []).append((r["name"], rec["key"]))
for r in meta["resources"]:
    rec = r.get("records", {})
    if "dir" not in rec:
        continue
    for path in sorted((root / rec["dir"]).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for record in (data if isinstance(data, list) else [data]):
            if "group_by" in rec:
                record[rec["group_by"]] = path.stem
            rid = record.get(r["name"][:-1] + "_id")
            for child, key in children.get(r["name"], []):
                for item in record.pop(key, None) or []:
                    item = dict(item) if isinstance(item, dict) else {"alias": item}
                    item.update({"record_table": r["name"], "record_id": rid} if child == "citations" else {r["name"][:-1] + "_id": rid})
                    rows[child].append(item)
            rows[r["name"]].append(record)
out = pathlib.Path(tempfile.mkdtemp())
resources = []
for r in meta["resources"]:
    if r.get("records", {}).get("derived"):
        continue
    schema = yaml.safe_load((root / r["schema"]).read_text(encoding="utf-8"))
    fields = [f for f in schema["fields"] if "name" in f]
    schema = {"fields": [{"name": f["name"], "type": f.get("type", "string")} for f in fields]}
    pd.DataFrame(rows[r["name"]], columns=[f["name"] for f in fields]).to_csv(out / (r["name"] + ".csv"), index=False)
    resources.append({"name": r["name"], "path": r["name"] + ".csv", "schema": schema})
report = Package({"name": "peer", "resources": resources}, basepath=str(out)).validate()
print(report.valid)
"""


# --- the run ----------------------------------------------------------------------------------

def corpus(workdir: Path, records: int, seed: int) -> Path:
    """A generated corpus, reused when one of the same size and seed exists."""
    root = workdir / f"n{records}-s{seed}"
    stamp = root / ".generated"
    if not stamp.is_file():
        shutil.rmtree(root, ignore_errors=True)
        generate(root, records, seed=seed)
        stamp.write_text(json.dumps({"records": records, "seed": seed}))
    return root


def code_at(ref: str, dest: Path) -> Path:
    """The repository as it was at git `ref` (the baseline: its code, schemas and corpus generator), extracted under `dest`;
    returns its src/ folder."""
    if not (dest / "datapackage.yaml").is_file():
        out = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", ref], capture_output=True, check=True)
        with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
            tar.extractall(dest, filter="data")
    return dest / "src"


def baseline_corpus(workdir: Path, records: int, seed: int, code: Path) -> Path:
    """The same size and seed generated by the baseline's own generator and schemas (its code reads only those)."""
    root = workdir / f"baseline-n{records}-s{seed}"
    if not (root / ".generated").is_file():
        shutil.rmtree(root, ignore_errors=True)
        pakafg("bench", "generate", "--records", str(records), "--seed", str(seed), str(root), code=code)
        (root / ".generated").write_text(json.dumps({"records": records, "seed": seed}))
    return root


def _clean(root: Path, out: Path) -> None:
    shutil.rmtree(root / ".pakafg-cache", ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)


def bench_size(workdir: Path, records: int, seed: int, baseline: Path | None, log) -> dict:
    root = corpus(workdir, records, seed)
    out = workdir / f"out-{records}"
    result: dict = {"records": records}
    floor = python(FLOOR, str(root))
    files, seconds = floor["stdout"].split()
    result["files"] = int(files)
    result["floor"] = {**floor, "work": float(seconds)}
    log(f"  {records:>7} records: floor {floor['wall']:.2f} s")
    result["peer"] = python(PEER, str(root))
    log(f"  {records:>7} records: peer {result['peer']['wall']:.2f} s")
    variants = [("new", None, root)] + ([("baseline", baseline, baseline_corpus(workdir, records, seed, baseline))] if baseline else [])
    for label, code, root in variants:
        steps = {}
        _clean(root, out)
        steps["validate_cold"] = pakafg("validate", "--root", str(root), code=code)
        _clean(root, out)
        steps["build_cold"] = pakafg("build", "--root", str(root), "--out", str(out), code=code)
        steps["build_again"] = pakafg("build", "--root", str(root), "--out", str(out), code=code)
        edit_one_record(root)
        steps["build_one_edit"] = pakafg("build", "--root", str(root), "--out", str(out), code=code)
        result[label] = steps
        log(f"  {records:>7} records, {label}: " + ", ".join(f"{k} {v['wall']:.2f} s" for k, v in steps.items()))
        _clean(root, out)
    result["without"] = without_fast_paths(corpus(workdir, records, seed), out)
    log(f"  {records:>7} records, without fast paths: " + ", ".join(f"{k} {v['wall']:.2f} s" for k, v in result["without"].items()))
    return result


def without_fast_paths(root: Path, out: Path) -> dict:
    """The same builds with a fast path turned off: what each one buys (its figure in RESULTS.md)."""
    plain, one_process = {"PAKAFG_FAST": "0"}, {"PAKAFG_JOBS": "1"}
    steps = {}
    _clean(root, out)
    steps["build_cold_one_process"] = pakafg("build", "--root", str(root), "--out", str(out), env=one_process)
    _clean(root, out)
    steps["build_plain"] = pakafg("build", "--root", str(root), "--out", str(out), env=plain)
    edit_one_record(root)
    steps["build_one_edit_plain"] = pakafg("build", "--root", str(root), "--out", str(out), env=plain)
    _clean(root, out)
    return steps


def small_commands(workdir: Path, log) -> dict:
    """The commands a contributor runs all day, on a copy of this repository's records."""
    pkg = workdir / "small"
    shutil.rmtree(pkg, ignore_errors=True)
    pkg.mkdir(parents=True)
    for part in ("datapackage.yaml", "schemas", "sources", "tables"):
        src = REPO / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, pkg / part)
    out = {"floor_pandera": python("import pandera.pandas"), "floor_python": python("pass")}
    out["help"] = pakafg("--help")
    out["new"] = pakafg("new", "events", "--id", "bench-new-event", "--root", str(pkg))
    (pkg / "tables" / "events" / "bench-new-event.yaml").unlink()
    out["fmt_check"] = pakafg("fmt", "--check", "--root", str(pkg))
    pakafg("validate", "--root", str(pkg))  # the first run writes the caches a contributor's next runs find
    out["validate"] = pakafg("validate", "--root", str(pkg))
    out["validate_cold"] = pakafg("validate", "--root", str(pkg), env={"PAKAFG_FAST": "0"})
    log("  small commands: " + ", ".join(f"{k} {v['wall']:.2f} s" for k, v in out.items()))
    return out


def flood(workdir: Path, log) -> dict:
    """A claims file of 1,000,000 bytes holding nothing but empty records: bounded time, memory and output."""
    pkg = workdir / "flood"
    shutil.rmtree(pkg, ignore_errors=True)
    shutil.copytree(REPO / "tests" / "fixtures" / "valid", pkg)
    shutil.copytree(REPO / "schemas", pkg / "schemas")
    shutil.copy(REPO / "datapackage.yaml", pkg / "datapackage.yaml")
    (pkg / "tables" / "claims" / "fp.yaml").write_bytes(b"- {}\n" * 200_000)
    result = pakafg("validate", "--root", str(pkg), "--format", "json", env={"PAKAFG_FAST": "0"}, expect=(1,), tail=None)
    issues = json.loads(result.pop("stdout"))  # the whole output, to count what was printed
    result["issues"] = len(issues)
    result["records"] = 200_000
    log(f"  flood: {result['wall']:.2f} s, {result['pss_mib']:.0f} MiB, {len(issues)} issues printed")
    return result


def machine() -> dict:
    from importlib.metadata import version

    def sh(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = sh("git", "-C", str(REPO), "rev-parse", "--short", "HEAD")
    return {"nproc": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(), "commit": commit,
            "memory": sh("free", "-g").splitlines()[1] if sh("free", "-g") else "",
            "versions": {p: version(p) for p in ("pyyaml", "pyarrow", "pandas", "pandera", "frictionless")}}


def run_all(sizes=SIZES, workdir: str | Path | None = None, seed: int = 0, out: str | Path | None = None,
            baseline: str | None = None, log=print) -> dict:
    workdir = Path(workdir or Path(tempfile.gettempdir()) / "pakafg-bench")
    workdir.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seed": seed,
               "baseline": baseline}
    code = code_at(baseline, workdir / "baseline-code") if baseline else None
    results["small"] = small_commands(workdir, log)
    results["flood"] = flood(workdir, log)
    results["sizes"] = [bench_size(workdir, n, seed, code, log) for n in sizes]
    if out:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        out.write_text(render(results), encoding="utf-8")
    return results


# --- the report -------------------------------------------------------------------------------

def _x(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "–"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(results: dict) -> str:
    m = results["machine"]
    lines = ["# Benchmark results", "",
             f"Generated by `pakafg bench run` on {results['date']}, commit {m.get('commit')}, {m['nproc']} CPUs, "
             f"Python {m['python']}, {', '.join(f'{k} {v}' for k, v in m['versions'].items())}.",
             "Every figure is a whole command in a fresh process: wall clock as a user waits (interpreter start and "
             "imports included) and CPU (the command and its reading workers). Ratios are taken within this one run; "
             "the machine is shared, so absolute times move between runs.", ""]
    small = results["small"]
    floor = small["floor_pandera"]["wall"]
    lines += ["## Small commands (this repository's records)", "",
              "| command | wall | CPU | target | met |", "|---|---:|---:|---|:---:|",
              f"| `python -c pass` | {small['floor_python']['wall']:.2f} s | {small['floor_python']['cpu']:.2f} s | | |",
              f"| `python -c 'import pandera.pandas'` (the floor of `validate`) | {floor:.2f} s | {small['floor_pandera']['cpu']:.2f} s | | |"]
    for key, label in (("help", "pakafg --help"), ("new", "pakafg new events --id …"), ("fmt_check", "pakafg fmt --check")):
        r = small[key]
        lines.append(f"| `{label}` | {r['wall']:.2f} s | {r['cpu']:.2f} s | <= 0.2 s | {_met(r['wall'] <= 0.2)} |")
    r = small["validate"]
    lines.append(f"| `pakafg validate` | {r['wall']:.2f} s | {r['cpu']:.2f} s | <= floor + 0.15 s ({floor + 0.15:.2f} s) | "
                 f"{_met(r['wall'] <= floor + 0.15)} |")
    r = small["validate_cold"]
    lines.append(f"| `pakafg validate` with `PAKAFG_FAST=0` (no cache, frictionless imported) | {r['wall']:.2f} s | {r['cpu']:.2f} s | | |")
    f = results["flood"]
    lines += ["", "## A flood of issues", "",
              f"A claims file of 1,000,000 bytes holding {f['records']:,} empty records: `pakafg validate --format json` "
              f"took {f['wall']:.2f} s (CPU {f['cpu']:.2f} s), peak {f['pss_mib']:.0f} MiB, and printed {f['issues']:,} issues "
              "(at most 100 per file, then one `more-issues` line with the count).", ""]
    lines += ["## Generated corpora", "",
              "| records | files | floor | peer | validate cold | build cold | build again | build after one edit | peak memory (cold build) |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in results["sizes"]:
        n = s["new"]
        lines.append(f"| {s['records']:,} | {s['files']:,} | {s['floor']['wall']:.2f} | {s['peer']['wall']:.2f} | "
                     f"{n['validate_cold']['wall']:.2f} | {n['build_cold']['wall']:.2f} | {n['build_again']['wall']:.2f} | "
                     f"{n['build_one_edit']['wall']:.2f} | {n['build_cold']['pss_mib']:.0f} MiB |")
    lines += ["", "Seconds, wall clock. CPU seconds:", "", "| records | floor | peer | validate cold | build cold | build again | build after one edit |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for s in results["sizes"]:
        n = s["new"]
        lines.append(f"| {s['records']:,} | {s['floor']['cpu']:.2f} | {s['peer']['cpu']:.2f} | {n['validate_cold']['cpu']:.2f} | "
                     f"{n['build_cold']['cpu']:.2f} | {n['build_again']['cpu']:.2f} | {n['build_one_edit']['cpu']:.2f} |")
    if results.get("baseline"):
        lines += ["", f"## This code beside the baseline ({results['baseline']}), same run", "",
                  "| records | step | baseline wall | this wall | baseline CPU | this CPU | baseline peak | this peak |",
                  "|---:|---|---:|---:|---:|---:|---:|---:|"]
        for s in results["sizes"]:
            for step in ("validate_cold", "build_cold", "build_again", "build_one_edit"):
                b, n = s["baseline"][step], s["new"][step]
                lines.append(f"| {s['records']:,} | {step.replace('_', ' ')} | {b['wall']:.2f} | {n['wall']:.2f} | {b['cpu']:.2f} | "
                             f"{n['cpu']:.2f} | {b['pss_mib']:.0f} MiB | {n['pss_mib']:.0f} MiB |")
    lines += ["", "## What each fast path buys (`pakafg.speed`), same run", "",
              "Each row is the same command with one part of the speed layer turned off, beside it on. Wall seconds.", "",
              "| records | fast path | command | without | with | ratio |", "|---:|---|---|---:|---:|---:|"]
    for s in results["sizes"]:
        n, w = s["new"], s.get("without")
        if not w:
            continue
        for path, command, off, on in (
                ("parallel reading and the database beside (`PAKAFG_JOBS=1` off)", "build, cold", w["build_cold_one_process"],
                 n["build_cold"]),
                ("record cache, chart cache, GeoNames entries (`PAKAFG_FAST=0` off)", "build after one edit",
                 w["build_one_edit_plain"], n["build_one_edit"]),
                ("nothing changed (`PAKAFG_FAST=0` off)", "build again", w["build_plain"], n["build_again"])):
            lines.append(f"| {s['records']:,} | {path} | {command} | {off['wall']:.2f} | {on['wall']:.2f} | {_x(off['wall'], on['wall'])} |")
    off, on = small["validate_cold"], small["validate"]
    lines.append(f"| this repository | schema verdict, GeoNames entries (`PAKAFG_FAST=0` off) | validate | {off['wall']:.2f} | "
                 f"{on['wall']:.2f} | {_x(off['wall'], on['wall'])} |")
    largest = results["sizes"][-1]
    n = largest["new"]
    lines += ["", f"## Targets at {largest['records']:,} records", "", "| target | figure | met |", "|---|---:|:---:|",
              f"| cold build <= 2x the floor (wall) | {_x(n['build_cold']['wall'], largest['floor']['wall'])} | "
              f"{_met(n['build_cold']['wall'] <= 2 * largest['floor']['wall'])} |",
              f"| cold build <= 2x the floor (CPU) | {_x(n['build_cold']['cpu'], largest['floor']['cpu'])} | "
              f"{_met(n['build_cold']['cpu'] <= 2 * largest['floor']['cpu'])} |",
              f"| naive peer >= 5x the cold build (wall) | {_x(largest['peer']['wall'], n['build_cold']['wall'])} | "
              f"{_met(largest['peer']['wall'] >= 5 * n['build_cold']['wall'])} |",
              f"| build after one edit <= 1 s (whole command) | {n['build_one_edit']['wall']:.2f} s | {_met(n['build_one_edit']['wall'] <= 1)} |",
              f"| peak memory < 1 GiB | {n['build_cold']['pss_mib']:.0f} MiB | {_met(n['build_cold']['pss_mib'] < 1024)} |"]
    if len(results["sizes"]) > 1:
        a, b = results["sizes"][-2], results["sizes"][-1]
        per = (b["new"]["build_cold"]["cpu"] / b["records"]) / (a["new"]["build_cold"]["cpu"] / a["records"])
        lines.append(f"| time per record, {b['records']:,} vs {a['records']:,} (CPU) within 1.5x | {per:.2f}x | {_met(per <= 1.5)} |")
    lines += ["", "Where the time goes and why each missed target is missed: "
              "[docs/performance.md](../docs/performance.md#the-targets-where-the-time-goes)."]
    return "\n".join(lines) + "\n"
