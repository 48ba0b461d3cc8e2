"""Writing the SQLite database in a forked process while this one writes the other files.

The database is the costliest single export (1.7 s of a 14 s cold build at
100,000 records) and needs nothing the other exports produce, so a child forked
after `compile` writes it into the same staging folder while this process
writes CSV, Parquet and the charts. Only its result (the path written, or the
exception it raised) comes back, pickled through a pipe. The bytes are those of
writing it here: the child runs the same function on the same tables.

If this process fails first, the child is killed and reaped before the staging
folder is removed; if this process is killed, Linux kills the child too
(`PR_SET_PDEATHSIG`); if the child dies without answering, the build fails
with its exit status. Linux only (fork); elsewhere, and with `PAKAFG_JOBS=1`, the
work runs here when its result is asked for.
"""

from __future__ import annotations

import os
import pickle
import signal

from ..issues import PakafgError


def _die_with(parent: int) -> None:
    """Ask Linux to kill this child when its parent dies (a killed build leaves nothing writing in its folder)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _answer(work, write_end: int) -> None:
    """Run `work` and send back ("ok", its result) or ("error", what it raised), pickled."""
    try:
        answer = ("ok", work())
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent, which raises it
        answer = ("error", exc)
    try:
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception that cannot be pickled is sent as its text
        data = pickle.dumps(("error", PakafgError(f"{type(answer[1]).__name__}: {answer[1]}")))
    try:
        with os.fdopen(write_end, "wb") as out:
            out.write(data)
    except OSError:
        pass  # the parent is gone


class Here:
    """The plain path: the work runs when its result is first asked for."""

    def __init__(self, work):
        self.work, self.done, self.value = work, False, None

    def result(self):
        if not self.done:
            self.value, self.done = self.work(), True
        return self.value

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


class Beside(Here):
    """The work runs in a forked child from now on; `result()` waits for it."""

    def __init__(self, work):
        super().__init__(work)
        self.read_end, write_end = os.pipe()
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.close(self.read_end)
                _die_with(parent)
                _answer(work, write_end)
            finally:
                os._exit(0)  # never return into the parent's code, never run its exit handlers
        os.close(write_end)

    def result(self):
        if self.done:
            return self.value
        with os.fdopen(self.read_end, "rb") as answer:
            data = answer.read()
        _, status = os.waitpid(self.pid, 0)
        self.done, self.pid = True, None
        if not data:
            raise PakafgError(f"the process writing the database stopped without answering (wait status {status})")
        kind, value = pickle.loads(data)  # our own child's answer
        if kind == "error":
            raise value
        self.value = value
        return value

    def __exit__(self, *exc) -> None:
        if self.pid is not None:  # never asked for: this process failed first
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                os.close(self.read_end)
            except OSError:
                pass
            self.pid = None
