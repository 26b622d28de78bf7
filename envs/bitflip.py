"""Bit-flip (HER paper; hEM section 4.1): flip one of K bits per step to match a goal string."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from envs.checks import check_choice, check_integer
from envs.core import Discrete, EpisodeStart, GoalEnv, Transition


class BitFlip(GoalEnv):
    """State and goal in {0,1}^K as float32 [K]; action an int32 bit index in [0, K).

    Reward 1 when the next state equals the goal; the episode lasts K steps unless
    `max_steps` is given, and ends at the first success. Episodes start from uniform random bits,
    or from all zeros with `start="zeros"` (as the HPG authors' bit-flip does); goals are
    uniform random bits either way.
    """

    stochastic = False

    def __init__(self, num_bits: int = 10, max_steps: int | None = None, start: str = "random"):
        self.num_bits = num_bits = check_integer("num_bits", num_bits)
        self.start = check_choice("start", start, ("random", "zeros"))
        self.obs_size = num_bits
        self.goal_size = num_bits
        self.action_space = Discrete(num_actions=num_bits)
        self.max_steps = num_bits if max_steps is None else check_integer("max_steps", max_steps)

    def init_episode(self, key: jax.Array) -> EpisodeStart:
        start_key, goal_key = jax.random.split(key)
        if self.start == "zeros":
            start = jnp.zeros(self.num_bits, jnp.float32)
        else:
            start = jax.random.bernoulli(start_key, 0.5, (self.num_bits,)).astype(jnp.float32)
        goal = jax.random.bernoulli(goal_key, 0.5, (self.num_bits,)).astype(jnp.float32)
        return EpisodeStart(obs=start, achieved_goal=start, desired_goal=goal, physics=start)

    def advance(self, bits: jax.Array, action: jax.Array, key: jax.Array) -> Transition:
        del key
        flip = jax.nn.one_hot(action, self.num_bits, dtype=jnp.float32)
        bits = jnp.abs(bits - flip)
        return Transition(obs=bits, achieved_goal=bits, physics=bits)

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        return jnp.all(achieved_goal == desired_goal, axis=-1).astype(jnp.float32)
