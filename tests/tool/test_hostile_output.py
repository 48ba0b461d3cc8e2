"""What is printed about hostile input: escaped, one line per problem, bounded per file, never an encoding failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from pakafg.cli import cli
from pakafg.issues import Collector, InvalidPackage, Issue, Report, printable
from pakafg.read.records import TableReader, read_file
from pakafg.schemas import load_package_spec


def test_printable_escapes_what_a_terminal_or_json_must_not_get_raw():
    assert printable("Pakistan, پاکستان, ‘quoted’ — fine") == "Pakistan, پاکستان, ‘quoted’ — fine"
    assert printable("a\nb\tc\rd") == r"a\nb\tc\rd"
    assert printable("\x00\x1b[31m\x7f\x85") == r"\x00\x1b[31m\x7f\x85"
    assert printable("\u202eevil\u2066") == r"\u202eevil\u2066"  # bidirectional controls
    assert printable("\ud800\ufeff\ufffe\U0010ffff") == r"\ud800\ufeff\ufffe\U0010ffff"
    assert printable(os.fsdecode(b"bad\xff.yaml")) == r"bad\xff.yaml"  # a file-name byte that is not UTF-8
    assert printable(printable("\x1b")) == printable("\x1b")
    issue = Issue(code="enum", message="'\x1b[2J' is not allowed", path=os.fsdecode(b"t/\xfe.yaml"), hint="x\ny")
    assert issue.format() == r"t/\xfe.yaml: '\x1b[2J' is not allowed (x\ny) [enum]"
    json.dumps(issue.to_dict(), ensure_ascii=False).encode("utf-8")  # no lone surrogate left to fail


def test_a_flood_lists_the_first_of_each_kind_then_counts_the_rest():
    issues = [Issue(code="required", message="is required", path="f.yaml", line=n, field="claim_id") for n in range(1, 3001)]
    issues.append(Issue(code="type-error", message="bad", path="f.yaml", line=2999, field="value"))
    issues.append(Issue(code="enum", message="bad", path="g.yaml", line=1, field="x"))
    collector = Collector()
    collector.extend(issues)
    assert len(collector) <= collector.keep + 100  # kept in memory
    report = Report.of(list(collector), hidden=collector.hidden)
    f = [i for i in report.issues if i.path == "f.yaml"]
    assert len(f) == 101 and f[-1].code == "more-issues" and f[-1].count == 3001 - 100
    assert any(i.code == "type-error" for i in f)  # a different mistake is not buried under the flood
    assert [i.path for i in report.issues][-1] == "g.yaml"


def test_distinct_unknown_keys_stay_bounded_while_reading(package):
    spec = load_package_spec(package)
    target = package / "tables/claims/fp.yaml"
    target.write_text("- claim_id: x\n" + "".join(f"  key{n}: 1\n" for n in range(5000)), encoding="utf-8")
    reading = read_file(TableReader(spec, spec.tables["claims"]), target, "tables/claims/fp.yaml")
    kept, (errors, _) = len(reading.issues), reading.issues.hidden["tables/claims/fp.yaml"]
    assert kept <= reading.issues.keep + 100 and kept + errors == 5000


def test_total_counts_every_problem_found(package):
    (package / "tables/claims/fp.yaml").write_text("- {}\n" * 1500, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--root", str(package)])
    assert result.exit_code == 1
    *lines, total = result.output.splitlines()
    flood = [ln for ln in lines if ln.startswith("tables/claims/fp.yaml:") and not ln.endswith("[more-issues]")]
    more = [ln for ln in lines if ln.endswith("[more-issues]")]
    assert len(flood) == 100 and len(more) == 1 and more[0].startswith("tables/claims/fp.yaml: ")
    hidden = int(more[0].split(": ", 1)[1].split()[0])
    assert hidden + 100 == 1500 * 5  # five required fields missing from each record
    errors, warnings = int(total.split()[0]), int(total.split()[2])
    assert errors + warnings == len(lines) - 1 + hidden


def test_real_entry_point_on_a_latin1_terminal(package):
    """`python -m pakafg` writing to a Latin-1 terminal: a name that is not UTF-8 and Persian text print, no traceback."""
    with open(os.path.join(os.fsencode(package / "tables/actors"), b"d\xe9j\xe0.yaml"), "wb") as fh:
        fh.write(b"actor_id: x\n")
    (package / "tables/actors/pakistan.yaml").write_text("actor_id: pakistan\nname: Pakistan\nactor_type: حالت\n",
                                                         encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    for fmt in ("json", "text"):
        proc = subprocess.run([sys.executable, "-m", "pakafg", "validate", "--root", str(package), "--format", fmt],
                              capture_output=True, env=env, timeout=120)
        out, err = proc.stdout.decode("latin-1"), proc.stderr.decode("latin-1")
        assert proc.returncode == 1 and "Traceback" not in out + err, err
        if fmt == "json":  # a character Latin-1 lacks arrives as a JSON escape: the same text once parsed
            issues = json.loads(out)
            assert any(i["path"] == r"tables/actors/d\xe9j\xe0.yaml" and i["code"] == "bad-file-name" for i in issues)
            assert any(i["code"] == "enum" and "حالت" in i["message"] for i in issues)
        else:
            assert r"tables/actors/d\xe9j\xe0.yaml: is not read" in err and r"'\u062d\u0627\u0644\u062a' is not an allowed value" in err


def test_hidden_errors_and_warnings_are_counted_apart():
    """A flood of both kinds: the total line says how many errors and how many warnings, not all as errors."""
    from pakafg.cli import _totals

    issues = [Issue(code="required", message="is required", path="f.yaml", line=n, field="claim_id") for n in range(1, 131)]
    issues += [Issue(code="formula-like-text", message="starts with =", path="f.yaml", line=n, field="summary", severity="warning")
               for n in range(131, 171)]
    report = Report.of(issues)
    more = {i.severity: i.count for i in report.issues if i.code == "more-issues"}
    assert len(report.issues) == 100 + len(more) and sum(more.values()) == 170 - 100
    assert _totals(report.issues) == (130, 40)
    assert InvalidPackage(report.issues).args[0] == "130 error(s) in the records"
