"""Every code example in README's "Using the data" runs as written against a built release.

The release is built from a copy of this repository's records and schemas (without
`releases/`, as a fork's development build would be); each example's
`build/<version>/` is replaced by that release's path. Python blocks run with
this interpreter, shell blocks with bash and this environment's scripts first on
PATH; the `pip install` line is not run (no network in the suite): the packages
it names must be installed, and they must be all an example needs.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pakafg import build

from conftest import REPO
from derived_package import make_derived_package

SECTION = "Using the data"
FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```\n", re.M | re.S)
RELEASE_PATH = re.compile(r"build/(?:dev|\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)(?=/)")  # build/<version>/ in an example
INPUTS = ("datapackage.yaml", "schemas", "tables", "sources", "docs", "CITATION.cff", "LICENSE-DATA.md")


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def examples() -> list[tuple[str, str]]:
    """(language, code) of every fenced block in the section."""
    return FENCE.findall(section((REPO / "README.md").read_text(encoding="utf-8"), SECTION))


def installs() -> list[str]:
    """The packages the section's `pip install` line names."""
    names = [line.split()[2:] for lang, code in examples() if lang == "sh" for line in code.splitlines()
             if line.startswith("pip install ")]
    assert len(names) == 1, "the section installs its tools with one `pip install` line"
    return names[0]


def runnable() -> list[tuple[str, str]]:
    """Every example but the install line and `console` blocks (interactive commands such as `pakafg explore`, a server)."""
    return [(lang, code) for lang, code in examples() if not code.startswith("pip install ") and lang != "console"]


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    package = tmp_path_factory.mktemp("readme") / "pkg"
    package.mkdir()
    for name in INPUTS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, package / name)
        elif source.is_file():
            shutil.copy(source, package / name)
    return build(package, out=tmp_path_factory.mktemp("out")).path


def run(lang: str, code: str, release: Path, cwd: Path) -> subprocess.CompletedProcess:
    code = RELEASE_PATH.sub(release.as_posix(), code)
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    if lang == "python":
        script = cwd / "example.py"
        script.write_text(code, encoding="utf-8")
        command = [sys.executable, str(script)]
    else:
        command = ["bash", "-e", "-o", "pipefail", "-c", code]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_section_has_examples_of_every_tool():
    code = "\n".join(code for _, code in examples())
    assert {lang for lang, _ in examples()} <= {"python", "sh", "console"}  # console: shown, not run (a server)
    for tool in ("import pandas", "import duckdb", "frictionless validate", "import sqlite3"):
        assert tool in code, tool
    assert "duckdb -c" not in code and "sqlite3 build" not in code  # the CLIs pip does not install
    assert all(RELEASE_PATH.search(code) for lang, code in runnable()), "every example reads a release"


@pytest.mark.parametrize("index", range(len(runnable())), ids=lambda i: f"{runnable()[i][0]}-{i + 1}")
def test_example_runs_as_written(index, release, tmp_path):
    lang, code = runnable()[index]
    proc = run(lang, code, release, tmp_path)
    assert proc.returncode == 0, f"README example {index + 1} ({lang}) failed:\n{code}\n--- stderr:\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip() or lang == "sh", f"README example {index + 1} printed nothing"


@pytest.fixture(scope="module")
def fixture_release(tmp_path_factory) -> Path:
    """The hand-made fixture of tests/tool/derived_package.py: a denial that states no number of a claim that does."""
    return build(make_derived_package(tmp_path_factory.mktemp("readme-fixture") / "pkg")).path


@pytest.mark.parametrize("which", ["release", "fixture_release"])
def test_the_disagreement_example_shows_every_numeric_disagreement_without_case(which, request, tmp_path):
    release = request.getfixturevalue(which)
    (lang, code), = [(lang, code) for lang, code in runnable() if "numeric_claims" in code and "claim_relations" in code
                     and "figure_text" in code]
    assert not re.search(r"\bCASE\b", code, re.I)
    proc = run(lang, code, release, tmp_path)
    assert proc.returncode == 0, proc.stderr
    shown = [line for line in proc.stdout.splitlines() if line.strip()]
    numeric = {r["claim_id"]: r["figure_text"] for r in pq.read_table(release / "parquet" / "numeric_claims.parquet").to_pylist()}
    links = [link for link in pq.read_table(release / "parquet" / "claim_links.parquet").to_pylist()
             if link["relation"] != "corroborates" and (link["claim_id"] in numeric or link["other_claim_id"] in numeric)]
    assert links, "the repository's records have disagreements about numbers"
    assert len(shown) == len(links)  # each once
    for link in links:
        a, b = link["claim_id"], link["other_claim_id"]
        (line,) = [line for line in shown if f"'{a}'" in line and f"'{b}'" in line]
        for claim in (a, b):
            if claim in numeric:
                assert f"'{numeric[claim]}'" in line, (claim, line)  # the figure, whatever its qualifier
        assert "None" not in line


def test_examples_need_nothing_the_readme_does_not_install():
    installed = {name.lower() for name in installs()}
    for name in installed:
        metadata.version(name)  # raises PackageNotFoundError if this environment lacks it
    modules = set()
    for lang, code in runnable():
        if lang == "python":
            modules |= {n.split(".")[0] for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Import) for n in
                        (a.name for a in node.names)}
            modules |= {node.module.split(".")[0] for node in ast.walk(ast.parse(code))
                        if isinstance(node, ast.ImportFrom) and node.module}
        else:
            for line in code.splitlines():
                command = line.split()[0]
                if command == "python":
                    modules |= set(re.findall(r"(?:from|import) ([a-z_]+)", line))
                else:
                    scripts = {ep.name for dist in installed for ep in metadata.distribution(dist).entry_points
                               if ep.group == "console_scripts"}
                    assert command in scripts, f"`{command}` is not installed by `pip install {' '.join(installed)}`"
    third_party = {m for m in modules if m not in sys.stdlib_module_names}
    assert third_party <= installed, third_party - installed
