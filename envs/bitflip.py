"""Bit-flip (HER paper; hEM section 4.1): flip one of K bits per step to match a goal string."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from envs.core import Discrete, GoalEnv


class BitFlip(GoalEnv):
    """State and goal in {0,1}^K as float32 [K]; action an int32 bit index in [0, K).

    Reward 1 when the next state equals the goal; the episode lasts K steps unless
    `max_steps` is given, and ends at the first success.
    """

    stochastic = False

    def __init__(self, num_bits: int = 10, max_steps: int | None = None):
        if num_bits < 1:
            raise ValueError(f"num_bits must be >= 1, got {num_bits}")
        self.num_bits = num_bits
        self.obs_size = num_bits
        self.goal_size = num_bits
        self.action_space = Discrete(num_bits)
        self.max_steps = num_bits if max_steps is None else max_steps

    def _reset(self, key):
        start_key, goal_key = jax.random.split(key)
        start = jax.random.bernoulli(start_key, 0.5, (self.num_bits,)).astype(jnp.float32)
        goal = jax.random.bernoulli(goal_key, 0.5, (self.num_bits,)).astype(jnp.float32)
        return start, start, goal, start

    def _transition(self, bits, action, key):
        del key
        flip = jax.nn.one_hot(action, self.num_bits, dtype=jnp.float32)
        bits = jnp.abs(bits - flip)
        return bits, bits, bits

    def compute_reward(self, achieved_goal, desired_goal):
        return jnp.all(achieved_goal == desired_goal, axis=-1).astype(jnp.float32)
