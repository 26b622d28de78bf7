"""The training driver: one compiled program per step kind over the device mesh, and the host loop.

Every device of every host runs the same per-device code (`shard_map` inside `jit`); seeds are
batched by `vmap` inside it. Devices split each seed's episodes, buffer and batch and average
gradients over `mesh.AXIS` (see `hemjax.mesh` for where each leaf lives). The host loop runs
chunks of up to `eval_every` iterations, evaluates after each, logs, and checkpoints.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from contextlib import ExitStack
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import envs
from hemjax import mesh as layout
from hemjax.checkpoint import (
    Checkpointer,
    CheckpointError,
    check_resumable,
    checkpoint_dir,
    with_defaults,
)
from hemjax.config import validate
from hemjax.learners import Learner, make_learner
from hemjax.logger import MetricsLogger
from hemjax.memory import check_fits
from hemjax.preemption import Interrupted, StopOnSignal
from hemjax.workdir_lock import WorkdirLock

# PRNG key streams: key(seed, stream, device) = fold_in(fold_in(PRNGKey(seed), stream), device).
PARAMS_STREAM = 0  # network initialisation, with SHARED_DEVICE: identical on every device
DATA_STREAM = 1  # each device's collection and sampling
EVAL_STREAM = 2  # evaluation number k uses stream EVAL_STREAM + k
SHARED_DEVICE = 2**31  # the device index folded in where every device must agree


def stream_key(seed: jax.Array, stream: int | jax.Array, device: int | jax.Array) -> jax.Array:
    """The raw uint32 [2] key of one (seed, stream, device)."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), stream), device)


@dataclasses.dataclass
class TrainState:
    """What `hem.run` returns: the config, the learner state of every seed, the history."""

    config: ml_collections.ConfigDict
    learner_state: Any  # seed-batched learner state: leaves [num_seeds, ...] (global arrays)
    history: list[dict[str, Any]]

    @property
    def params(self) -> Any:
        """Everything needed to act, per seed: leaves [num_seeds, ...]."""
        return self.learner_state.params

    @property
    def iteration(self) -> int:
        return int(np.asarray(self.learner_state.iteration)[0])


