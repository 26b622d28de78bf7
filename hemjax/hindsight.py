"""The E-step: sample (s_t, a_t, g) from the hindsight variational distribution q_h(tau, g).

By default (`weighting="episode"`) an episode is drawn uniformly from the buffer and t uniformly
among its transitions, so a transition weighs 1 / its episode's length; `weighting="transition"`
draws episodes in proportion to their length, i.e. every stored transition equally (the paper's
Eq. 7). The goal comes from the same episode's achieved goals at index j:
  future  - j uniform in [t+1, L]: a goal reached strictly later (HER's "future"; the default)
  final   - j = L: the goal reached at the episode's end
  episode - j uniform in [1, L]: any goal reached in the episode
  none    - the episode's own desired goal (no relabelling)
Each sample is weighted by the return it earns, r(achieved_goal[j], g) with j = L for "none":
relabelled goals are rewarding by construction (weight 1), while "none" keeps only the episodes
that reached their own goal, which is q proportional to p(O=1 | tau, g) for the original goals.

`sample_transitions` draws from the same buffer, with the same (episode, t, j) draw, the
transitions that value-based learners (HER) need: s_{t+1}, the reward and a terminal flag.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from flax import struct

from hemjax.buffer import ReplayBuffer


@struct.dataclass(kw_only=True)
class Batch:
    """B relabelled samples: obs [B, O], goal [B, G], action [B] or [B, A], weight [B]."""

    obs: jax.Array
    goal: jax.Array
    action: jax.Array
    weight: jax.Array


WEIGHTINGS = ("episode", "transition")


def _draw_episodes(
    buffer: ReplayBuffer, key: jax.Array, batch_size: int, weighting: str
) -> jax.Array:
    """[B] episode slots: uniform over filled slots, or in proportion to their lengths."""
    if weighting == "episode":
        return jax.random.randint(key, (batch_size,), 0, jnp.maximum(buffer.size, 1))
    if weighting != "transition":
        raise ValueError(f"weighting={weighting!r} is not allowed: one of {list(WEIGHTINGS)}")
    cumulative = jnp.cumsum(buffer.episodes.length)  # empty slots have length 0
    u = jax.random.uniform(key, (batch_size,)) * cumulative[-1]
    return jnp.minimum(jnp.searchsorted(cumulative, u, side="right"), buffer.capacity - 1)


def _draw_indices(
    buffer: ReplayBuffer,
    key: jax.Array,
    batch_size: int,
    strategy: str,
    weighting: str = "episode",
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Episode slots, steps t in [0, L), goal steps j (per `strategy`) and lengths L: [B] each."""
    episode_key, time_key, goal_key = jax.random.split(key, 3)
    episode = _draw_episodes(buffer, episode_key, batch_size, weighting)
    length = buffer.episodes.length[episode]  # [B]
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
    return episode, t, jnp.clip(j, 0, length), length


def sample_batch(
    buffer: ReplayBuffer,
    key: jax.Array,
    batch_size: int,
    strategy: str,
    compute_reward: Callable[[jax.Array, jax.Array], jax.Array],
    weighting: str = "episode",
    goal_input: Callable[[jax.Array], jax.Array] | None = None,
    goal_from_obs: bool = False,
) -> Batch:
    """Draws `batch_size` relabelled samples from the filled part of `buffer`.

    `goal_input` maps relabelled goal vectors [B, G] to what the policy reads (e.g. goal images
    [B, w, w, 3]); `goal_from_obs` instead takes the observation stored at the step j that
    reached the goal (exact where that observation is the goal's image). Rewards are always
    judged on the vectors. Both need a relabelling strategy: with "none" the buffer's desired
    goals are already the policy's inputs."""
    episode, t, j, length = _draw_indices(buffer, key, batch_size, strategy, weighting)
    data = buffer.episodes
    reached = data.achieved_goal[episode, j]  # [B, G]
    goal = data.desired_goal[episode] if strategy == "none" else reached
    valid = (length > 0) & (buffer.size > 0)
    weight = compute_reward(reached, goal) * valid
    if goal_input is not None or goal_from_obs:
        if strategy == "none":
            raise ValueError("hindsight='none' is not allowed with image goals: relabel them")
        goal = data.obs[episode, j] if goal_from_obs else goal_input(goal)
    return Batch(
        obs=data.obs[episode, t],
        goal=goal,
        action=data.action[episode, t],
        weight=weight.astype(jnp.float32),
    )


@struct.dataclass(kw_only=True)
class Transitions:
    """B transitions (s_t, a_t, s_{t+1}) for a goal g, for value-based learners (HER).

    obs, next_obs: [B, O]; action: [B] int32 or [B, A] (normalised); goal: [B, G].
    reward: [B] in the `her_reward` convention; terminal: [B] bool, g is reached at s_{t+1}
    (the episode would have ended there, so the target does not bootstrap past it);
    valid: [B] float32, 0 for draws from an empty buffer or an episode without transitions.
    """

    obs: jax.Array
    action: jax.Array
    next_obs: jax.Array
    goal: jax.Array
    reward: jax.Array
    terminal: jax.Array
    valid: jax.Array


REWARD_CONVENTIONS = ("0/1", "-1/0")


def convention_reward(success: jax.Array, convention: str) -> jax.Array:
    """A 0/1 success [...] as a reward: "0/1" keeps it, "-1/0" subtracts 1."""
    if convention == "0/1":
        return success
    if convention == "-1/0":
        return success - 1.0
    raise ValueError(f"her_reward={convention!r} is not allowed: one of {list(REWARD_CONVENTIONS)}")


def sample_transitions(
    buffer: ReplayBuffer,
    key: jax.Array,
    batch_size: int,
    relabel_probability: float,
    reward_convention: str,
    compute_reward: Callable[[jax.Array, jax.Array], jax.Array],
    weighting: str = "episode",
) -> Transitions:
    """HER's `future` replay: (episode, t) as in `sample_batch`; with `relabel_probability`
    the goal is one achieved strictly later (j in [t+1, L]), else the episode's own goal."""
    draw_key, relabel_key = jax.random.split(key)
    episode, t, j, length = _draw_indices(buffer, draw_key, batch_size, "future", weighting)
    data = buffer.episodes
    relabel = jax.random.uniform(relabel_key, (batch_size,)) < relabel_probability
    goal = jnp.where(relabel[:, None], data.achieved_goal[episode, j], data.desired_goal[episode])
    success = compute_reward(data.achieved_goal[episode, t + 1], goal).astype(jnp.float32)
    valid = (length > 0) & (buffer.size > 0)
    return Transitions(
        obs=data.obs[episode, t],
        action=data.action[episode, t],
        next_obs=data.obs[episode, t + 1],
        goal=goal,
        reward=convention_reward(success, reward_convention),
        terminal=success > 0,
        valid=valid.astype(jnp.float32),
    )
