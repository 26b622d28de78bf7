"""The E-step: sample (s_t, a_t, g) from the hindsight variational distribution q_h(tau, g).

Episodes are drawn uniformly from the buffer and t uniformly among their transitions. The goal
comes from the same episode's achieved goals at index j:
  future  - j uniform in [t+1, L]: a goal reached strictly later (HER's "future"; the default)
  final   - j = L: the goal reached at the episode's end
  episode - j uniform in [1, L]: any goal reached in the episode
  none    - the episode's own desired goal (no relabelling)
Each sample is weighted by the return it earns, r(achieved_goal[j], g) with j = L for "none":
relabelled goals are rewarding by construction (weight 1), while "none" keeps only the episodes
that reached their own goal, which is q proportional to p(O=1 | tau, g) for the original goals.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from flax import struct

from hemjax.buffer import ReplayBuffer


@struct.dataclass
class Batch:
    """B relabelled samples: obs [B, O], goal [B, G], action [B] or [B, A], weight [B]."""

    obs: jax.Array
    goal: jax.Array
    action: jax.Array
    weight: jax.Array


def sample_batch(
    buffer: ReplayBuffer,
    key: jax.Array,
    batch_size: int,
    strategy: str,
    compute_reward: Callable[[jax.Array, jax.Array], jax.Array],
) -> Batch:
    """Draws `batch_size` relabelled samples from the filled part of `buffer`."""
    episode_key, time_key, goal_key = jax.random.split(key, 3)
    episode = jax.random.randint(episode_key, (batch_size,), 0, jnp.maximum(buffer.size, 1))
    data = buffer.episodes
    length = data.length[episode]  # [B]
    t = jnp.floor(jax.random.uniform(time_key, (batch_size,)) * length).astype(jnp.int32)
    t = jnp.minimum(t, jnp.maximum(length - 1, 0))
    u = jax.random.uniform(goal_key, (batch_size,))
    if strategy == "future":  # j in [t+1, L]
        j = t + 1 + jnp.floor(u * (length - t)).astype(jnp.int32)
    elif strategy == "episode":  # j in [1, L]
        j = 1 + jnp.floor(u * length).astype(jnp.int32)
    elif strategy in ("final", "none"):
        j = length
    else:
        raise ValueError(f"hindsight strategy {strategy!r} is not one of future/final/episode/none")
    j = jnp.clip(j, 0, length)
    reached = data.achieved_goal[episode, j]  # [B, G]
    goal = data.desired_goal[episode] if strategy == "none" else reached
    valid = (length > 0) & (buffer.size > 0)
    weight = compute_reward(reached, goal) * valid
    return Batch(
        obs=data.obs[episode, t],
        goal=goal,
        action=data.action[episode, t],
        weight=weight.astype(jnp.float32),
    )
