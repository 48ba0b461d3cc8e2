"""Untrusted input: every file in tests/tool/bad_inputs/ gives a clear error and exit 1, never a traceback.

`tests/tool/bad_inputs/cases.yaml` says, for each case file, where it is installed in a
copy of the valid fixture package and which issue it must produce (file, line,
code, message fragment, hint fragment). A few cases also need something a plain file cannot
be (a symlink out of the repository, a FIFO, a directory, an oversized file, a
name that is not UTF-8, a flood of records); their `setup` keys build it. The
real CLI entry point runs on each package in every output format: text,
json (which must parse) and github annotations.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pakafg.cli import cli
from pakafg.read.files import MAX_FILE_BYTES

from conftest import make_package, published

HERE = Path(__file__).resolve().parent / "bad_inputs"
CASES: dict[str, dict] = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))


def install_case(name: str, case: dict, root: Path, outside: Path) -> None:
    """Put the case into the package at `root` (and anything its `setup` asks for)."""
    setup = case.get("setup", {})
    data = (HERE / name).read_bytes() * setup.get("repeat", 1)  # a flood: the case file's records many times over
    if "install" in case:
        target = root / case["install"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for name in setup.get("raw_names", []):  # names given with Python escapes, written as those bytes (not UTF-8, control characters)
        raw = os.path.join(os.fsencode(root), codecs.escape_decode(name)[0])
        os.makedirs(os.path.dirname(raw), exist_ok=True)
        with open(raw, "wb") as fh:
            fh.write(data)
    if "rehash" in setup:  # an archived text replaced on purpose: record its sha256, so only the text itself is at fault
        digest = hashlib.sha256((root / "sources/fp.txt").read_bytes()).hexdigest()
        meta = root / "sources/fp.yaml"
        meta.write_text(re.sub(r"sha256: \w+", f"sha256: {digest}", meta.read_text(encoding="utf-8")), encoding="utf-8")
    if "pad_to_limit" in setup:  # grow the installed file just past the size limit
        with open(root / case["install"], "ab") as fh:
            line = b"# padding to exceed the size limit\n"
            fh.write(line * (MAX_FILE_BYTES // len(line) + 1))
    if "symlink_out" in setup:  # a symlink inside the repository to a file outside it
        outside.mkdir(exist_ok=True)
        secret = outside / "secret.yaml"
        secret.write_text("actor_id: secret\nname: Secret\nactor_type: state\n", encoding="utf-8")
        (root / setup["symlink_out"]).symlink_to(secret)
    if "fifo" in setup:
        os.mkfifo(root / setup["fifo"])
    if "directory" in setup:
        (root / setup["directory"]).mkdir()
        (root / setup["directory"] / "x.txt").write_text("x", encoding="utf-8")
    if "sparse_bytes" in setup:  # a huge file that costs no disk space
        with open(root / setup["sparse_file"], "wb") as fh:
            fh.truncate(setup["sparse_bytes"])
    if "folder_symlink_out" in setup:  # a record folder replaced by a link to a folder of YAML files elsewhere
        folder = root / setup["folder_symlink_out"]
        target = outside / "records"
        shutil.copytree(folder, target)
        shutil.rmtree(folder)
        folder.symlink_to(target, target_is_directory=True)
    if "folder_is_file" in setup:
        folder = root / setup["folder_is_file"]
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
        folder.write_text("not a folder\n", encoding="utf-8")


def test_every_case_file_has_expectations():
    files = {p.name for p in HERE.iterdir() if p.name != "cases.yaml"}
    assert files == set(CASES), f"without expectations: {files - set(CASES)}; without a file: {set(CASES) - files}"


def _unescape_github(value: str) -> str:
    return value.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


@pytest.fixture
def validate_once(monkeypatch):
    """Each package is checked once: the text run checks it, the json and github runs render that same result
    through the CLI (the formats differ only in how the problems are printed; a case then costs one check)."""
    import pakafg.check

    real, results = pakafg.check.validate, {}

    def validate(root=".", fast=True):
        if str(root) not in results:
            results[str(root)] = real(root, fast)
        return results[str(root)]

    monkeypatch.setattr(pakafg.check, "validate", validate)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gives_clear_error(tmp_path, name, validate_once):
    case = CASES[name]
    root = make_package(tmp_path / "pkg")
    install_case(name, case, root, tmp_path / "outside")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--max-errors", "1000"])
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    expected = [{"path": case.get("path", case.get("install")), **e} for e in [case, *case.get("also", [])] if "code" in e]
    if case.get("valid"):  # accepted, perhaps with a warning
        assert result.exit_code == 0, output
        if "values" in case:  # and the values are what was typed
            want = case["values"]
            rows = published(root)[want["table"]]
            row = next(r for r in rows if want["id"] in r.values())
            assert {k: row[k] for k in want["fields"]} == want["fields"]
    else:
        assert result.exit_code == 1, output
        assert re.search(r"\d+ error\(s\)", output)
    for e in expected:
        where = f"{e['path']}:{e['line']}:" if e.get("line") else f"{e['path']}:"
        lines = [ln for ln in output.splitlines() if ln.startswith(where) and ln.endswith(f"[{e['code']}]")]
        assert lines, f"no [{e['code']}] at {where}\n{output}"
        assert any(e["message"] in ln and e.get("hint", "") in ln for ln in lines), \
            f"{e['message']!r} / {e.get('hint')!r} not in:\n" + "\n".join(lines)
        if e.get("field"):
            assert any(f".{e['field']}: " in ln for ln in lines), lines
    _same_in_json_and_github(root, case, expected, result.exit_code)


def _same_in_json_and_github(root: Path, case: dict, expected: list[dict], exit_code: int) -> None:
    """The other two formats: the same exit code; JSON that parses, naming the file; one annotation per problem."""
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--format", "json"])
    assert result.exit_code == exit_code and "Traceback" not in result.output
    issues = json.loads(result.stdout)
    assert all(isinstance(i["path"], str) and i["message"] and i["code"] for i in issues)
    for e in expected:
        found = [i for i in issues if i["path"] == e["path"] and i["code"] == e["code"] and i.get("line") == e.get("line", i.get("line"))]
        assert found and any(e["message"] in f"{i['message']} ({i.get('hint', '')})" for i in found), issues
    if "listed_at_most" in case:  # a flood: a bounded list, then one line with the count of the rest
        path = expected[0]["path"]
        listed = [i for i in issues if i["path"] == path and i["code"] != "more-issues"]
        more = [i for i in issues if i["path"] == path and i["code"] == "more-issues"]
        assert len(listed) <= case["listed_at_most"] and len(more) == 1, (len(listed), more)
        assert more[0]["count"] >= case.get("total", 1000) - len(listed) and "not listed" in more[0]["message"]
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--format", "github"])
    assert result.exit_code == exit_code and "Traceback" not in result.output
    annotations = [m for m in map(GITHUB.match, result.output.splitlines()) if m]
    assert len(annotations) == len(issues)
    for e in expected:
        assert any(_unescape_github(m["file"]) == e["path"] and m["title"] == e["code"] for m in annotations), result.output


GITHUB = re.compile(r"^::(error|warning) file=(?P<file>[^,]+)(,line=\d+)?(,col=\d+)?,title=(?P<title>[a-z-]+)::(?P<text>.+)$")


def test_real_entry_point_on_bad_input(tmp_path):
    """`python -m pakafg` (not CliRunner): an alias bomb and binary junk end with exit 1 and a message."""
    root = make_package(tmp_path / "pkg")
    (root / "tables/actors/pakistan.yaml").write_bytes((HERE / "alias-bomb.yaml").read_bytes())
    (root / "tables/actors/ttp.yaml").write_bytes((HERE / "binary-junk.yaml").read_bytes())
    proc = subprocess.run([sys.executable, "-m", "pakafg", "validate", "--root", str(root)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "tables/actors/pakistan.yaml:2:4: YAML anchor 'a' is not allowed" in proc.stderr
    assert "tables/actors/ttp.yaml:3:1: file contains NUL bytes" in proc.stderr


METADATA_CASES = {
    "version-escapes-build": ("version: 0.1.0", "version: ../../outside", "is not a semantic version"),
    "resource-without-schema": ("    schema: schemas/sources.yaml\n", "", "`schema` must be a path inside the repository"),
    "records-dir-outside": ("records: {dir: tables/actors}", "records: {dir: ../../etc}", "must be a folder inside the repository"),
    "anchor-in-metadata": ("name: pakistan-afghanistan-relations", "name: &n pakistan-afghanistan-relations\nx-copy: *n",
                           "anchors and aliases are not allowed"),
    "resources-not-a-list": ("resources:\n", "resources: 3\nold-resources:\n", "expected a mapping with a `resources` list"),
}


@pytest.mark.parametrize("name", sorted(METADATA_CASES))
def test_broken_datapackage_yaml_is_a_clear_exit_2(tmp_path, name):
    """datapackage.yaml comes from pull requests too; its version and folders become paths, so they are checked."""
    old, new, fragment = METADATA_CASES[name]
    root = make_package(tmp_path / "pkg")
    meta = root / "datapackage.yaml"
    text = meta.read_text(encoding="utf-8")
    assert old in text
    meta.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--root", str(root)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 2, result.output
    assert fragment in result.output and "datapackage.yaml" in result.output
    assert not (tmp_path / "outside").exists() and not (root / "build").exists()


def test_binary_datapackage_yaml_is_a_clear_exit_2(tmp_path):
    root = make_package(tmp_path / "pkg")
    (root / "datapackage.yaml").write_bytes(b"name: x\nversion: \xff\xfe\n")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 2
    assert "datapackage.yaml: cannot read" in result.output