class Trainer:
    """The compiled programs of one validated config on the current device mesh."""

    def __init__(self, config: ml_collections.ConfigDict):
        self.config = config
        self.mesh = layout.make_mesh()
        self.num_devices = self.mesh.size
        self.env = envs.make(config.env_name, **dict(config.env_kwargs))
        self.learner: Learner = make_learner(config, self.env, self.num_devices, layout.AXIS)
        self.eval_episodes = math.ceil(config.eval_episodes / self.num_devices)
        self.seeds = np.asarray(config.seed + np.arange(config.num_seeds), np.int32)
        block = jax.eval_shape(jax.vmap(self.learner.init), self._keys(), self._keys())
        specs = layout.state_specs(block)
        self.init = layout.per_device(self._init_block, self.mesh, P(), specs)
        self.abstract_state = jax.eval_shape(self.init, self.seeds)  # global shapes
        self.state_shardings = layout.shardings(self.mesh, specs)
        self.chunk = layout.per_device(
            self._chunk_block, self.mesh, (specs, P(), P(), P(), P()), (specs, P(), P()), True
        )

    # ---- per-device code (one device's block; seeds batched by vmap) ----

    def _init_block(self, seeds: jax.Array) -> Any:
        device = jax.lax.axis_index(layout.AXIS)
        params_keys = jax.vmap(lambda s: stream_key(s, PARAMS_STREAM, SHARED_DEVICE))(seeds)
        data_keys = jax.vmap(lambda s: stream_key(s, DATA_STREAM, device))(seeds)
        return layout.global_view(jax.vmap(self.learner.init)(params_keys, data_keys))

    def _chunk_block(
        self,
        state: Any,
        seeds: jax.Array,
        max_iterations: jax.Array,
        step_budget: jax.Array,
        evaluation: jax.Array,
    ) -> tuple[Any, dict[str, jax.Array], jax.Array]:
        """Training iterations until `max_iterations` ran or the env steps simulated (mean over
        seeds) reach `step_budget`, then the greedy evaluation number `evaluation`.
        Returns (state, {metric: [S]}: the last iteration's, plus `iterations` run and
        `env_steps` simulated, success [S])."""
        state = layout.device_view(state)
        step = jax.vmap(self.learner.iteration_step)
        _, example = jax.eval_shape(step, state)
        start = {name: jnp.zeros(x.shape, x.dtype) for name, x in example.items()}
        start["finite"] = jnp.ones(self.seeds.shape, bool)
        start["env_steps"] = jnp.zeros(self.seeds.shape, jnp.float32)
        start["iterations"] = jnp.zeros(self.seeds.shape, jnp.int32)

        def more(carry: tuple[Any, dict[str, jax.Array]]) -> jax.Array:
            _, totals = carry
            budget_left = jnp.mean(totals["env_steps"]) < step_budget
            return (totals["iterations"][0] < max_iterations) & budget_left

        def one_iteration(
            carry: tuple[Any, dict[str, jax.Array]],
        ) -> tuple[Any, dict[str, jax.Array]]:
            state, totals = carry
            state, metrics = step(state)
            finite = jnp.isfinite(metrics["loss"]) & _all_finite(state.params)
            steps = metrics["episode_length"] * self.config.num_envs  # simulated, all devices
            return state, {
                **metrics,
                "finite": totals["finite"] & finite,
                "env_steps": totals["env_steps"] + steps,
                "iterations": totals["iterations"] + 1,
            }

        state, metrics = jax.lax.while_loop(more, one_iteration, (state, start))
        device = jax.lax.axis_index(layout.AXIS)
        keys = jax.vmap(lambda s: stream_key(s, EVAL_STREAM + evaluation, device))(seeds)
        success = jax.vmap(lambda p, k: self.learner.evaluate(p, k, self.eval_episodes))(
            state.params, keys
        )
        return layout.global_view(state), metrics, success

    def run_iterations(
        self, state: Any, iterations: int, evaluation: int = 0
    ) -> tuple[Any, dict[str, jax.Array], jax.Array]:
        """Exactly `iterations` iterations (no step budget) and an evaluation, as `chunk`
        returns them: for benchmarks."""
        return self.chunk(state, self.seeds, iterations, np.float32(np.inf), evaluation)

    def _keys(self) -> jax.ShapeDtypeStruct:
        return jax.ShapeDtypeStruct((self.config.num_seeds, 2), jnp.uint32)

    def restore_target(self, saved_devices: int) -> Any:
        """ShapeDtypeStructs with shardings for a checkpoint written on `saved_devices` devices;
        the data key keeps its saved device axis (`mesh.relayout` redistributes it)."""
        target = jax.tree.map(
            lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s),
            self.abstract_state,
            self.state_shardings,
        )
        if saved_devices == self.num_devices:
            return target
        key = self.abstract_state.key
        replicated = NamedSharding(self.mesh, P())
        saved_shape = (saved_devices, *key.shape[1:])
        return target.replace(key=jax.ShapeDtypeStruct(saved_shape, key.dtype, sharding=replicated))


def _all_finite(tree: Any) -> jax.Array:
    return jnp.all(jnp.asarray([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]))


