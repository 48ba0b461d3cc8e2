"""pakafg: build the Pakistan–Afghanistan relations data package from YAML records.

Library API (the CLI is a thin layer over these):

    from pakafg import validate, build, load_package_spec
    result = validate(".")          # -> Validation(spec, tables, report)
    release = build(".")            # -> BuildResult(path, version, row_counts, …)

Names are imported on first use, so `import pakafg` (and `pakafg --help`) stays fast.
"""

__version__ = "0.2.0"

_API = {
    "build": "pakafg.pipeline",
    "validate": "pakafg.check",
    "load_package_spec": "pakafg.schemas",
    "to_pyarrow": "pakafg.targets",
    "to_pandera": "pakafg.check.frame",
    "CODES": "pakafg.issues",
    "Issue": "pakafg.issues",
    "Report": "pakafg.issues",
    "PakafgError": "pakafg.issues",
    "InvalidPackage": "pakafg.issues",
}
__all__ = [*_API, "__version__"]


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'pakafg' has no attribute {name!r}")
