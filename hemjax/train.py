"""The training driver: compiled chunks of iterations on every local device, host-side logging.

Layout: every LearnerState leaf is [local_devices, num_seeds, ...]. Devices split the episodes,
buffer and batch of each seed and average gradients (pmap over AXIS); seeds are independent
programs batched by vmap.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

import envs
from hemjax.checkpoint import Checkpointer, check_resumable, checkpoint_dir
from hemjax.config import validate
from hemjax.learners import Learner, make_learner
from hemjax.learners.hem import LearnerState
from hemjax.logger import MetricsLogger

AXIS = "devices"


@dataclasses.dataclass
class TrainState:
    """What `hem.run` returns: the config, every learner's state, and the evaluation history."""

    config: ml_collections.ConfigDict
    learner_state: LearnerState  # leaves [local_devices, num_seeds, ...]
    history: list[dict[str, Any]]

    @property
    def params(self):
        """Policy parameters [num_seeds, ...] (identical on every device)."""
        return jax.tree.map(lambda x: x[0], self.learner_state.params)

    @property
    def iteration(self) -> int:
        return int(self.learner_state.iteration[0, 0])


@dataclasses.dataclass(frozen=True)
class Plan:
    """How a config's budget is spent: whole chunks of `chunk` iterations."""

    steps_per_iteration: int  # env steps per iteration per seed, all devices together
    chunk: int
    num_chunks: int

    @property
    def num_iterations(self) -> int:
        return self.chunk * self.num_chunks


def make_plan(config: ml_collections.ConfigDict, env: envs.GoalEnv) -> Plan:
    """The budget rounded up to whole chunks of eval_every iterations."""
    steps = config.num_envs * env.max_steps
    iterations = math.ceil(config.total_env_steps / steps)
    return Plan(steps, config.eval_every, math.ceil(iterations / config.eval_every))


class Trainer:
    """Compiled functions for one validated config on this process's devices."""

    def __init__(self, config: ml_collections.ConfigDict):
        self.config = config
        self.num_devices = jax.device_count()
        self.local_devices = jax.local_device_count()
        self.env = envs.make(config.env_name, **dict(config.env_kwargs))
        self.plan = make_plan(config, self.env)
        self.learner: Learner = make_learner(config, self.env, self.num_devices, AXIS)
        self.eval_episodes = math.ceil(config.eval_episodes / self.num_devices)
        learner = self.learner

        def chunk(state: LearnerState):
            step = jax.vmap(learner.iteration_step)
            state, metrics = jax.lax.scan(lambda s, _: step(s), state, None, length=self.plan.chunk)
            finite = jnp.all(jnp.isfinite(metrics["loss"])) & jnp.all(
                jnp.array([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(state.params)])
            )
            return state, metrics, finite

        def evaluate(params, keys):
            return jax.vmap(lambda p, k: learner.evaluate(p, k, self.eval_episodes))(params, keys)

        self.init = jax.pmap(jax.vmap(learner.init), axis_name=AXIS)
        self.chunk = jax.pmap(chunk, axis_name=AXIS, donate_argnums=0)
        self.evaluate = jax.pmap(evaluate, axis_name=AXIS)

    def _device_indices(self) -> np.ndarray:
        first = jax.process_index() * self.local_devices
        return np.arange(first, first + self.local_devices)

    def _seed_keys(self, stream: int, per_device: bool = True) -> np.ndarray:
        """[local_devices, num_seeds, 2] uint32 keys of one stream (0 params, 1 data, 2+ eval);
        without `per_device` every device gets the same keys (shared parameters)."""
        seeds = self.config.seed + np.arange(self.config.num_seeds)
        devices = self._device_indices() if per_device else [2**31] * self.local_devices
        return np.asarray(
            [
                [
                    jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(s), stream), d)
                    for s in seeds
                ]
                for d in devices
            ],
            np.uint32,
        )

    def initial_state(self) -> LearnerState:
        return self.init(self._seed_keys(0, per_device=False), self._seed_keys(1))

    def eval_keys(self, chunk_index: int) -> np.ndarray:
        return self._seed_keys(2 + chunk_index)


