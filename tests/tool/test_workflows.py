"""CI, release workflow, pre-commit and .ci/run use the README's commands, and every pakafg call in them parses."""

from __future__ import annotations

import re
import shlex

import click
import pytest
import yaml

from pakafg.cli import cli

from conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"


def readme_setup_commands() -> list[str]:
    """The two set-up commands: the shell blocks before the README's first section."""
    head = (REPO / "README.md").read_text(encoding="utf-8").split("\n## ", 1)[0]
    blocks = re.findall(r"```shell\n(.*?)\n```", head, re.S)
    assert len(blocks) == 2, blocks
    return [b.strip() for b in blocks]


def _workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _runs(workflow: dict) -> list[str]:
    return [step["run"].strip() for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]


def _pakafg_calls(script: str) -> list[list[str]]:
    """Every `pakafg …` command line in a shell script, as argv (GitHub expressions replaced by a value)."""
    calls = []
    for line in script.splitlines():
        line = re.sub(r"\$\{\{[^}]*\}\}", "main", line)
        for part in re.split(r"&&|\|\||;", line):
            part = part.split(">>")[0].split("|")[0].strip()
            if part.startswith("pakafg "):
                calls.append(shlex.split(part)[1:])
    return calls


def _parses(argv: list[str]) -> None:
    """The arguments parse as that command's (no run): a typo or removed option fails here."""
    name, *rest = argv
    assert name in cli.commands, f"`pakafg {name}` is not a command"
    command = cli.commands[name]
    with command.make_context(f"pakafg {name}", list(rest), **cli.context_settings):  # as under the group: -h too
        pass


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_workflows_run_the_readme_setup_commands_verbatim(name):
    runs = _runs(_workflow(name))
    assert runs[:2] == readme_setup_commands()


def test_ci_script_runs_the_readme_setup_commands_verbatim():
    """.ci/run (the submission check) runs both commands, in order; pip's `-q` only quiets its log."""
    lines = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    commands = [line.replace("pip install -q ", "pip install ") for line in lines if line and not line.startswith("#")]
    readme = readme_setup_commands()
    assert all(command in commands for command in readme)
    assert commands.index(readme[0]) < commands.index(readme[1])


def test_ci_validates_checks_and_diffs_pull_requests():
    ci = _workflow("ci.yml")
    assert "pull_request" in ci["on"] and "push" in ci["on"]
    runs = _runs(ci)
    assert "pakafg validate --format github" in runs
    assert "pakafg fmt --check --format github" in runs
    assert "pakafg generate --check" in runs
    diff = next(r for r in runs if r.startswith("pakafg diff"))
    assert "${{ github.base_ref }}" in diff and '>> "$GITHUB_STEP_SUMMARY"' in diff and "--format markdown" in diff
    checkout = next(s for j in ci["jobs"].values() for s in j["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # the diff needs the base branch's history


def test_release_publishes_when_a_manifest_lands_without_needing_a_tag():
    release = _workflow("release.yml")
    assert release["on"]["push"]["paths"] == ["releases/*.json"] and "tags" not in release["on"]["push"]
    assert release["permissions"]["contents"] == "write"
    script = "\n".join(_runs(release))
    assert 'frictionless validate "build/${{ steps.version.outputs.version }}/datapackage.json"' in script
    assert 'test -f "releases/$version.json"' in script
    attach = next(s for j in release["jobs"].values() for s in j["steps"] if s.get("uses", "").startswith("softprops/action-gh-release"))
    assert ".tar.gz" in attach["with"]["files"] and ".zip" in attach["with"]["files"]


def test_every_pakafg_call_in_workflows_and_hooks_parses():
    scripts = [r for name in ("ci.yml", "release.yml") for r in _runs(_workflow(name))]
    hooks = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in hooks["repos"]] == ["local"]
    entries = [hook["entry"] for repo in hooks["repos"] for hook in repo["hooks"]]
    assert {"pakafg fmt --check", "pakafg validate", "pakafg generate --check"} <= set(entries)
    assert all(hook["language"] == "system" for repo in hooks["repos"] for hook in repo["hooks"])
    calls = [c for script in scripts + entries for c in _pakafg_calls(script)]
    assert len(calls) >= 7
    for argv in calls:
        try:
            _parses(argv)
        except click.UsageError as exc:
            pytest.fail(f"pakafg {' '.join(argv)}: {exc}")
