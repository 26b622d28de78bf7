"""The E-step sampler: relabelled goals come from the right episode and step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hemjax.buffer import Episodes, add_episodes, init_buffer
from hemjax.hindsight import (
    _draw_episodes,
    convention_reward,
    sample_batch,
    sample_transitions,
)

HORIZON = 6


def _equal(achieved, desired):
    return jnp.all(achieved == desired, axis=-1).astype(jnp.float32)


def _tagged_episodes(first_id, lengths):
    """Episode e's step j holds the tag 100 * e + j in obs, achieved goal and action."""
    ids = first_id + np.arange(len(lengths))
    tags = 100.0 * ids[:, None] + np.arange(HORIZON + 1)[None, :]  # [E, T+1]
    return Episodes(
        obs=jnp.asarray(tags[:, :, None], jnp.float32),
        achieved_goal=jnp.asarray(tags[:, :, None], jnp.float32),
        desired_goal=jnp.asarray(-ids[:, None], jnp.float32),  # never achieved
        action=jnp.asarray(tags[:, :-1], jnp.int32),
        length=jnp.asarray(lengths, jnp.int32),
    )


def _filled_buffer(batches, capacity):
    buffer = init_buffer(_tagged_episodes(0, batches[0]), capacity)
    first = 0
    for lengths in batches:
        buffer = add_episodes(buffer, _tagged_episodes(first, lengths))
        first += len(lengths)
    return buffer


_batches = st.lists(
    st.lists(st.integers(0, HORIZON), min_size=3, max_size=3), min_size=1, max_size=5
)


@settings(max_examples=25, deadline=None)
@given(batches=_batches, capacity=st.integers(3, 7), seed=st.integers(0, 2**31 - 1))
def test_future_goals_come_from_a_strictly_later_step_of_the_same_episode(batches, capacity, seed):
    buffer = _filled_buffer(batches, capacity)
    batch = sample_batch(buffer, jax.random.PRNGKey(seed), 256, "future", _equal)
    obs_tag = np.asarray(batch.obs[:, 0]).astype(int)
    goal_tag = np.asarray(batch.goal[:, 0]).astype(int)
    weight = np.asarray(batch.weight)
    filled = int(buffer.size)  # empty slots are zeros and would alias episode 0
    ids = -np.asarray(buffer.episodes.desired_goal[:filled, 0]).astype(int)
    lengths = dict(zip(ids.tolist(), np.asarray(buffer.episodes.length[:filled]).tolist()))
    stored = set(lengths)
    for o, g, a, w in zip(obs_tag, goal_tag, np.asarray(batch.action), weight):
        episode, t = divmod(o, 100)
        assert episode in stored, "sampled an episode that is not in the buffer"
        if lengths[episode] == 0:
            assert w == 0.0  # an episode without transitions gives no sample
            continue
        assert w == 1.0 and a == o  # the action taken at s_t
        goal_episode, j = divmod(g, 100)
        assert goal_episode == episode, "goal from another episode"
        assert t < j <= lengths[episode], f"goal step {j} not in ({t}, {lengths[episode]}]"


def test_every_later_step_is_sampled_and_t_covers_the_episode():
    buffer = _filled_buffer([[4, 4, 4]], 3)
    batch = sample_batch(buffer, jax.random.PRNGKey(0), 4096, "future", _equal)
    pairs = {(int(o) % 100, int(g) % 100) for o, g in zip(batch.obs[:, 0], batch.goal[:, 0])}
    assert pairs == {(t, j) for t in range(4) for j in range(t + 1, 5)}


