"""Stopping cleanly on SIGTERM / SIGINT: the training loop finishes the chunk in flight, saves,
and raises `Interrupted`; a second signal ends the process at once.

SIGTERM is how Slurm, Kubernetes and preemptible VMs end a job; SIGINT is Ctrl-C. In a
multi-process run every process stops at the same chunk (`stop_requested` agrees across them).
"""

from __future__ import annotations

import os
import signal
import threading
import types

import jax
import numpy as np
from jax.experimental import multihost_utils

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(Exception):
    """A run stopped by a signal after saving; rerunning the same command resumes it."""

    def __init__(self, signal_number: int, iteration: int, saved: bool):
        self.signal_number = signal_number
        self.iteration = iteration
        self.saved = saved
        name = signal.Signals(signal_number).name
        what = "checkpoint saved" if saved else "no workdir, so nothing was saved"
        super().__init__(f"stopped by {name} after iteration {iteration} ({what})")

    @property
    def exit_status(self) -> int:
        """The shell's status for a process ended by this signal: 128 + signal number."""
        return 128 + self.signal_number


class StopOnSignal:
    """A context manager that records the first SIGTERM / SIGINT instead of dying of it."""

    def __init__(self):
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for number in SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number: int, frame: types.FrameType | None) -> None:
        del frame
        if self.received is not None:  # the second signal: end now, the default way
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        self.received = number

    def stop_requested(self) -> bool:
        """Whether any process has received a signal (a collective in multi-process runs)."""
        mine = np.int32(self.received is not None)
        if jax.process_count() > 1:
            return bool(np.max(multihost_utils.process_allgather(mine)))
        return bool(mine)

    def signal_number(self) -> int:
        return self.received if self.received is not None else signal.SIGTERM

    def __exit__(self, *exc_info) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
