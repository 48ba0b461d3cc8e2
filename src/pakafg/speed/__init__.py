"""Speed: everything that exists only to make the pipeline faster, behind one seam.

The core (read -> check -> compile -> export -> publish) has one plain path
and knows nothing of this package except two hooks: `files_reader(spec)`,
which `read.read_package` calls instead of reading files one by one, and
`check_schemas(spec)`. Each fast path here gives exactly what the plain path
gives (tests/tool/test_speed.py compares them) and has a benchmark figure in
benchmarks/RESULTS.md that justifies it.
"""

from __future__ import annotations

from ..schemas import PackageSpec


def files_reader(spec: PackageSpec):
    """The function `read_package` reads record files with: the plain one, for now."""
    from ..read import read_files

    return read_files


def check_schemas(spec: PackageSpec) -> None:
    """frictionless' verdict on the Table Schemas."""
    from ..targets import check_schemas as check

    check(spec)
