"""One writer per workdir: an atomically created lock file naming its holder.

`<workdir>/LOCK` holds JSON {host, pid, started}. A second run on the same workdir is refused with
one line naming the holder; a lock left by a process that no longer exists on this host is taken
over with a warning. In a multi-host run, process 0 holds the lock for the whole job.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time

log = logging.getLogger(__name__)


class WorkdirLocked(RuntimeError):
    """Another live run holds the workdir's lock."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkdirLock:
    """A context manager holding `<workdir>/LOCK` while a run writes there."""

    def __init__(self, workdir: str):
        self.path = os.path.join(os.path.abspath(workdir), "LOCK")
        self._record = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}

    def __enter__(self) -> WorkdirLock:
        for _ in range(2):
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            with os.fdopen(descriptor, "w") as file:
                json.dump(self._record, file)
            return self
        raise WorkdirLocked(f"could not take {self.path}: another run took it at the same time")

    def _take_over_if_stale(self) -> None:
        try:
            with open(self.path) as file:
                holder = json.load(file)
        except (OSError, ValueError):
            holder = {}
        host, pid = holder.get("host"), holder.get("pid")
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder.get("started", 0)))
        if host == self._record["host"] and isinstance(pid, int) and not _alive(pid):
            log.warning("taking over %s left by process %d, which no longer exists", self.path, pid)
            os.remove(self.path)
            return
        if not holder:
            raise WorkdirLocked(f"workdir is locked by an unreadable lock file {self.path}")
        raise WorkdirLocked(
            f"workdir is in use by process {pid} on host {host} since {started} "
            f"(lock file {self.path}); wait for it to end, or remove the lock if it is gone"
        )

    def __exit__(self, *exc_info) -> None:
        try:
            with open(self.path) as file:
                mine = json.load(file) == self._record
        except (OSError, ValueError):
            return
        if mine:
            os.remove(self.path)
