"""The networks of the value-based baselines (appendix C: ReLU MLPs, sizes from the config).

Actor: pi(s, g) -> a in [-1, 1]^A (tanh), the deterministic DDPG policy in normalised actions.
Critic: Q(s, a, g) -> [] on the concatenation [s, a, g].
QNetwork: Q(s, ., g) -> [num_actions], the DQN value of every discrete action.
Vector inputs are already normalised by the caller; with `image_obs` the observation is a
uint8 image [..., H, W, C] that each network encodes with its own ConvTorso (appendix C.2)
before the concatenation. State networks have exactly the parameters they had without images.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from hemjax.networks import ConvTorso


class MLP(nn.Module):
    """ReLU hidden layers, then a linear layer of `output_size`."""

    hidden_sizes: Sequence[int]
    output_size: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for size in self.hidden_sizes:
            x = nn.relu(nn.Dense(size)(x))
        return nn.Dense(self.output_size)(x)


def _encode(obs: jax.Array, image_obs: bool) -> jax.Array:
    """The observation's features: a ConvTorso's for images (inside the calling module)."""
    return ConvTorso()(obs) if image_obs else obs


class Actor(nn.Module):
    """(obs [..., O], goal [..., G]) -> action [..., A] in [-1, 1]."""

    hidden_sizes: Sequence[int]
    action_size: int
    image_obs: bool = False

    @nn.compact
    def __call__(self, obs: jax.Array, goal: jax.Array) -> jax.Array:
        x = jnp.concatenate([_encode(obs, self.image_obs), goal], axis=-1)
        return jnp.tanh(MLP(hidden_sizes=self.hidden_sizes, output_size=self.action_size)(x))


class Critic(nn.Module):
    """(obs [..., O], action [..., A], goal [..., G]) -> Q [...]."""

    hidden_sizes: Sequence[int]
    image_obs: bool = False

    @nn.compact
    def __call__(self, obs: jax.Array, action: jax.Array, goal: jax.Array) -> jax.Array:
        x = jnp.concatenate([_encode(obs, self.image_obs), action, goal], axis=-1)
        return MLP(hidden_sizes=self.hidden_sizes, output_size=1)(x)[..., 0]


class QNetwork(nn.Module):
    """(obs [..., O], goal [..., G]) -> Q of every action [..., num_actions]."""

    hidden_sizes: Sequence[int]
    num_actions: int
    image_obs: bool = False

    @nn.compact
    def __call__(self, obs: jax.Array, goal: jax.Array) -> jax.Array:
        x = jnp.concatenate([_encode(obs, self.image_obs), goal], axis=-1)
        return MLP(hidden_sizes=self.hidden_sizes, output_size=self.num_actions)(x)
