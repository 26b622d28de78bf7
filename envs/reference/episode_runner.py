"""A jitted batched episode runner for checking envs (the env tests,
experiments/fetch_physics.py), compiled once per runner.

runner = EpisodeRunner("reacher", num_envs=8, script=reacher_servo)
episode = runner.run(key, runner.random_actions(key2))   # replay given actions
episode = runner.run(key, scripted=True)                 # run the scripted policy
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from mujoco import mjx

import envs
from envs.core import Box, EnvState

Script = Callable[[envs.GoalEnv, EnvState], jax.Array]


class Kinematics(NamedTuple):
    """The part of an MJX env's mjx.Data the tests read (the rest is not kept)."""

    qpos: Any
    qvel: Any
    mocap_pos: Any


class Episode(NamedTuple):
    """One batched episode as numpy arrays; in both states `key` is dropped and an MJX env's
    `physics` is reduced to Kinematics (other envs keep theirs).

    first: EnvState after reset, leaves [N, ...]; action: [T, N, ...] as applied (box actions
    clipped); states: EnvState after each step, leaves [T, N, ...].
    """

    first: EnvState
    action: np.ndarray
    states: EnvState


def _kept(state: EnvState) -> EnvState:
    data = state.physics
    if isinstance(data, mjx.Data):
        state = state.replace(physics=Kinematics(data.qpos, data.qvel, data.mocap_pos))
    return state.replace(key=None)


class EpisodeRunner:
    """Runs `num_envs` episodes of `max_steps` steps under one jit.

    Actions are open_loop[t], or open_loop[t] + script(env, state) when `scripted`; they reach
    `env.step` unclipped (the env clips). `goals` ([N, G], NaN = keep the sampled goal) replace
    the goals after reset; `env_kwargs` go to envs.make. `traces` counts compilations of the
    episode function.
    """

    def __init__(self, name: str, num_envs: int, script: Script | None = None, **env_kwargs):
        self.env = env = envs.make(name, **env_kwargs)
        self.num_envs = num_envs
        self.traces = 0

        def action_for(
            state: EnvState, open_loop_action: jax.Array, scripted: jax.Array
        ) -> jax.Array:
            if script is None:
                return open_loop_action
            scripted_action = open_loop_action + jax.vmap(lambda s: script(env, s))(state)
            return jnp.where(scripted, scripted_action, open_loop_action)

        def applied(action: jax.Array) -> jax.Array:
            return env.action_space.clip(action) if isinstance(env.action_space, Box) else action

        def episode(
            key: jax.Array, open_loop: jax.Array, scripted: jax.Array, goals: jax.Array
        ) -> Episode:
            self.traces += 1
            first = jax.vmap(env.reset)(jax.random.split(key, num_envs))
            first = first.replace(
                desired_goal=jnp.where(jnp.isnan(goals), first.desired_goal, goals)
            )

            def body(
                state: EnvState, open_loop_action: jax.Array
            ) -> tuple[EnvState, tuple[jax.Array, EnvState]]:
                action = action_for(state, open_loop_action, scripted)
                state = jax.vmap(env.step)(state, action)
                return state, (applied(action), _kept(state))

            _, (actions, states) = jax.lax.scan(body, first, open_loop)
            return Episode(_kept(first), actions, states)

        self._episode = jax.jit(episode)

    @property
    def action_shape(self) -> tuple[int, ...]:
        """[T, N] for discrete actions, [T, N, A] for box actions."""
        space = self.env.action_space
        size = (space.size,) if isinstance(space, Box) else ()
        return (self.env.max_steps, self.num_envs, *size)

    def run(
        self,
        key: jax.Array,
        open_loop: jax.Array | None = None,
        scripted: bool = False,
        goals: jax.Array | None = None,
    ) -> Episode:
        """One batched episode; `open_loop` broadcasts to action_shape (default zeros)."""
        dtype = jnp.float32 if isinstance(self.env.action_space, Box) else jnp.int32
        open_loop = jnp.zeros(self.action_shape, dtype) if open_loop is None else open_loop
        open_loop = jnp.broadcast_to(jnp.asarray(open_loop, dtype), self.action_shape)
        if goals is None:
            goals = jnp.full((self.num_envs, self.env.goal_size), jnp.nan, jnp.float32)
        episode = self._episode(key, open_loop, scripted, goals)
        return jax.tree.map(np.asarray, episode)

    def random_actions(self, key: jax.Array, scale: float = 1.0) -> jax.Array:
        """action_shape uniform over the action space (a box stretched by `scale`)."""
        space = self.env.action_space
        if isinstance(space, Box):
            low, high = scale * space.low, scale * space.high
            return jax.random.uniform(key, self.action_shape, jnp.float32, low, high)
        return jax.random.randint(key, self.action_shape, 0, space.num_actions, jnp.int32)
