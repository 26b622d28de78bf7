"""Refusing, before anything compiles, a run whose buffer and rollouts cannot fit in memory."""

from __future__ import annotations

import math
import os
from typing import Any

import jax
import ml_collections
import numpy as np

from envs import GoalEnv
from hemjax.config import ConfigError

GIB = 2**30


def device_memory_bytes(device: jax.Device) -> int | None:
    """Memory one device may use: the accelerator's limit, or on CPU this host's available RAM
    shared by its CPU devices; None where neither is known."""
    stats = device.memory_stats() if device.platform != "cpu" else None
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"])
    if device.platform == "cpu" and hasattr(os, "sysconf"):
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        return available // max(jax.local_device_count(), 1)
    return None


def check_fits(
    abstract_state: Any, state_shardings: Any, config: ml_collections.ConfigDict, env: GoalEnv
) -> None:
    """Raises ConfigError with both figures if the per-device learner state plus the rollouts'
    episodes (training and evaluation) would exceed 90% of one device's memory."""
    state_bytes = sum(
        _nbytes(sharding.shard_shape(x.shape), x.dtype)
        for x, sharding in zip(
            jax.tree.leaves(abstract_state), jax.tree.leaves(state_shardings), strict=True
        )
    )
    episode_bytes = _episode_bytes(abstract_state, config, env)
    devices = jax.device_count()
    rollouts = (3 * config.num_envs + config.eval_episodes) / devices * config.num_seeds
    needed = state_bytes + rollouts * episode_bytes
    available = device_memory_bytes(jax.devices()[0])
    if available is not None and needed > 0.9 * available:
        raise ConfigError(
            f"num_envs={config.num_envs}, buffer_episodes={config.buffer_episodes}: the run needs "
            f"about {needed / GIB:.2f} GiB per device (learner state and buffer "
            f"{state_bytes / GIB:.2f} GiB, rollouts {rollouts * episode_bytes / GIB:.2f} GiB) "
            f"and a device has {available / GIB:.2f} GiB; lower buffer_episodes or num_envs"
        )


def _episode_bytes(abstract_state: Any, config: ml_collections.ConfigDict, env: GoalEnv) -> float:
    """Bytes of one stored episode: from the buffer, or (for learners without one) the
    observations and goals of its max_steps + 1 states."""
    if hasattr(abstract_state, "buffer"):
        episodes = abstract_state.buffer.episodes
        capacity = episodes.length.shape[1]
        total = sum(_nbytes(x.shape, x.dtype) for x in jax.tree.leaves(episodes))
        return total / (capacity * config.num_seeds)
    state = jax.eval_shape(env.reset, jax.random.PRNGKey(0))
    arrays = (state.obs, state.achieved_goal, state.desired_goal)
    return (env.max_steps + 1) * sum(_nbytes(x.shape, x.dtype) for x in arrays)


def _nbytes(shape: tuple[int, ...], dtype: Any) -> int:
    return math.prod(shape) * np.dtype(dtype).itemsize
