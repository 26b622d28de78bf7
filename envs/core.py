"""The goal-conditioned environment contract shared by every env in this package.

An env is a frozen Python object whose methods are pure functions of JAX arrays:

    state = env.reset(key)            # fresh start and a NEW goal every call
    state = env.step(state, action)   # one transition; sets reward / success / done
    r = env.compute_reward(achieved_goal, desired_goal)   # pure, vectorised, no simulator

Shapes are fixed when the env is built, so `reset` and `step` jit and vmap cleanly. Stepping a
state whose `done` is already set is allowed (callers mask it out); it must not raise.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from flax import struct


@struct.dataclass
class EnvState:
    """One env's state. Leaves are per env; vmap adds a leading batch axis.

    obs: [obs_size] float32 observation (without the goal).
    achieved_goal: [goal_size] float32 goal this state achieves.
    desired_goal: [goal_size] float32 goal of the episode.
    reward: [] float32, reward of the transition that led here (0 after reset).
    success: [] bool, achieved_goal satisfies desired_goal.
    done: [] bool, success or time limit reached.
    t: [] int32, steps taken in this episode.
    key: PRNG key for stochastic dynamics.
    physics: env-specific internal state (a pytree).
    """

    obs: jax.Array
    achieved_goal: jax.Array
    desired_goal: jax.Array
    reward: jax.Array
    success: jax.Array
    done: jax.Array
    t: jax.Array
    key: jax.Array
    physics: Any = None


@dataclasses.dataclass(frozen=True)
class Discrete:
    """Integer actions in [0, num_actions)."""

    num_actions: int

    def sample(self, key: jax.Array) -> jax.Array:
        return jax.random.randint(key, (), 0, self.num_actions, dtype=jnp.int32)


@dataclasses.dataclass(frozen=True)
class Box:
    """Float32 actions of shape [size] in [low, high]."""

    size: int
    low: float
    high: float

    def sample(self, key: jax.Array) -> jax.Array:
        return jax.random.uniform(key, (self.size,), jnp.float32, self.low, self.high)

    def clip(self, action: jax.Array) -> jax.Array:
        return jnp.clip(action, self.low, self.high)


ActionSpace = Discrete | Box


class GoalEnv:
    """Base class: subclasses set the sizes and define `_reset`, `_transition`, `compute_reward`.

    Subclass attributes: obs_size, goal_size, action_space, max_steps, and `stochastic`
    (False lets deterministic envs skip splitting a PRNG key every step).
    """

    stochastic: bool = True

    obs_size: int
    goal_size: int
    action_space: ActionSpace
    max_steps: int

    def _reset(self, key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, Any]:
        """Returns (obs, achieved_goal, desired_goal, physics) for a fresh episode."""
        raise NotImplementedError

    def _transition(
        self, physics: Any, action: jax.Array, key: jax.Array
    ) -> tuple[jax.Array, jax.Array, Any]:
        """Returns (obs, achieved_goal, physics) after applying `action`."""
        raise NotImplementedError

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        """1.0 where achieved satisfies desired, else 0.0; [..., goal_size] x2 -> [...]."""
        raise NotImplementedError

    def reset(self, key: jax.Array) -> EnvState:
        key, reset_key = jax.random.split(key)
        obs, achieved, desired, physics = self._reset(reset_key)
        success = self.compute_reward(achieved, desired) > 0
        return EnvState(
            obs=obs,
            achieved_goal=achieved,
            desired_goal=desired,
            reward=jnp.zeros((), jnp.float32),
            success=success,
            done=success,
            t=jnp.zeros((), jnp.int32),
            key=key,
            physics=physics,
        )

    def step(self, state: EnvState, action: jax.Array) -> EnvState:
        key, step_key = jax.random.split(state.key) if self.stochastic else (state.key, state.key)
        obs, achieved, physics = self._transition(state.physics, action, step_key)
        reward = self.compute_reward(achieved, state.desired_goal)
        success = reward > 0
        t = state.t + 1
        return state.replace(
            obs=obs,
            achieved_goal=achieved,
            reward=reward,
            success=success,
            done=success | (t >= self.max_steps),
            t=t,
            key=key,
            physics=physics,
        )

    def sample_action(self, key: jax.Array) -> jax.Array:
        """A uniformly random action (exploration, benchmarks)."""
        return self.action_space.sample(key)


def within_distance(
    achieved_goal: jax.Array, desired_goal: jax.Array, threshold: float
) -> jax.Array:
    """1.0 where ||achieved - desired|| < threshold over the last axis, else 0.0."""
    distance = jnp.linalg.norm(achieved_goal - desired_goal, axis=-1)
    return (distance < threshold).astype(jnp.float32)
