"""Every committed file the package generates, and the one command that brings them all up to date.

`pakafg generate` writes them; `pakafg generate --check` (CI, pre-commit, the
data checks) exits 1 naming each stale file and the command that fixes it:

- `docs/json-schema/<table>.json`: what editors check record files against (targets.py);
- `docs/data-dictionary.md`: every table, field and code (dictionary.py);
- `docs/coverage.md`: what each source contributes, every disagreement (coverage.py; needs valid records);
- the cog blocks of README.md, CONTRIBUTING.md and docs/ (issue codes, command help, the import graph).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .issues import PakafgError
from .schemas import GENERATE_COMMAND, PackageSpec, load_package_spec

COG_FILES = ("README.md", "CONTRIBUTING.md", "docs/architecture.md", "docs/validation.md")
COMMAND = GENERATE_COMMAND


@dataclass
class Generated:
    files: dict[str, str] = field(default_factory=dict)  # repo-relative path -> expected text
    problems: list[str] = field(default_factory=list)  # files that could not be generated, and why


def _cog(root: Path, name: str) -> str | None:
    """`name` with its cog blocks re-run (None when it has none)."""
    import cogapp

    path = root / name
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if "[[[cog" not in text:
        return None
    try:
        return cogapp.Cog().process_string(text, fname=str(path))
    except cogapp.CogError as exc:
        raise PakafgError(f"{name}: a cog block fails: {exc}") from None


def expected_files(root: str | Path, spec: PackageSpec | None = None) -> Generated:
    """What every generated file should hold now."""
    from .dictionary import DICTIONARY_FILE, render
    from .targets import json_schema_files

    root = Path(root)
    spec = spec or load_package_spec(root)
    out = Generated(dict(json_schema_files(spec)))
    out.files[DICTIONARY_FILE] = render(spec)
    out.files.update(_coverage(spec, out))
    for name in COG_FILES:
        text = _cog(root, name)
        if text is not None:
            out.files[name] = text
    return out


def _coverage(spec: PackageSpec, out: Generated) -> dict[str, str]:
    from .check import validate_spec
    from .compile import compile_tables
    from .coverage import PAGE, coverage_markdown

    validation = validate_spec(spec)
    if not validation.valid:
        out.problems.append(f"{PAGE}: not generated while the records have errors (run `pakafg validate`)")
        return {}
    return {PAGE: coverage_markdown(spec, compile_tables(validation))}


def sync(root: str | Path, check: bool = False) -> tuple[list[str], list[str]]:
    """Write the generated files that differ from what is on disk; return (stale paths, problems).

    With `check`, write nothing: the returned paths are the stale ones.
    """
    root = Path(root)
    generated = expected_files(root)
    stale = []
    for rel, text in generated.files.items():
        path = root / rel
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        stale.append(rel)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return stale, generated.problems


def import_graph() -> dict[str, list[str]]:
    """Which pakafg module imports which (at the top or inside a function), from the source's syntax trees.

    A package stands for its `__init__`; `pakafg/__init__.py` re-exports names
    lazily and is left out. docs/architecture.md shows this graph; a test
    checks it has no cycle.
    """
    import ast

    src = Path(__file__).resolve().parent
    modules = {}
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = (path, path.name == "__init__.py")
    graph: dict[str, list[str]] = {}
    for name, (path, is_package) in modules.items():
        if name == "pakafg":
            continue
        package = name if is_package else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                target = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
                submodules = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in modules]
                names = [alias.name for alias in node.names if f"{target}.{alias.name}" not in modules]
                candidates = submodules + ([target] if names else [])
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            found.update(c for c in candidates if c in modules and c not in ("pakafg", name))
        graph[name] = sorted(found)
    return graph


def import_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every cycle in an import graph (each once, as the path that closes it)."""
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "active"
        for target in graph.get(node, []):
            if state.get(target) == "active":
                cycles.append(path[path.index(target):] + [target] if target in path else [node, target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def architecture_markdown() -> str:
    """The import graph as a Markdown table (for docs/architecture.md, via cog)."""
    graph = import_graph()
    lines = ["| module | imports (pakafg modules) |", "|---|---|"]
    short = lambda name: f"`{name.removeprefix('pakafg.')}`"  # noqa: E731
    for name, targets in sorted(graph.items()):
        lines.append(f"| {short(name)} | {', '.join(map(short, targets)) or '—'} |")
    return "\n".join(lines)
