"""Goal-conditioned policies pi(a | s, g): an MLP on [obs, goal], categorical or Gaussian head.

Continuous policies act in a normalised space [-1, 1]^A; `to_env_action` maps to the env's box.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from envs import Box, Discrete, GoalEnv

Params = dict


class _Torso(nn.Module):
    hidden_sizes: Sequence[int]

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for size in self.hidden_sizes:
            x = nn.relu(nn.Dense(size)(x))
        return x


class _CategoricalNet(nn.Module):
    hidden_sizes: Sequence[int]
    num_actions: int

    @nn.compact
    def __call__(self, obs: jax.Array, goal: jax.Array) -> jax.Array:
        x = _Torso(self.hidden_sizes)(jnp.concatenate([obs, goal], axis=-1))
        return nn.Dense(self.num_actions)(x)  # logits [..., num_actions]


class _GaussianNet(nn.Module):
    hidden_sizes: Sequence[int]
    action_size: int
    initial_std: float
    learn_std: bool

    @nn.compact
    def __call__(self, obs: jax.Array, goal: jax.Array) -> tuple[jax.Array, jax.Array]:
        x = _Torso(self.hidden_sizes)(jnp.concatenate([obs, goal], axis=-1))
        mean = jnp.tanh(nn.Dense(self.action_size)(x))
        log_std = jnp.full((self.action_size,), math.log(self.initial_std))
        if self.learn_std:
            log_std = self.param("log_std", nn.initializers.constant(log_std[0]), log_std.shape)
        return mean, jnp.broadcast_to(log_std, mean.shape)  # [..., A] each


@dataclasses.dataclass(frozen=True)
class Policy:
    """Pure functions of (params, obs [..., O], goal [..., G]) for one env's action space."""

    env: GoalEnv
    hidden_sizes: tuple[int, ...]
    initial_std: float = 0.3
    learn_std: bool = True

    @property
    def discrete(self) -> bool:
        return isinstance(self.env.action_space, Discrete)

    @property
    def _net(self) -> nn.Module:
        space = self.env.action_space
        if isinstance(space, Discrete):
            return _CategoricalNet(self.hidden_sizes, space.num_actions)
        return _GaussianNet(self.hidden_sizes, space.size, self.initial_std, self.learn_std)

    def init(self, key: jax.Array) -> Params:
        obs = jnp.zeros((self.env.obs_size,), jnp.float32)
        goal = jnp.zeros((self.env.goal_size,), jnp.float32)
        return self._net.init(key, obs, goal)

    def log_prob(self, params: Params, obs: jax.Array, goal: jax.Array, action: jax.Array):
        """log pi(action | obs, goal) [...]; continuous actions are normalised [..., A]."""
        if self.discrete:
            logits = self._net.apply(params, obs, goal)
            log_probs = jax.nn.log_softmax(logits)
            return jnp.take_along_axis(log_probs, action[..., None], axis=-1)[..., 0]
        mean, log_std = self._net.apply(params, obs, goal)
        z = (action - mean) * jnp.exp(-log_std)
        return jnp.sum(-0.5 * z**2 - log_std - 0.5 * math.log(2 * math.pi), axis=-1)

    def greedy(self, params: Params, obs: jax.Array, goal: jax.Array) -> jax.Array:
        """The most likely action: argmax int32 [...] or the normalised mean [..., A]."""
        if self.discrete:
            return jnp.argmax(self._net.apply(params, obs, goal), axis=-1).astype(jnp.int32)
        return self._net.apply(params, obs, goal)[0]

    def explore(
        self,
        params: Params,
        obs: jax.Array,
        goal: jax.Array,
        key: jax.Array,
        epsilon: float,
        action_noise: float,
    ) -> jax.Array:
        """The paper's exploration: discrete, a uniform action with probability epsilon, else a
        policy sample; continuous, a policy sample plus N(0, action_noise^2), clipped to [-1, 1]."""
        sample_key, noise_key = jax.random.split(key)
        if self.discrete:
            logits = self._net.apply(params, obs, goal)
            sampled = jax.random.categorical(sample_key, logits).astype(jnp.int32)
            uniform = jax.random.randint(noise_key, sampled.shape, 0, logits.shape[-1], jnp.int32)
            use_uniform = jax.random.uniform(jax.random.fold_in(key, 1), sampled.shape) < epsilon
            return jnp.where(use_uniform, uniform, sampled)
        mean, log_std = self._net.apply(params, obs, goal)
        sample = mean + jnp.exp(log_std) * jax.random.normal(sample_key, mean.shape)
        noisy = sample + action_noise * jax.random.normal(noise_key, mean.shape)
        return jnp.clip(noisy, -1.0, 1.0)

    def to_env_action(self, action: jax.Array) -> jax.Array:
        """Normalised [-1, 1] actions to the env's box; discrete actions pass through."""
        space = self.env.action_space
        if isinstance(space, Box):
            return space.low + (action + 1.0) * 0.5 * (space.high - space.low)
        return action
