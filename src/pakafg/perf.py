"""Process-level tuning for large packages.

A validation allocates millions of small acyclic objects (YAML nodes, rows,
cells) that live until the run ends. CPython's cyclic garbage collector is
triggered by allocation counts and rescans every surviving object at each full
collection, so its cost grows faster than the package: a third of the CPU time
of reading 100k records. Those objects are freed by reference counting anyway;
`paused_gc` switches the cyclic collector off for the duration of a run (and
back on after, even on error).
"""

from __future__ import annotations

import functools
import gc
import threading

_lock = threading.Lock()
_depth = 0
_was_enabled = False


def paused_gc(fn):
    """Decorator: run `fn` with the cyclic garbage collector paused (nesting and threads are safe)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        global _depth, _was_enabled
        with _lock:
            if _depth == 0:
                _was_enabled = gc.isenabled()
                gc.disable()
            _depth += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with _lock:
                _depth -= 1
                if _depth == 0 and _was_enabled:
                    gc.enable()

    return wrapper
