"""The docs cannot drift: issue codes, commands and generated blocks are checked against the code."""

from __future__ import annotations

import ast
import re

import pytest

from pakafg.cli import cli
from pakafg.issues import CODES

from conftest import REPO

SRC = REPO / "src" / "pakafg"
DOCS = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def codes_used_in_source() -> dict[str, str]:
    """Issue codes written in src/: `code=` arguments, and the positional `code` parameter of
    Issue/Rule and of every helper function that takes a `code` parameter; plus NOTE_CODES values."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SRC.rglob("*.py")}

    def code_positions(tree) -> dict[str, int]:
        found = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.args if a.arg != "self"]  # a method is called without it
                if "code" in names:
                    found[node.name] = names.index("code")
        return found

    shared = {"Issue": 0, "Rule": 0}
    for tree in trees.values():
        shared.update(code_positions(tree))
    used: dict[str, str] = {}
    for path, tree in trees.items():
        where = path.relative_to(REPO).as_posix()
        position = {**shared, **code_positions(tree)}  # a module's own helper wins over a namesake elsewhere
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        used[kw.value.value] = f"{where}:{kw.value.lineno}"
                index = position.get(_callee(node) or "")
                if index is not None and len(node.args) > index:
                    arg = node.args[index]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        used[arg.value] = f"{where}:{arg.lineno}"
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "NOTE_CODES" for t in node.targets):
                for value in node.value.values:
                    used[value.value] = f"{where}:{value.lineno}"
    return used


def test_every_code_used_in_the_source_is_in_the_catalogue():
    used = codes_used_in_source()
    # the scan sees each way a code is written: keyword, a helper's positional `code`, a Rule, NOTE_CODES
    assert {"not-canonical", "yaml-anchor", "quote-not-found", "foreign-key", "date-order", "type-error"} <= set(used)
    missing = {code: where for code, where in used.items() if code not in CODES}
    assert not missing, f"add these to pakafg.issues.CODES: {missing}"


def test_every_code_in_the_catalogue_is_used():
    unused = sorted(set(CODES) - set(codes_used_in_source()))
    assert not unused, f"codes documented but never raised: {unused}"


def test_every_code_is_documented():
    section = _section((REPO / "docs" / "validation.md").read_text(encoding="utf-8"), "Messages, codes and exit codes")
    missing = [code for code in CODES if f"| `{code}` |" not in section]
    assert not missing, "run `pakafg generate`"
    for exit_code in ("`0`", "`1`", "`2`"):
        assert f"| {exit_code} |" in section
    for fmt in ("text", "github", "json"):
        assert f"`{fmt}`" in section


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_is_documented(name):
    command = cli.commands[name]
    assert command.help and "Example:" in command.help, f"`pakafg {name}` needs a docstring with an Example:"
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS if p.exists())
    assert re.search(rf"\bpakafg {re.escape(name)}\b", text), f"`pakafg {name}` is not mentioned in README, CONTRIBUTING or docs/"


def test_contributing_is_one_path_from_an_article_to_a_green_pull_request():
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    steps = [m.group(1) for m in re.finditer(r"^## (\d)\. ", text, re.M)]
    assert steps == ["1", "2", "3", "4", "5"], steps
    for command in ("pakafg add-source", "pakafg new", "pakafg validate", "pakafg fmt", "pakafg generate"):
        assert command in text, command
    assert re.search(r"^## What a reviewer checks", text, re.M) and text.count("- [ ] ") >= 5
    assert "never change the version" in text.lower()
    assert "outlet-of-<source_id>" in text  # the unnamed-outlet convention


def test_readme_is_a_front_door():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 320  # reference pages live under docs/
    for section in ("Using the data", "Contributing", "Releases", "Documentation"):
        assert f"\n## {section}\n" in text, section
    for page in re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)", text):
        assert (REPO / page).is_file(), page
