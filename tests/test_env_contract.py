"""The env contract, checked the same way for every registered env: sizes, reset and step
shapes and dtypes under jit + vmap, reward / success / done semantics, box actions clipped by
the base class, a new goal every reset, determinism and a single compile per runner."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import envs
from envs.core import Box, Discrete

# name -> (obs_size, goal_size, max_steps, action space)
SIZES = {
    "bitflip": (10, 10, 10, Discrete(10)),
    "navigation": (10, 10, 50, Box(10, -0.2, 0.2)),
    "pointmass": (4, 2, 50, Box(2, -1.0, 1.0)),
    "fourrooms": (22, 22, 32, Discrete(4)),
    "reacher": (11, 2, 50, Box(2, -1.0, 1.0)),
    "sawyer_reach": (3, 3, 50, Box(3, -1.0, 1.0)),
    "fetch_reach": (10, 3, 50, Box(4, -1.0, 1.0)),
    "fetch_push": (25, 3, 50, Box(4, -1.0, 1.0)),
    "fetch_slide": (25, 3, 50, Box(4, -1.0, 1.0)),
    "fetch_pick_and_place": (25, 3, 50, Box(4, -1.0, 1.0)),
}
CLASSES = {
    "bitflip": "BitFlip",
    "navigation": "Navigation",
    "pointmass": "PointMass",
    "fourrooms": "FourRooms",
    "reacher": "Reacher",
    "sawyer_reach": "SawyerReach",
    "fetch_reach": "FetchReach",
    "fetch_push": "FetchPush",
    "fetch_slide": "FetchSlide",
    "fetch_pick_and_place": "FetchPickAndPlace",
}
# name -> (success radius of compute_reward around a goal, a goal); reacher and pointmass
# normalise by their arena (0.42 m and 2) and threshold at 0.02 sqrt(2) there.
SUCCESS_RADII = {
    "navigation": (0.1, (0.3, -0.2) + (0.0,) * 8),
    "pointmass": (0.02 * math.sqrt(2.0) * 2.0, (0.3, -0.4)),
    "reacher": (0.02 * math.sqrt(2.0) * 0.42, (0.1, -0.05)),
    "sawyer_reach": (0.05, (0.1, 0.6, 0.2)),
    "fetch_reach": (0.05, (1.3, 0.7, 0.6)),
    "fetch_push": (0.05, (1.3, 0.7, 0.42)),
    "fetch_slide": (0.05, (1.5, 0.7, 0.42)),
    "fetch_pick_and_place": (0.05, (1.3, 0.7, 0.6)),
}


def box_envs():
    return [name for name in envs.names() if isinstance(SIZES[name][3], Box)]


def test_every_env_is_covered():
    assert sorted(SIZES) == sorted(CLASSES) == envs.names()


@pytest.mark.parametrize("name", envs.names())
def test_sizes_and_registry(name):
    env = envs.make(name)
    assert type(env).__name__ == CLASSES[name]
    assert (env.obs_size, env.goal_size, env.max_steps, env.action_space) == SIZES[name]
    assert (env.obs_shape, env.goal_shape) == ((env.obs_size,), (env.goal_size,))


@pytest.mark.parametrize("name", envs.names())
def test_reset_and_step_shapes_and_dtypes(name, episode_runner):
    runner = episode_runner(name)
    env, n, steps = runner.env, runner.num_envs, runner.env.max_steps
    episode = runner.run(jax.random.key(1), runner.random_actions(jax.random.key(2)))
    for leading, state in (((n,), episode.first), ((steps, n), episode.states)):
        assert state.obs.shape == (*leading, env.obs_size) and state.obs.dtype == np.float32
        for goal in (state.achieved_goal, state.desired_goal):
            assert goal.shape == (*leading, env.goal_size) and goal.dtype == np.float32
        assert state.reward.shape == leading and state.reward.dtype == np.float32
        assert state.success.dtype == state.done.dtype == np.bool_
        assert state.t.shape == leading and state.t.dtype == np.int32
    action = env.sample_action(jax.random.key(3))
    space = env.action_space
    if isinstance(space, Box):
        assert action.shape == (space.size,) and action.dtype == jnp.float32
        assert bool(jnp.all((action >= space.low) & (action <= space.high)))
    else:
        assert action.shape == () and action.dtype == jnp.int32
        assert 0 <= int(action) < space.num_actions


@pytest.mark.parametrize("name", envs.names())
def test_reward_success_and_done_semantics(name, episode_runner):
    """reward = compute_reward(achieved, desired); success = reward > 0; done = success or
    t >= max_steps; reset: reward 0, t 0, done = success."""
    runner = episode_runner(name)
    env = runner.env
    first, _, states = runner.run(jax.random.key(4), runner.random_actions(jax.random.key(5)))
    np.testing.assert_array_equal(
        states.reward, env.compute_reward(states.achieved_goal, states.desired_goal)
    )
    np.testing.assert_array_equal(states.success, states.reward > 0)
    np.testing.assert_array_equal(states.done, states.success | (states.t >= env.max_steps))
    np.testing.assert_array_equal(states.t[:, 0], np.arange(1, env.max_steps + 1))
    assert np.all(states.done[-1])
    assert np.all(first.reward == 0.0) and np.all(first.t == 0)
    np.testing.assert_array_equal(first.done, first.success)
    np.testing.assert_array_equal(
        states.desired_goal, np.broadcast_to(first.desired_goal, states.desired_goal.shape)
    )


@pytest.mark.parametrize("name", box_envs())
def test_out_of_range_box_actions_are_clipped(name, episode_runner):
    runner = episode_runner(name)
    wild = runner.random_actions(jax.random.key(6), scale=3.0)
    space = runner.env.action_space
    assert float(jnp.abs(wild).max()) > 2.0 * space.high
    clipped = jnp.clip(wild, space.low, space.high)
    key = jax.random.key(7)
    jax.tree.map(np.testing.assert_array_equal, runner.run(key, wild), runner.run(key, clipped))


@pytest.mark.parametrize("name", envs.names())
def test_new_goal_every_reset(name, episode_runner):
    runner = episode_runner(name)
    zeros = jnp.zeros(runner.action_shape)
    goals = np.concatenate(
        [runner.run(jax.random.key(10 + i), zeros).first.desired_goal for i in range(2)]
    )
    distinct = len(np.unique(goals, axis=0))
    if isinstance(runner.env.action_space, Box):  # continuous goals never repeat
        assert distinct == len(goals)
    else:  # a few discrete goals may repeat by chance
        assert distinct > len(goals) // 2


@pytest.mark.parametrize("name", sorted(SUCCESS_RADII))
def test_success_boundary_and_vectorised_reward(name):
    env = envs.make(name)
    radius, goal = SUCCESS_RADII[name]
    goal = jnp.asarray(goal, jnp.float32)
    direction = jnp.zeros_like(goal).at[:2].set(jnp.array([0.6, 0.8]))
    achieved = jnp.stack([goal + 0.999 * radius * direction, goal + 1.001 * radius * direction])
    np.testing.assert_array_equal(env.compute_reward(achieved, jnp.stack([goal] * 2)), [1, 0])
    batch = env.compute_reward(jnp.zeros((3, 4, env.goal_size)), jnp.zeros((3, 4, env.goal_size)))
    assert batch.shape == (3, 4) and batch.dtype == jnp.float32
    np.testing.assert_array_equal(batch, 1.0)


@pytest.mark.parametrize("name", envs.names())
def test_deterministic_for_a_key_and_compiled_once(name, episode_runner):
    runner = episode_runner(name)
    actions = runner.random_actions(jax.random.key(20))
    first = runner.run(jax.random.key(21), actions)
    jax.tree.map(np.testing.assert_array_equal, first, runner.run(jax.random.key(21), actions))
    other = runner.run(jax.random.key(22), actions)
    assert not np.array_equal(first.first.desired_goal, other.first.desired_goal)
    assert runner.traces == 1
