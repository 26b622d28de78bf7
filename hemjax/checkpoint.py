"""Orbax checkpoints in `<workdir>/checkpoints`: atomic, asynchronous, newest valid one wins.

A checkpoint holds the learner state of this process's devices (parameters, optimizer state,
replay buffer, PRNG keys, counters) as host arrays, plus JSON metadata: the config, the
evaluation history and the device layout. Each process of a multi-host run keeps its own
directory, since each holds its own devices' buffer shards.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import os
from collections.abc import Callable
from typing import Any

import jax
import ml_collections
import numpy as np
import orbax.checkpoint as ocp

from hemjax.config import RESUMABLE_FIELDS, ConfigError

log = logging.getLogger(__name__)


def checkpoint_dir(workdir: str) -> str:
    """This process's checkpoint directory under `workdir`."""
    base = os.path.join(os.path.abspath(workdir), "checkpoints")
    if jax.process_count() == 1:
        return base
    return os.path.join(base, f"process_{jax.process_index()}")


class Checkpointer:
    """Saves (step, state, metadata) in the background and restores the newest valid step.

    A save blocks training only while the state is copied to the host; a worker thread then
    writes it (one save at a time, each finished before the next starts).
    """

    def __init__(self, workdir: str, keep: int):
        directory = checkpoint_dir(workdir)
        os.makedirs(directory, exist_ok=True)
        self._manager = ocp.CheckpointManager(
            directory,
            options=ocp.CheckpointManagerOptions(
                create=False,
                max_to_keep=keep,
                enable_async_checkpointing=False,  # the worker thread makes saves async
                cleanup_tmp_directories=True,
                # every process writes its own directory; saves still run in step together
                multiprocessing_options=ocp.options.MultiprocessingOptions(primary_host=None),
            ),
        )
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self._pending: concurrent.futures.Future | None = None

    def save(self, step: int, state: Any, metadata: dict[str, Any]) -> None:
        """Starts writing `state` (a pytree) and `metadata` (JSON-able) under `step`, both
        copied now: the caller may change them while the worker writes."""
        # A real copy: on CPU device_get can alias device buffers that the next, donating
        # training call overwrites while the worker is still writing.
        host_state = jax.tree.map(lambda x: np.array(x, copy=True), state)
        # A snapshot too: the training loop appends to the history list inside `metadata`;
        # a slow worker once saved a later chunk's record with this step's state.
        metadata = json.loads(json.dumps(metadata))
        self.wait()
        self._pending = self._worker.submit(
            self._manager.save,
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(host_state), meta=ocp.args.JsonSave(metadata)
            ),
        )

    def restore_latest(
        self, make_template: Callable[[dict[str, Any]], Any]
    ) -> tuple[int, Any, dict[str, Any]] | None:
        """(step, state, metadata) of the newest readable checkpoint, or None if there is none.

        `make_template(metadata)` returns a host pytree shaped like the state (and may raise
        ConfigError, which propagates). Unreadable checkpoints are skipped with a warning naming
        them."""
        self.wait()
        for step in sorted(self._manager.all_steps(), reverse=True):
            try:
                meta = self._manager.restore(
                    step, args=ocp.args.Composite(meta=ocp.args.JsonRestore())
                ).meta
                template = make_template(meta)
                state = self._manager.restore(
                    step, args=ocp.args.Composite(state=ocp.args.StandardRestore(template))
                ).state
                _check_same_structure(template, state)
            except ConfigError:
                raise
            except Exception as error:  # noqa: BLE001 - any unreadable checkpoint is skipped
                log.warning(
                    "skipping unreadable checkpoint %s: %s",
                    os.path.join(str(self._manager.directory), str(step)),
                    f"{type(error).__name__}: {error}"[:300],
                )
                continue
            return step, state, meta
        return None

    def wait(self) -> None:
        """Blocks until every started save is on disk; re-raises a failed save's error."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        self.wait()
        self._worker.shutdown()
        self._manager.close()


def _check_same_structure(template: Any, restored: Any) -> None:
    for want, got in zip(jax.tree.leaves(template), jax.tree.leaves(restored), strict=True):
        if np.shape(want) != np.shape(got) or np.asarray(got).dtype != np.asarray(want).dtype:
            raise ValueError(f"array {np.shape(got)} does not match {np.shape(want)}")


def check_resumable(saved: dict[str, Any], config: ml_collections.ConfigDict) -> None:
    """Raises ConfigError naming every field where `config` differs from the saved config in a
    way that resuming cannot honour (model, env, shapes, algorithm)."""
    current = json.loads(config.to_json())
    differing = sorted(
        name
        for name in set(saved) | set(current)
        if name not in RESUMABLE_FIELDS and saved.get(name) != current.get(name)
    )
    if differing:
        details = "; ".join(
            f"{n}: saved {saved.get(n)!r}, now {current.get(n)!r}" for n in differing
        )
        raise ConfigError(
            f"cannot resume: the config differs from the checkpoint's in {details}. "
            f"Only {', '.join(RESUMABLE_FIELDS)} may change; use another workdir to start anew"
        )