def enable_compilation_cache(directory: str) -> None:
    """Turns on JAX's persistent compilation cache in `directory` ('' leaves it off)."""
    if directory:
        jax.config.update("jax_compilation_cache_dir", os.path.expanduser(directory))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def run(config: ml_collections.ConfigDict) -> TrainState:
    """Trains as `config` says and returns the final TrainState.

    With a workdir that already holds checkpoints of this config, training resumes from the
    newest readable one and ends exactly where an uninterrupted run would (on the same device
    count; on another count it continues correctly and says so). SIGTERM / SIGINT stop the run
    after the chunk in flight with a checkpoint, raising `Interrupted`.
    """
    validate(config, jax.device_count())
    enable_compilation_cache(config.compilation_cache)
    with ExitStack() as stack:
        if config.workdir:
            _prepare_workdir(config.workdir)
            if jax.process_index() == 0:
                stack.enter_context(WorkdirLock(config.workdir))
        trainer = Trainer(config)
        check_fits(trainer.abstract_state, trainer.state_shardings, config, trainer.env)
        checkpointer = None
        restored = None
        if config.workdir:
            checkpointer = Checkpointer(config.workdir, config.keep_checkpoints)
            stack.callback(checkpointer.close)
            restored = _restore(checkpointer, trainer, config)
        if restored is None:
            state, history = trainer.init(trainer.seeds), []
        else:
            state, history = restored
        signals = stack.enter_context(StopOnSignal())
        return _train(config, trainer, state, history, checkpointer, signals)


def _prepare_workdir(workdir: str) -> None:
    for path in (workdir, checkpoint_dir(workdir)):
        if os.path.exists(path) and not os.path.isdir(path):
            raise NotADirectoryError(f"workdir: {path} exists and is not a directory")
    try:
        os.makedirs(workdir, exist_ok=True)
    except OSError as error:
        raise OSError(f"workdir: cannot create {workdir}: {error.strerror}") from None
    if not os.access(workdir, os.W_OK):
        raise PermissionError(f"workdir: {workdir} is not writable")


def _restore(
    checkpointer: Checkpointer, trainer: Trainer, config: ml_collections.ConfigDict
) -> tuple[Any, list] | None:
    saved_devices = {}

    def template(meta: dict[str, Any]) -> Any:
        check_resumable(meta["config"], config)
        saved_devices["count"] = meta["num_devices"]
        return trainer.restore_target(meta["num_devices"])

    restored = checkpointer.restore_latest(template, move_unreadable=True)
    if restored is None:
        return None
    _, state, meta = restored
    if saved_devices["count"] != trainer.num_devices:
        if jax.process_count() > 1:
            raise CheckpointError(
                f"the checkpoint was written on {saved_devices['count']} devices and this "
                f"multi-process run has {trainer.num_devices}; elastic resume is single-process "
                "only: resume on one host, or on the same layout"
            )
        print(
            f"resuming a checkpoint written on {saved_devices['count']} devices on "
            f"{trainer.num_devices}: the buffer is redistributed and the run continues "
            "correctly, but not bit for bit as it would have on the same device count"
        )
        state = layout.relayout(state, saved_devices["count"], trainer.mesh)
    return state, meta["history"]


def _train(
    config: ml_collections.ConfigDict,
    trainer: Trainer,
    state: Any,
    history: list[dict[str, Any]],
    checkpointer: Checkpointer | None,
    signals: StopOnSignal,
) -> TrainState:
    budget = config.total_env_steps
    logger = MetricsLogger(config.workdir, config.log_tensorboard, history)
    iteration = int(np.asarray(state.iteration)[0])
    simulated = history[-1]["env_steps"] if history else 0.0
    progress = _progress_bar(config, budget, simulated)
    start = time.perf_counter() - (history[-1]["wall_time"] if history else 0.0)
    last_save, last_saved_iteration = time.monotonic(), iteration
    try:
        while simulated < budget:
            state, metrics, success = trainer.chunk(
                state, trainer.seeds, config.eval_every, budget - simulated, len(history)
            )
            metrics = jax.tree.map(np.asarray, metrics)
            iteration += int(metrics["iterations"][0])
            steps = float(np.mean(metrics["env_steps"]))
            if not np.all(metrics["finite"]):
                raise FloatingPointError(
                    f"non-finite loss or parameters by iteration {iteration}; stopped without "
                    "saving, so the last good checkpoint in the workdir stays as it was"
                )
            simulated += steps
            record = _record(
                metrics, np.asarray(success), iteration, simulated, time.perf_counter() - start
            )
            reached = config.target_success > 0 and (
                record["eval_success"] >= config.target_success
            )
            record["target_reached"] = reached
            history.append(record)
            logger.write(record)
            stop = signals.stop_requested()
            if checkpointer and (
                simulated >= budget
                or reached
                or stop
                or _due(iteration, last_saved_iteration, config, time.monotonic() - last_save)
            ):
                checkpointer.save(iteration, state, _metadata(config, trainer, history))
                last_save, last_saved_iteration = time.monotonic(), iteration
            if progress is not None:
                progress.update(round(steps))
                progress.set_postfix(
                    success=f"{record['eval_success']:.3f}", loss=f"{record['loss']:.3f}"
                )
            if reached:
                break
            if stop:
                if checkpointer:
                    checkpointer.wait()
                raise Interrupted(signals.signal_number(), iteration, checkpointer is not None)
    finally:
        if progress is not None:
            progress.close()
        if checkpointer is not None:
            checkpointer.wait()
        logger.close(history, f"{config.algo} on {config.env_name}", label=config.algo)
    return TrainState(config=config, learner_state=state, history=history)


