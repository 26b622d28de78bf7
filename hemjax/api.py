"""Using a trained policy: greedy actions and evaluation on fresh goals."""

from __future__ import annotations

import functools
import json
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

import envs
from hemjax.learners import Learner, make_learner
from hemjax.train import TrainState


@functools.lru_cache(maxsize=16)
def _learner(config_json: str) -> Learner:
    config = ml_collections.ConfigDict(json.loads(config_json))
    env = envs.make(config.env_name, **dict(config.env_kwargs))
    return make_learner(config, env, num_devices=1, axis_name=None)


def learner_for(train_state: TrainState) -> Learner:
    """A single-device learner (no collectives) for the train state's config."""
    return _learner(train_state.config.to_json(sort_keys=True))


@functools.partial(jax.jit, static_argnums=0)
def _greedy_env_action(learner: Learner, params: Any, obs: jax.Array, goal: jax.Array) -> jax.Array:
    return learner.greedy_action(params, obs, goal)


def _seed_params(train_state: TrainState, seed_index: int) -> Any:
    num_seeds = train_state.config.num_seeds
    if not 0 <= seed_index < num_seeds:
        raise ValueError(f"seed_index={seed_index} is not allowed: 0 <= seed_index < {num_seeds}")
    return jax.tree.map(lambda x: x[seed_index], train_state.params)


def act(train_state: TrainState, obs: jax.Array, goal: jax.Array, seed_index: int = 0) -> jax.Array:
    """Greedy actions in the env's own action space for obs [B, *obs_shape] and goal
    [B, *goal_shape] (vectors, or uint8 images for image envs)."""
    learner = learner_for(train_state)
    env = learner.env
    obs, goal = jnp.asarray(obs), jnp.asarray(goal)
    if obs.ndim < 1 or tuple(obs.shape[1:]) != tuple(env.obs_shape):
        raise ValueError(f"obs must be [B, {_dims(env.obs_shape)}], got shape {tuple(obs.shape)}")
    if tuple(goal.shape) != (obs.shape[0], *env.goal_shape):
        want = f"[{obs.shape[0]}, {_dims(env.goal_shape)}]"
        raise ValueError(f"goal must be {want}, got {tuple(goal.shape)}")
    if obs.dtype != jnp.uint8:
        obs = obs.astype(jnp.float32)
    if goal.dtype != jnp.uint8:
        goal = goal.astype(jnp.float32)
    return _greedy_env_action(learner, _seed_params(train_state, seed_index), obs, goal)


def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in shape)


@functools.partial(jax.jit, static_argnums=(0, 3))
def _evaluate(learner: Learner, params: Any, keys: jax.Array, num_episodes: int) -> jax.Array:
    return jax.vmap(lambda p, k: learner.evaluate(p, k, num_episodes))(params, keys)


def evaluate(train_state: TrainState, num_episodes: int = 1000, seed: int = 12345) -> dict:
    """Greedy success rate of every seed's policy on `num_episodes` fresh goals.

    Returns {"success_rate": mean over seeds, "success_rate_std": std, "per_seed": [...]}.
    """
    if num_episodes < 1:
        raise ValueError(f"num_episodes={num_episodes} is not allowed: an integer >= 1")
    keys = jax.random.split(jax.random.PRNGKey(seed), train_state.config.num_seeds)
    success = np.asarray(
        _evaluate(learner_for(train_state), train_state.params, keys, num_episodes)
    )
    return {
        "success_rate": float(success.mean()),
        "success_rate_std": float(success.std()),
        "per_seed": success.tolist(),
    }
