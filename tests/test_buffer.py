"""The episode ring buffer: modular writes, wrap-around, size."""

import jax.numpy as jnp
import numpy as np
import pytest

from hemjax.buffer import Episodes, add_episodes, init_buffer


def _episodes(ids, horizon=3):
    ids = jnp.asarray(ids, jnp.float32)
    count = ids.shape[0]
    return Episodes(
        obs=jnp.broadcast_to(ids[:, None, None], (count, horizon + 1, 2)),
        achieved_goal=jnp.broadcast_to(ids[:, None, None], (count, horizon + 1, 1)),
        desired_goal=ids[:, None],
        action=jnp.zeros((count, horizon), jnp.int32),
        length=jnp.full((count,), horizon, jnp.int32),
    )


def test_wrap_around_overwrites_oldest_slots():
    buffer = init_buffer(_episodes([0, 0]), capacity=5)
    assert buffer.capacity == 5 and int(buffer.size) == 0
    buffer = add_episodes(buffer, _episodes([1, 2, 3]))
    assert int(buffer.size) == 3 and int(buffer.insert_index) == 3
    buffer = add_episodes(buffer, _episodes([4, 5, 6]))  # 6 wraps into slot 0
    assert int(buffer.size) == 5 and int(buffer.insert_index) == 1
    np.testing.assert_array_equal(buffer.episodes.desired_goal[:, 0], [6, 2, 3, 4, 5])
    buffer = add_episodes(buffer, _episodes([7, 8, 9]))
    np.testing.assert_array_equal(buffer.episodes.desired_goal[:, 0], [6, 7, 8, 9, 5])
    assert int(buffer.insert_index) == 4
    # every leaf of an episode moves together
    np.testing.assert_array_equal(buffer.episodes.obs[:, 2, 1], [6, 7, 8, 9, 5])


def test_episodes_of_another_shape_or_dtype_are_refused():
    buffer = init_buffer(_episodes([0, 0]), capacity=5)
    with pytest.raises(AssertionError):
        add_episodes(buffer, _episodes([1, 2], horizon=4))  # a different episode length
    wrong_dtype = _episodes([1, 2]).replace(action=jnp.zeros((2, 3), jnp.float32))
    with pytest.raises(AssertionError):
        add_episodes(buffer, wrong_dtype)
