"""The chart cache: a chart already drawn from the same data is copied, not drawn again.

A chart's key (`export.charts.drawing_key`) covers the data it shows, the
drawing code and the matplotlib version, and drawing is deterministic (same
data, same bytes), so the files drawn for a key are the files any later build
would draw for it. They are kept in `.pakafg-cache/charts/<chart>-<key>/`;
only the latest key of each chart is kept. Drawing costs about 2 s at 100,000 records (1 s of it importing
matplotlib); a copy costs milliseconds.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .cache import CACHE_DIR, cache_folder

CHARTS = "charts"


class ChartCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def drawn(self, key: str, paths: list[Path], draw) -> list[Path]:
        """`paths` (one chart's files) copied from the cache for `key`, or drawn by `draw()` and kept."""
        kept = self.root / CACHE_DIR / CHARTS / f"{paths[0].stem}-{key}"
        try:
            for path in paths:
                shutil.copyfile(kept / path.name, path)
            return paths
        except OSError:
            pass
        written = draw()
        self._keep(kept, written)
        return written

    def _keep(self, kept: Path, written: list[Path]) -> None:
        """Store a chart's files under its key (a new folder renamed into place); forget its older keys."""
        try:
            folder = cache_folder(self.root) / CHARTS
            folder.mkdir(exist_ok=True)
            tmp = folder / f".{kept.name}.{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            for path in written:
                shutil.copyfile(path, tmp / path.name)
            shutil.rmtree(kept, ignore_errors=True)
            os.rename(tmp, kept)
            chart = kept.name.rsplit("-", 1)[0] + "-"
            for old in folder.iterdir():
                if old.name.startswith(chart) and old != kept:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass  # only slower next time