def run(config: ml_collections.ConfigDict) -> TrainState:
    """Trains hEM as `config` says and returns the final TrainState.

    With a workdir that already holds checkpoints of this config, training resumes from the
    newest readable one and ends exactly where an uninterrupted run would.
    """
    validate(config, jax.device_count())
    trainer = Trainer(config)
    state = trainer.initial_state()
    history: list[dict[str, Any]] = []
    checkpointer = None
    if config.workdir:
        os.makedirs(config.workdir, exist_ok=True)
        checkpointer = Checkpointer(config.workdir, config.keep_checkpoints)
        host_template = jax.device_get(state)

        def template(meta: dict[str, Any]):
            check_resumable(meta["config"], config)
            return host_template

        restored = checkpointer.restore_latest(template)
        if restored is not None:
            _, host_state, meta = restored
            state, history = host_state, meta["history"]  # pmap moves it onto the devices
    logger = MetricsLogger(config.workdir, config.log_tensorboard, history)
    plan = trainer.plan
    done_chunks = len(history)
    progress = _progress_bar(config, plan, done_chunks * plan.chunk)
    start = time.perf_counter() - (history[-1]["wall_time"] if history else 0.0)
    try:
        for chunk_index in range(done_chunks, plan.num_chunks):
            state, metrics, finite = trainer.chunk(state)
            iteration = (chunk_index + 1) * plan.chunk
            if not np.all(np.asarray(finite)):
                raise FloatingPointError(
                    f"non-finite loss or parameters by iteration {iteration}; stopped without "
                    "saving, so the last good checkpoint in the workdir stays as it was"
                )
            success = np.asarray(trainer.evaluate(state.params, trainer.eval_keys(chunk_index)))
            record = _record(metrics, success[0], plan, chunk_index, time.perf_counter() - start)
            history.append(record)
            logger.write(record)
            last = chunk_index + 1 == plan.num_chunks
            if checkpointer and (last or _due(iteration, config.checkpoint_every)):
                checkpointer.save(iteration, state, _metadata(config, trainer, history))
            if progress is not None:
                progress.update(plan.chunk)
                progress.set_postfix(
                    success=f"{record['eval_success']:.3f}", loss=f"{record['loss']:.3f}"
                )
    finally:
        if progress is not None:
            progress.close()
        if checkpointer is not None:
            checkpointer.wait()
            checkpointer.close()
        logger.close(history, f"hEM on {config.env_name} {dict(config.env_kwargs)}")
    return TrainState(config, state, history)


def load(workdir: str) -> TrainState:
    """The TrainState of the newest readable checkpoint in `workdir`, for act/evaluate."""
    checkpointer = Checkpointer(workdir, keep=1)
    try:
        restored = checkpointer.restore_latest(_abstract_state)
    finally:
        checkpointer.close()
    if restored is None:
        raise FileNotFoundError(f"no readable checkpoint in {checkpoint_dir(workdir)}")
    _, state, meta = restored
    return TrainState(ml_collections.ConfigDict(meta["config"]), state, meta["history"])


def _abstract_state(meta: dict[str, Any]) -> LearnerState:
    """Host zeros shaped like the saved learner state, built without compiling."""
    config = ml_collections.ConfigDict(meta["config"])
    config.hidden_sizes = tuple(config.hidden_sizes)
    env = envs.make(config.env_name, **dict(config.env_kwargs))
    learner = make_learner(config, env, meta["num_devices"], axis_name=None)
    keys = jax.ShapeDtypeStruct((meta["local_devices"], config.num_seeds, 2), np.uint32)
    shapes = jax.eval_shape(jax.vmap(jax.vmap(learner.init)), keys, keys)
    return jax.tree.map(lambda x: np.zeros(x.shape, x.dtype), shapes)


def _due(iteration: int, every: int) -> bool:
    return every > 0 and iteration % every == 0


def _metadata(config, trainer: Trainer, history: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "config": json.loads(config.to_json()),
        "history": history,
        "num_devices": trainer.num_devices,
        "local_devices": trainer.local_devices,
    }


def _record(metrics, success, plan: Plan, chunk_index: int, wall_time: float) -> dict[str, Any]:
    """One log line: the last iteration's training metrics and the evaluation, over seeds."""
    last = {name: np.asarray(value)[0, -1] for name, value in metrics.items()}  # [num_seeds]
    iteration = (chunk_index + 1) * plan.chunk
    return {
        "iteration": iteration,
        "env_steps": iteration * plan.steps_per_iteration,
        "eval_success": float(np.mean(success)),
        "eval_success_std": float(np.std(success)),
        "eval_success_per_seed": [float(s) for s in success],
        **{name: float(np.mean(value)) for name, value in last.items()},
        "wall_time": wall_time,
    }


def _progress_bar(config: ml_collections.ConfigDict, plan: Plan, done: int):
    if not config.progress_bar or jax.process_index() != 0:
        return None
    from tqdm import tqdm

    return tqdm(total=plan.num_iterations, initial=done, desc=f"hEM {config.env_name}", unit="it")
