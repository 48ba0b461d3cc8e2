"""The layout shows the flow: no import cycles, and each stage imports only what docs/architecture.md allows."""

from __future__ import annotations

import pytest

from pakafg.generated import import_cycles, import_graph

GRAPH = import_graph()
STAGES = ("pakafg.read", "pakafg.check", "pakafg.compile", "pakafg.export", "pakafg.publish")


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_there_is_no_import_cycle():
    assert import_cycles(GRAPH) == []


def test_the_graph_finds_imports():
    assert "pakafg.read" in GRAPH["pakafg.check.types"] and "pakafg.check" in GRAPH["pakafg.compile"]


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_follow_the_flow(module):
    targets = GRAPH[module]
    core = any(_in(module, stage) for stage in STAGES) or module in ("pakafg.schemas", "pakafg.targets", "pakafg.issues")
    if core:
        assert not [t for t in targets if _in(t, "pakafg.versioning") or t in ("pakafg.cli", "pakafg.pipeline")], targets
    if _in(module, "pakafg.read"):  # the first stage knows nothing of later ones
        assert not [t for t in targets if any(_in(t, s) for s in STAGES[1:])], targets
    if module in ("pakafg.schemas", "pakafg.issues", "pakafg.targets"):
        assert not [t for t in targets if any(_in(t, s) for s in STAGES)], targets
    if _in(module, "pakafg.export") or module == "pakafg.publish":
        assert not [t for t in targets if _in(t, "pakafg.check") or _in(t, "pakafg.read")], targets


def test_speed_lives_behind_one_seam():
    """Only `check` (its validate: cache, parallel reading, schema verdict, GeoNames entries) and `pipeline` (a build
    that finds nothing changed, charts already drawn) call the speed layer; speed never calls a later stage."""
    users = sorted(m for m, targets in GRAPH.items() if any(_in(t, "pakafg.speed") for t in targets) and not _in(m, "pakafg.speed"))
    assert users == ["pakafg.check", "pakafg.pipeline"]
    assert not [t for m in GRAPH if _in(m, "pakafg.speed") for t in GRAPH[m]
                if any(_in(t, s) for s in STAGES[1:])]
