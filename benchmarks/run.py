"""Run the performance benchmark (same as `pakafg bench run`); results go to benchmarks/RESULTS.md.

    python benchmarks/run.py                 # 1k, 10k, 100k records (takes several minutes)
    python benchmarks/run.py 1000 10000      # chosen sizes
"""

from __future__ import annotations

import sys
from pathlib import Path

from pakafg.bench_run import SIZES, run

if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    run(sizes, out=Path(__file__).resolve().parent / "RESULTS.md")
