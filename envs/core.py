"""The goal-conditioned environment contract shared by every env in this package.

An env is a frozen Python object whose methods are pure functions of JAX arrays:

    state = env.reset(key)            # fresh start and a NEW goal every call
    state = env.step(state, action)   # clips box actions; one transition; reward / success / done
    r = env.compute_reward(achieved_goal, desired_goal)   # pure, vectorised, no simulator

Shapes are fixed when the env is built, so `reset` and `step` jit and vmap cleanly. Stepping a
state whose `done` is already set is allowed (callers mask it out); it must not raise.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from flax import struct


@struct.dataclass(kw_only=True)
class EnvState:
    """One env's state. Leaves are per env; vmap adds a leading batch axis.

    obs: [obs_size] float32 observation (without the goal), or a uint8 image [w, w, 3].
    achieved_goal: [goal_size] float32 goal this state achieves.
    desired_goal: [goal_size] float32 goal of the episode, or a uint8 image [w, w, 3].
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


@struct.dataclass(kw_only=True)
class EpisodeStart:
    """What an env's `init_episode` returns: a fresh episode with a new goal (keywords only,
    like EnvState and Transition, so look-alike fields cannot be swapped by position).

    obs: [obs_size] float32; achieved_goal, desired_goal: [goal_size] float32; physics: the
    env's internal state (a pytree), carried in EnvState.physics.
    """

    obs: jax.Array
    achieved_goal: jax.Array
    desired_goal: jax.Array
    physics: Any


@struct.dataclass(kw_only=True)
class Transition:
    """What an env's `advance` returns: the observation after one action.

    obs: [obs_size] float32; achieved_goal: [goal_size] float32; physics: the new internal state.
    """

    obs: jax.Array
    achieved_goal: jax.Array
    physics: Any


class GoalEnv(abc.ABC):
    """Abstract base: subclasses set the sizes and define `init_episode`, `advance` and
    `compute_reward`; a subclass missing one cannot be constructed.

    Subclass attributes: obs_size, goal_size, action_space, max_steps, and `stochastic`
    (False lets deterministic envs skip splitting a PRNG key every step). The base class clips
    box actions into the box, computes reward, success and done, and counts steps, so
    `advance` receives an in-range action and only moves the physics.
    """

    stochastic: bool = True

    obs_size: int
    goal_size: int
    action_space: ActionSpace
    max_steps: int

    @property
    def obs_shape(self) -> tuple[int, ...]:
        """Shape of one observation, (obs_size,)."""
        return (self.obs_size,)

    @property
    def goal_shape(self) -> tuple[int, ...]:
        """Shape of one goal, (goal_size,)."""
        return (self.goal_size,)

    @abc.abstractmethod
    def init_episode(self, key: jax.Array) -> EpisodeStart:
        """A fresh start and a new goal drawn with `key`."""

    @abc.abstractmethod
    def advance(self, physics: Any, action: jax.Array, key: jax.Array) -> Transition:
        """The physics after applying `action` (already clipped into a box action space);
        `key` is a fresh PRNG key for stochastic envs and unused by deterministic ones."""

    @abc.abstractmethod
    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        """1.0 where achieved satisfies desired, else 0.0; [..., goal_size] x2 -> [...]."""

    def init_training_episode(self, key: jax.Array) -> EpisodeStart:
        """The start of a training episode: `init_episode` unless an env offers an exploration
        aid (a start distribution used for collecting data only, never for evaluation)."""
        return self.init_episode(key)

    def reset(self, key: jax.Array, training: bool = False) -> EnvState:
        """A fresh episode; training=True draws its start from `init_training_episode`."""
        key, reset_key = jax.random.split(key)
        start = (self.init_training_episode if training else self.init_episode)(reset_key)
        success = self.compute_reward(start.achieved_goal, start.desired_goal) > 0
        return EnvState(
            obs=start.obs,
            achieved_goal=start.achieved_goal,
            desired_goal=start.desired_goal,
            reward=jnp.zeros((), jnp.float32),
            success=success,
            done=success,
            t=jnp.zeros((), jnp.int32),
            key=key,
            physics=start.physics,
        )

    def step(self, state: EnvState, action: jax.Array) -> EnvState:
        key, step_key = jax.random.split(state.key) if self.stochastic else (state.key, state.key)
        if isinstance(self.action_space, Box):
            action = self.action_space.clip(action)
        transition = self.advance(state.physics, action, step_key)
        reward = self.compute_reward(transition.achieved_goal, state.desired_goal)
        success = reward > 0
        t = state.t + 1
        return state.replace(
            obs=transition.obs,
            achieved_goal=transition.achieved_goal,
            reward=reward,
            success=success,
            done=success | (t >= self.max_steps),
            t=t,
            key=key,
            physics=transition.physics,
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