def test_final_episode_and_none_strategies():
    buffer = _filled_buffer([[3, 5, 2]], 3)
    lengths = {0: 3, 1: 5, 2: 2}
    key = jax.random.PRNGKey(1)
    final = sample_batch(buffer, key, 512, "final", _equal)
    for o, g in zip(final.obs[:, 0].astype(int), final.goal[:, 0].astype(int)):
        assert g == 100 * (o // 100) + lengths[int(o) // 100]
    episode = sample_batch(buffer, key, 512, "episode", _equal)
    js = episode.goal[:, 0].astype(int) % 100
    assert js.min() == 1 and all(
        1 <= j <= lengths[int(o) // 100] for o, j in zip(episode.obs[:, 0], js)
    )
    none = sample_batch(buffer, key, 512, "none", _equal)
    np.testing.assert_array_equal(none.goal[:, 0], -(none.obs[:, 0] // 100))
    assert float(none.weight.sum()) == 0.0  # no episode reached its own goal


def test_sample_batch_draws_are_pinned():
    """hEM's samples must stay bitwise the same (every hEM result depends on them)."""
    buffer = _filled_buffer([[4, 6, 0], [2, 5, 3]], 5)
    obs = [403, 104, 200, 200, 500, 501, 403, 200, 502, 500, 200, 200]
    weight = [1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0]
    goals = {
        "future": [404, 105, 200, 200, 501, 502, 404, 200, 503, 503, 200, 200],
        "final": [405, 106, 200, 200, 503, 503, 405, 200, 503, 503, 200, 200],
        "episode": [402, 102, 200, 200, 501, 502, 402, 200, 501, 503, 200, 200],
        "none": [-4, -1, -2, -2, -5, -5, -4, -2, -5, -5, -2, -2],
    }
    for strategy, goal in goals.items():
        batch = sample_batch(buffer, jax.random.PRNGKey(7), 12, strategy, _equal)
        np.testing.assert_array_equal(batch.obs[:, 0], obs)
        np.testing.assert_array_equal(batch.goal[:, 0], goal)
        np.testing.assert_array_equal(batch.weight, weight if strategy != "none" else 0)


def test_transitions_relabel_to_strictly_later_goals_at_the_asked_rate():
    buffer = _filled_buffer([[3, 6, 5], [0, 4, 6]], 6)
    batch = sample_transitions(buffer, jax.random.PRNGKey(3), 8192, 0.8, "0/1", _equal)
    obs = np.asarray(batch.obs[:, 0]).astype(int)
    goal = np.asarray(batch.goal[:, 0]).astype(int)
    valid = np.asarray(batch.valid) > 0
    lengths = {i: n for i, n in enumerate([3, 6, 5, 0, 4, 6])}
    np.testing.assert_array_equal(batch.next_obs[:, 0], batch.obs[:, 0] + 1)
    np.testing.assert_array_equal(batch.action, obs)  # a_t is tagged like s_t
    np.testing.assert_array_equal(valid, [lengths[o // 100] > 0 for o in obs])
    relabelled = goal != -(obs // 100)  # desired goals are tagged -id, never achieved
    for o, g in zip(obs[valid & relabelled], goal[valid & relabelled]):
        assert g // 100 == o // 100 and o % 100 < g % 100 <= lengths[o // 100]
    np.testing.assert_array_equal(-goal[~relabelled], obs[~relabelled] // 100)
    assert abs(relabelled[valid].mean() - 0.8) < 0.02
    # the reward is the success of s_{t+1} for g, and a success is terminal
    success = (goal == obs + 1).astype(np.float32)
    np.testing.assert_array_equal(batch.reward, success)
    np.testing.assert_array_equal(batch.terminal, success > 0)
    assert 0.1 < success[valid].mean() < 0.8  # both cases occur
    minus = sample_transitions(buffer, jax.random.PRNGKey(3), 8192, 0.8, "-1/0", _equal)
    np.testing.assert_array_equal(minus.reward, success - 1.0)


def test_unknown_reward_convention_is_refused_by_name():
    with pytest.raises(ValueError, match="her_reward"):
        convention_reward(jnp.ones(()), "1/0")


def test_transition_weighting_draws_every_stored_step_equally():
    """'transition' draws episodes in proportion to their lengths (never an empty or unfilled
    slot); 'episode' draws filled slots uniformly."""
    horizon = 10
    lengths = jnp.array([1, 9, 0, 5], jnp.int32)
    episodes = Episodes(
        obs=jnp.zeros((4, horizon + 1, 2)),
        achieved_goal=jnp.zeros((4, horizon + 1, 1)),
        desired_goal=jnp.zeros((4, 1)),
        action=jnp.zeros((4, horizon), jnp.int32),
        length=lengths,
    )
    buffer = add_episodes(init_buffer(episodes, capacity=6), episodes)
    draws = 60_000

    def slots(weighting):
        chosen = _draw_episodes(buffer, jax.random.PRNGKey(1), draws, weighting)
        return np.bincount(np.asarray(chosen), minlength=6) / draws

    np.testing.assert_allclose(slots("transition"), [1 / 15, 9 / 15, 0, 5 / 15, 0, 0], atol=0.01)
    np.testing.assert_allclose(slots("episode"), [0.25, 0.25, 0.25, 0.25, 0, 0], atol=0.01)
    with pytest.raises(ValueError, match="weighting='steps' is not allowed"):
        slots("steps")
