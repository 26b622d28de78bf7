"""A jitted batched episode runner for checking MJX envs (the env tests,
experiments/fetch_physics.py), compiled once per runner.

runner = compiled_runner("reacher", num_envs=8, script=servo)   # compiles, prints the time
episode = runner.run(key, runner.random_actions(key2))          # replay given actions
episode = runner.run(key, scripted=True)                        # run the scripted policy
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import envs
from envs.core import EnvState


class Kinematics(NamedTuple):
    """The part of mjx.Data the tests read (the rest is not kept)."""

    qpos: Any
    qvel: Any
    mocap_pos: Any


class Episode(NamedTuple):
    """One batched episode as numpy arrays; in both states `physics` is reduced to Kinematics
    and `key` is dropped.

    first: EnvState after reset, leaves [N, ...]; action: [T, N, A] as applied (clipped);
    states: EnvState after each step, leaves [T, N, ...].
    """

    first: EnvState
    action: np.ndarray
    states: EnvState


def _kinematics(state: EnvState) -> EnvState:
    data = state.physics
    return state.replace(physics=Kinematics(data.qpos, data.qvel, data.mocap_pos), key=None)


class EpisodeRunner:
    """Actions are clip(open_loop[t] + scripted * script(env, state)), the script mapping one
    env's state to an action [A]; `goals` ([N, G], NaN = keep the sampled goal) replace the
    goals after reset; `env_kwargs` go to envs.make. `traces` counts compilations of the
    episode function."""

    def __init__(
        self,
        name: str,
        num_envs: int,
        script: Callable[[envs.GoalEnv, EnvState], jax.Array] | None = None,
        **env_kwargs: Any,
    ):
        self.env = env = envs.make(name, **env_kwargs)
        self.num_envs = num_envs
        self.traces = 0
        script = script or (lambda env, state: jnp.zeros(env.action_space.size, jnp.float32))

        def episode(key, open_loop, scripted, goals):
            self.traces += 1
            first = jax.vmap(env.reset)(jax.random.split(key, num_envs))
            first = first.replace(
                desired_goal=jnp.where(jnp.isnan(goals), first.desired_goal, goals)
            )

            def body(state, open_loop_action):
                action = open_loop_action + scripted * jax.vmap(lambda s: script(env, s))(state)
                action = env.action_space.clip(action)
                state = jax.vmap(env.step)(state, action)
                return state, (action, _kinematics(state))

            _, (actions, states) = jax.lax.scan(body, first, open_loop)
            return Episode(_kinematics(first), actions, states)

        self._episode = jax.jit(episode)

    @property
    def action_shape(self) -> tuple[int, int, int]:
        return (self.env.max_steps, self.num_envs, self.env.action_space.size)

    def run(
        self,
        key: jax.Array,
        open_loop: jax.Array | None = None,
        scripted: bool = False,
        goals: jax.Array | None = None,
    ) -> Episode:
        open_loop = jnp.zeros(self.action_shape) if open_loop is None else open_loop
        if goals is None:
            goals = jnp.full((self.num_envs, self.env.goal_size), jnp.nan, jnp.float32)
        open_loop = jnp.broadcast_to(jnp.asarray(open_loop, jnp.float32), self.action_shape)
        episode = self._episode(key, open_loop, float(scripted), goals)
        return jax.tree.map(np.asarray, episode)

    def random_actions(self, key: jax.Array) -> jax.Array:
        """[T, N, A] uniform in [-1, 1]."""
        return jax.random.uniform(key, self.action_shape, jnp.float32, -1.0, 1.0)


def compiled_runner(
    name: str, num_envs: int, script: Callable[[envs.GoalEnv, EnvState], jax.Array] | None = None
) -> EpisodeRunner:
    """An EpisodeRunner compiled by one scripted run; prints the compile + first-run time."""
    runner = EpisodeRunner(name, num_envs, script)
    start = time.perf_counter()
    runner.run(jax.random.key(0), scripted=True)
    print(f"\n{name}: batched episode compile + first run {time.perf_counter() - start:.1f} s")
    return runner
