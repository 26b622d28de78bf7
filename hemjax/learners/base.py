"""The interface every learner (hEM, HER, HPG, hybrid) offers the training driver and the API.

A learner is a frozen dataclass of pure functions over its own state struct. The driver
relies on the state having `params` (everything needed to act: networks, normaliser statistics),
`key` and `iteration` fields, and a `buffer` (hemjax.buffer.ReplayBuffer) where the learner
replays: the device layout shards it and the memory check sizes it. `num_envs`, `batch_size`
and `buffer_episodes` are per-device shares; with `axis_name` set, gradients and metrics are
averaged over that device axis.
"""

from __future__ import annotations

from typing import Any, Protocol

import jax
import jax.numpy as jnp
import ml_collections
import optax

from envs import GoalEnv
from hemjax.buffer import Episodes
from hemjax.rollout import rollout


class Learner(Protocol):
    """What the driver calls; every method is traced under vmap (seeds) and the device mesh."""

    env: GoalEnv
    axis_name: str | None

    def init(self, params_key: jax.Array, data_key: jax.Array) -> Any:
        """A fresh state; params_key is shared by every device of a seed, data_key is not."""

    def iteration_step(self, state: Any) -> tuple[Any, dict[str, jax.Array]]:
        """One iteration of collecting and learning; metrics are scalars."""

    def greedy_action(self, params: Any, obs: jax.Array, goal: jax.Array) -> jax.Array:
        """The greedy action in the env's own action space for obs [B, O] and goal [B, G]."""

    def evaluate(self, params: Any, key: jax.Array, num_episodes: int) -> jax.Array:
        """Greedy success rate on `num_episodes` fresh goals (averaged over devices): []."""


def make_optimizer(
    config: ml_collections.ConfigDict, adam_steps_per_iteration: int
) -> optax.GradientTransformation:
    """Adam at learning_rate, decayed linearly to final_lr_fraction of it over
    anneal_iterations (0: constant), on gradients clipped to global norm max_grad_norm (0: not
    clipped). Every learner's optimiser."""
    learning_rate = config.learning_rate
    if config.anneal_iterations > 0:
        learning_rate = optax.linear_schedule(
            config.learning_rate,
            config.learning_rate * config.final_lr_fraction,
            config.anneal_iterations * adam_steps_per_iteration,
        )
    optimizer = optax.adam(learning_rate)
    if config.max_grad_norm > 0:
        optimizer = optax.chain(optax.clip_by_global_norm(config.max_grad_norm), optimizer)
    return optimizer


def device_mean(x: jax.Array, axis_name: str | None) -> jax.Array:
    """x averaged over the device axis, or x itself on a single device."""
    return x if axis_name is None else jax.lax.pmean(x, axis_name)


def greedy_episodes(
    learner: Learner, params: Any, key: jax.Array, num_episodes: int
) -> tuple[Episodes, jax.Array]:
    """`num_episodes` greedy episodes on fresh goals from the env's evaluation starts: the
    episodes and success [num_episodes] bool."""

    def act(obs: jax.Array, goal: jax.Array, key: jax.Array) -> jax.Array:
        del key
        return learner.greedy_action(params, obs, goal)

    return rollout(learner.env, act, lambda action: action, key, num_episodes)


def greedy_success(learner: Learner, params: Any, key: jax.Array, num_episodes: int) -> jax.Array:
    """The shared evaluation protocol: greedy actions, fresh goals, success at any step: []."""
    _, success = greedy_episodes(learner, params, key, num_episodes)
    return device_mean(jnp.mean(success.astype(jnp.float32)), learner.axis_name)
