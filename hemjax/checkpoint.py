"""Orbax checkpoints in `<workdir>/checkpoints`: atomic, asynchronous, never lost by accident.

A checkpoint holds the global learner state (parameters, optimiser state, replay buffer, PRNG
keys, counters; sharded arrays, written by every process together) plus JSON metadata: the config,
the evaluation history and the device layout. A save returns once the state is copied off the
devices; the files are written in the background. Checkpoints that cannot be read are moved to
`<workdir>/checkpoints_unreadable` (never deleted), and a run whose checkpoints all fail to restore
refuses to start instead of starting over.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import ml_collections
import orbax.checkpoint as ocp

import envs
from hemjax.config import FIELDS, RESUMABLE_FIELDS, ConfigError, env_arguments

log = logging.getLogger(__name__)


# A failed read's TensorStore callbacks land within milliseconds; waiting this long after a failure
# lets them land while the filter below is installed, not during interpreter shutdown.
LATE_CALLBACK_SECONDS = 0.25


class CheckpointError(RuntimeError):
    """Checkpoints exist but cannot be used, or a save failed; the message says which and why."""


def checkpoint_dir(workdir: str) -> str:
    """The checkpoint directory under `workdir`."""
    return os.path.join(os.path.abspath(workdir), "checkpoints")


def unreadable_dir(workdir: str) -> str:
    """Where checkpoints that could not be restored are moved, kept for inspection."""
    return os.path.join(os.path.abspath(workdir), "checkpoints_unreadable")


class Checkpointer:
    """Saves (step, state, metadata) asynchronously and restores the newest usable step."""

    def __init__(self, workdir: str, keep: int, read_only: bool = False):
        """`read_only`: for reading only; nothing is created or cleaned up."""
        self._workdir = workdir
        directory = checkpoint_dir(workdir)
        if not read_only:
            os.makedirs(directory, exist_ok=True)
        self._manager = ocp.CheckpointManager(
            directory,
            options=ocp.CheckpointManagerOptions(
                create=False,
                max_to_keep=keep,
                cleanup_tmp_directories=not read_only,
                enable_async_checkpointing=True,
            ),
        )

    def steps(self) -> list[int]:
        """Steps of the finished checkpoints, newest first."""
        return sorted(self._manager.all_steps(), reverse=True)

    def save(self, step: int, state: Any, metadata: dict[str, Any]) -> None:
        """Starts writing `state` (a pytree of arrays) and `metadata` (JSON-able) under `step`.

        Returns once the arrays are copied off the devices, so the caller may donate them; the
        metadata is snapshotted now. Raises CheckpointError if Orbax refuses the step."""
        metadata = json.loads(json.dumps(metadata))
        self._manager.wait_until_finished()
        saved = self._manager.save(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(metadata)
            ),
        )
        if not saved:
            raise CheckpointError(
                f"checkpoint {step} was not written: a checkpoint at or after step {step} "
                f"already exists in {checkpoint_dir(self._workdir)}"
            )

    def restore_latest(
        self, make_template: Callable[[dict[str, Any]], Any], move_unreadable: bool
    ) -> tuple[int, Any, dict[str, Any]] | None:
        """(step, state, metadata) of the newest readable checkpoint; None if there is none.

        `make_template(metadata)` returns an abstract pytree (ShapeDtypeStructs with shardings)
        shaped like the state; it may raise ConfigError, which propagates. Unreadable newer
        checkpoints are skipped with a warning (and, with `move_unreadable`, moved aside so the
        step can be written again). If checkpoints exist and none can be read, CheckpointError
        names each with its reason and nothing is changed."""
        self.wait()
        _ignore_late_callbacks_of_failed_reads()
        failures = []
        for step in self.steps():
            try:
                meta = self._manager.restore(
                    step, args=ocp.args.Composite(meta=ocp.args.JsonRestore())
                ).meta
                template = make_template(meta)
                state = self._manager.restore(
                    step, args=ocp.args.Composite(state=ocp.args.StandardRestore(template))
                ).state
            except ConfigError:
                raise
            except Exception as error:  # noqa: BLE001 - any unreadable checkpoint is reported
                time.sleep(LATE_CALLBACK_SECONDS)  # let the failed read's callbacks fire now
                reason = f"{type(error).__name__}: {error}".splitlines()[0][:200]
                log.warning("skipping unreadable checkpoint %d: %s", step, reason)
                failures.append((step, reason))
                continue
            if move_unreadable:
                for bad, _ in failures:
                    self._move_aside(bad)
            return step, state, meta
        if failures:
            listed = "; ".join(f"{step}: {reason}" for step, reason in failures)
            raise CheckpointError(
                f"none of the checkpoints in {checkpoint_dir(self._workdir)} can be restored "
                f"({listed}); nothing was changed. To start over, move that directory away"
            )
        return None

    def _move_aside(self, step: int) -> None:
        if jax.process_index() == 0:
            target = unreadable_dir(self._workdir)
            os.makedirs(target, exist_ok=True)
            destination = os.path.join(target, f"{step}-{int(time.time())}")
            os.replace(os.path.join(checkpoint_dir(self._workdir), str(step)), destination)
            log.warning("moved unreadable checkpoint %d to %s", step, destination)
        self._manager.reload()

    def wait(self) -> None:
        """Blocks until every started save is on disk; re-raises a failed save's error."""
        self._manager.wait_until_finished()

    def close(self) -> None:
        self._manager.close()


def _ignore_late_callbacks_of_failed_reads() -> None:
    """A failed Orbax read leaves TensorStore callbacks that fire after Orbax closed their event
    loop, each printing a 'RuntimeError: Event loop is closed' traceback. Drop exactly those;
    every other unraisable exception still reaches the previous hook."""
    previous = sys.unraisablehook
    if getattr(previous, "hemjax_filter", False):
        return

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        error = unraisable.exc_value
        if not (isinstance(error, RuntimeError) and str(error) == "Event loop is closed"):
            previous(unraisable)

    hook.hemjax_filter = True
    sys.unraisablehook = hook


def with_defaults(saved: dict[str, Any]) -> dict[str, Any]:
    """A saved config completed with the defaults of fields and env arguments added since it
    was written, so a checkpoint from before a new field resumes when the field is at its
    default."""
    filled = {name: json.loads(json.dumps(field.default)) for name, field in FIELDS.items()} | saved
    if saved.get("env_name") in envs.names():
        defaults = {
            name: argument.default for name, argument in env_arguments(saved["env_name"]).items()
        }
        filled["env_kwargs"] = json.loads(json.dumps(defaults)) | dict(saved.get("env_kwargs", {}))
    return filled


def check_resumable(saved: dict[str, Any], config: ml_collections.ConfigDict) -> None:
    """Raises ConfigError naming every field where `config` differs from the saved config in a
    way that resuming cannot honour (model, env, shapes, algorithm)."""
    current = json.loads(config.to_json())
    saved = with_defaults(saved)
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
