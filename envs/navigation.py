"""Continuous K-dimensional navigation (hEM section 4.1): move a point in [-1,1]^K to a goal."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from envs.checks import check_integer, check_positive
from envs.core import Box, EpisodeStart, GoalEnv, Transition, within_distance


class Navigation(GoalEnv):
    """State and goal uniform in [-1,1]^K; action a displacement in [-0.2,0.2]^K (clipped).

    The next state is clipped to [-1,1]^K; reward 1 when ||s' - g|| < 0.1; T = 50.
    """

    stochastic = False

    def __init__(
        self,
        dim: int = 10,
        max_steps: int = 50,
        max_action: float = 0.2,
        threshold: float = 0.1,
    ):
        self.dim = dim = check_integer("dim", dim)
        self.threshold = check_positive("threshold", threshold)
        self.obs_size = dim
        self.goal_size = dim
        max_action = check_positive("max_action", max_action)
        self.action_space = Box(size=dim, low=-max_action, high=max_action)
        self.max_steps = check_integer("max_steps", max_steps)

    def init_episode(self, key: jax.Array) -> EpisodeStart:
        start_key, goal_key = jax.random.split(key)
        start = jax.random.uniform(start_key, (self.dim,), jnp.float32, -1.0, 1.0)
        goal = jax.random.uniform(goal_key, (self.dim,), jnp.float32, -1.0, 1.0)
        return EpisodeStart(obs=start, achieved_goal=start, desired_goal=goal, physics=start)

    def advance(self, position: jax.Array, action: jax.Array, key: jax.Array) -> Transition:
        del key
        position = jnp.clip(position + action, -1.0, 1.0)
        return Transition(obs=position, achieved_goal=position, physics=position)

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        return within_distance(achieved_goal, desired_goal, self.threshold)
