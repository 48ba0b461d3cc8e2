"""Every committed file the package generates, and the one command that brings them all up to date.

`pakafg generate` writes them; `pakafg generate --check` (CI, pre-commit, the
data checks) exits 1 naming each stale file and the command that fixes it:

- `docs/json-schema/<table>.json`: what editors check record files against (targets.py);
- `docs/data-dictionary.md`: every table, field and code (dictionary.py);
- `docs/coverage.md`: what each source contributes, every disagreement (coverage.py; needs valid records);
- the cog blocks of README.md and CONTRIBUTING.md (issue codes, command help).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .issues import PakafgError
from .schemas import PackageSpec, load_package_spec

COG_FILES = ("README.md", "CONTRIBUTING.md")
COMMAND = "pakafg generate"


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
    return {PAGE: coverage_markdown(compile_tables(validation))}


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
