"""The training driver: compiled chunks of iterations on every local device, host-side logging.

Layout: every LearnerState leaf is [local_devices, num_seeds, ...]. Devices split the episodes,
buffer and batch of each seed and average gradients (pmap over AXIS); seeds are independent
programs batched by vmap.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from typing import Any

import jax
import ml_collections
import numpy as np

import envs
from hemjax.config import validate
from hemjax.learner import Learner, LearnerState, make_learner
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
            return jax.lax.scan(lambda s, _: step(s), state, None, length=self.plan.chunk)

        def evaluate(params, keys):
            return jax.vmap(lambda p, k: learner.evaluate(p, k, self.eval_episodes))(params, keys)

        self.init = jax.pmap(jax.vmap(learner.init), axis_name=AXIS)
        self.chunk = jax.pmap(chunk, axis_name=AXIS, donate_argnums=0)
        self.evaluate = jax.pmap(evaluate, axis_name=AXIS)

    def _device_indices(self) -> np.ndarray:
        first = jax.process_index() * self.local_devices
        return np.arange(first, first + self.local_devices)

    def _seed_keys(self, stream: int) -> np.ndarray:
        """[local_devices, num_seeds, 2] uint32 keys of one stream (0 params, 1 data, 2+ eval)."""
        seeds = self.config.seed + np.arange(self.config.num_seeds)
        return np.stack(
            [
                np.stack(
                    [
                        jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(s), stream), d)
                        for s in seeds
                    ]
                )
                for d in self._device_indices()
            ]
        )

    def initial_state(self) -> LearnerState:
        params_keys = self._seed_keys(0)[:1].repeat(self.local_devices, axis=0)
        return self.init(params_keys, self._seed_keys(1))

    def eval_keys(self, chunk_index: int) -> np.ndarray:
        return self._seed_keys(2 + chunk_index)


def run(config: ml_collections.ConfigDict) -> TrainState:
    """Trains hEM as `config` says and returns the final TrainState."""
    validate(config, jax.device_count())
    trainer = Trainer(config)
    if config.workdir:
        os.makedirs(config.workdir, exist_ok=True)
    logger = MetricsLogger(config.workdir, config.log_tensorboard)
    state = trainer.initial_state()
    history: list[dict[str, Any]] = []
    progress = _progress_bar(config, trainer.plan)
    start = time.perf_counter()
    for chunk_index in range(trainer.plan.num_chunks):
        state, metrics = trainer.chunk(state)
        success = np.asarray(trainer.evaluate(state.params, trainer.eval_keys(chunk_index)))[0]
        record = _record(metrics, success, trainer.plan, chunk_index, time.perf_counter() - start)
        history.append(record)
        logger.write(record)
        if progress is not None:
            progress.update(trainer.plan.chunk)
            progress.set_postfix(
                success=f"{record['eval_success']:.3f}", loss=f"{record['loss']:.3f}"
            )
    if progress is not None:
        progress.close()
    logger.close(history, f"hEM on {config.env_name} {dict(config.env_kwargs)}")
    return TrainState(config, state, history)


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


def _progress_bar(config: ml_collections.ConfigDict, plan: Plan):
    if not config.progress_bar or jax.process_index() != 0:
        return None
    from tqdm import tqdm

    return tqdm(total=plan.num_iterations, desc=f"hEM {config.env_name}", unit="it")
