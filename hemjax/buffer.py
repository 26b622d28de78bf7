"""An on-device ring buffer of whole episodes, written modularly (no roll, no copies)."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
from flax import struct


@struct.dataclass(kw_only=True)
class Episodes:
    """A batch of E episodes of at most T transitions.

    obs: [E, T+1, O] observations s_0..s_T.
    achieved_goal: [E, T+1, G] goals achieved by s_0..s_T.
    desired_goal: [E, G] the goal each episode was collected for.
    action: [E, T] int32 or [E, T, A] float32 (normalised) actions a_0..a_{T-1}.
    length: [E] int32, L: transitions 0..L-1 are real; the episode ended at s_L.
    """

    obs: jax.Array
    achieved_goal: jax.Array
    desired_goal: jax.Array
    action: jax.Array
    length: jax.Array


@struct.dataclass(kw_only=True)
class ReplayBuffer:
    """Episodes [C, ...] plus the next slot to write and how many slots hold data."""

    episodes: Episodes
    insert_index: jax.Array  # [] int32
    size: jax.Array  # [] int32

    @property
    def capacity(self) -> int:
        return self.episodes.length.shape[0]


def init_buffer(example: Episodes, capacity: int) -> ReplayBuffer:
    """An empty buffer shaped like `example` (one batch of episodes) with `capacity` slots."""
    episodes = jax.tree.map(
        lambda leaf: jnp.zeros((capacity, *leaf.shape[1:]), leaf.dtype), example
    )
    return ReplayBuffer(
        episodes=episodes,
        insert_index=jnp.zeros((), jnp.int32),
        size=jnp.zeros((), jnp.int32),
    )


def add_episodes(buffer: ReplayBuffer, new: Episodes) -> ReplayBuffer:
    """Writes E new episodes into slots insert_index .. insert_index+E-1 (mod capacity)."""
    capacity = buffer.capacity
    count = new.length.shape[0]
    if count > capacity:
        raise ValueError(f"cannot add {count} episodes to a buffer of {capacity}")
    chex.assert_trees_all_equal_dtypes(new, buffer.episodes)
    chex.assert_trees_all_equal_shapes(
        jax.tree.map(lambda x: x[0], new), jax.tree.map(lambda x: x[0], buffer.episodes)
    )
    slots = (buffer.insert_index + jnp.arange(count, dtype=jnp.int32)) % capacity
    episodes = jax.tree.map(lambda old, leaf: old.at[slots].set(leaf), buffer.episodes, new)
    return ReplayBuffer(
        episodes=episodes,
        insert_index=(buffer.insert_index + count) % capacity,
        size=jnp.minimum(buffer.size + count, capacity),
    )
