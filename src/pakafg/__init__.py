"""pakafg: build the Pakistan–Afghanistan relations data package from YAML records.

Library API (the CLI is a thin layer over these):

    from pakafg import validate, build, load_package_spec
    result = validate(".")          # -> Validation(report, collection)
    release = build(".")            # -> BuildResult(path, row_counts, …)
"""

__version__ = "0.1.0"

from .build import build  # noqa: E402
from .issues import CODES, InvalidPackage, Issue, PakafgError, Report  # noqa: E402
from .schemas import load_package_spec, to_pandera, to_pyarrow  # noqa: E402
from .validate import validate  # noqa: E402

__all__ = ["CODES", "InvalidPackage", "Issue", "PakafgError", "Report", "build", "load_package_spec", "to_pandera",
           "to_pyarrow", "validate", "__version__"]