def load(workdir: str) -> TrainState:
    """The TrainState of the newest readable checkpoint in `workdir`, for act/evaluate."""
    directory = checkpoint_dir(workdir)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"no readable checkpoint in {directory}: it does not exist")
    checkpointer = Checkpointer(workdir, keep=1, read_only=True)
    trainers: dict[str, Trainer] = {}

    def template(meta: dict[str, Any]) -> Any:
        config = ml_collections.ConfigDict(with_defaults(meta["config"]))
        config.hidden_sizes = tuple(config.hidden_sizes)
        trainers["it"] = trainer = Trainer(config)
        return trainer.restore_target(meta["num_devices"])

    try:
        restored = checkpointer.restore_latest(template, move_unreadable=False)
    finally:
        checkpointer.close()
    if restored is None:
        raise FileNotFoundError(f"no readable checkpoint in {directory}")
    _, state, meta = restored
    return TrainState(config=trainers["it"].config, learner_state=state, history=meta["history"])


def _due(
    iteration: int,
    last_saved_iteration: int,
    config: ml_collections.ConfigDict,
    seconds_since_save: float,
) -> bool:
    """Whether a checkpoint is due: a multiple of checkpoint_every was passed since the last
    save (chunks need not land on multiples, e.g. after a resume with a new eval_every), or
    checkpoint_every_minutes went by."""
    every = config.checkpoint_every
    if every > 0:
        return iteration // every > last_saved_iteration // every
    minutes = config.checkpoint_every_minutes
    return minutes > 0 and seconds_since_save >= 60 * minutes


def _metadata(
    config: ml_collections.ConfigDict, trainer: Trainer, history: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "config": json.loads(config.to_json()),
        "history": history,
        "num_devices": trainer.num_devices,
        "process_count": jax.process_count(),
    }


def _record(
    metrics: dict[str, np.ndarray],
    success: np.ndarray,
    iteration: int,
    env_steps: float,
    wall_time: float,
) -> dict:
    """One log line: the chunk's last training metrics and the evaluation, over seeds.
    `env_steps` counts steps actually simulated (episodes end at their first success)."""
    skip = ("finite", "env_steps", "iterations")
    return {
        "iteration": iteration,
        "env_steps": round(env_steps),
        "eval_success": float(np.mean(success)),
        "eval_success_std": float(np.std(success)),
        "eval_success_per_seed": [float(s) for s in success],
        **{name: float(np.mean(v)) for name, v in metrics.items() if name not in skip},
        "wall_time": wall_time,
    }


def _progress_bar(config: ml_collections.ConfigDict, total: int, done: float):
    """A bar over the env-step budget, on process 0 only."""
    if not config.progress_bar or jax.process_index() != 0:
        return None
    from tqdm import tqdm

    name = config.algo
    return tqdm(
        total=total,
        initial=round(done),
        desc=f"{name} {config.env_name}",
        unit="step",
        unit_scale=True,
    )
