"""Bit-flip and navigation (hand-worked transitions, rewards, resets, jit/vmap); the base class."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import envs
from envs.core import EpisodeStart, GoalEnv


def test_bitflip_hand_worked_episode():
    env = envs.make("bitflip", num_bits=3)
    state = env.reset(jax.random.PRNGKey(0)).replace(
        obs=jnp.array([0.0, 1.0, 0.0]),
        achieved_goal=jnp.array([0.0, 1.0, 0.0]),
        desired_goal=jnp.array([1.0, 1.0, 1.0]),
        physics=jnp.array([0.0, 1.0, 0.0]),
    )
    state = env.step(state, jnp.int32(0))
    np.testing.assert_array_equal(state.obs, [1.0, 1.0, 0.0])
    assert state.reward == 0.0 and not state.done and state.t == 1
    state = env.step(state, jnp.int32(1))  # a wrong flip
    np.testing.assert_array_equal(state.obs, [1.0, 0.0, 0.0])
    state = env.step(state, jnp.int32(1))
    assert state.reward == 0.0 and state.done and not state.success  # time limit K = 3
    state2 = env.step(state.replace(t=jnp.int32(1)), jnp.int32(2))
    np.testing.assert_array_equal(state2.obs, [1.0, 1.0, 1.0])
    assert state2.reward == 1.0 and state2.success and state2.done


def test_bitflip_spaces_and_types():
    env = envs.make("bitflip", num_bits=7)
    state = env.reset(jax.random.PRNGKey(1))
    assert state.obs.shape == (7,) and state.obs.dtype == jnp.float32
    assert set(np.unique(state.obs)) <= {0.0, 1.0}
    assert env.max_steps == 7 and env.action_space.num_actions == 7
    action = env.sample_action(jax.random.PRNGKey(2))
    assert action.dtype == jnp.int32 and 0 <= int(action) < 7


def test_bitflip_zeros_start_keeps_goals_random():
    keys = jax.random.split(jax.random.PRNGKey(4), 256)
    random_start = jax.vmap(envs.make("bitflip", num_bits=8).reset)(keys)
    zeros_start = jax.vmap(envs.make("bitflip", num_bits=8, start="zeros").reset)(keys)
    np.testing.assert_array_equal(zeros_start.obs, np.zeros((256, 8)))
    np.testing.assert_array_equal(zeros_start.achieved_goal, np.zeros((256, 8)))
    np.testing.assert_array_equal(zeros_start.desired_goal, random_start.desired_goal)
    assert 0.4 < float(np.mean(random_start.obs)) < 0.6


def test_navigation_hand_worked_step_clips_action_and_state():
    env = envs.make("navigation", dim=2)
    state = env.reset(jax.random.PRNGKey(0)).replace(
        physics=jnp.array([0.95, 0.0]), desired_goal=jnp.array([1.0, 0.25])
    )
    state = env.step(state, jnp.array([0.5, 0.2]))  # action clipped to 0.2, state to 1.0
    np.testing.assert_allclose(state.obs, [1.0, 0.2], atol=1e-6)
    assert state.reward == 1.0 and state.done  # distance 0.05 < 0.1
    far = env.step(state.replace(physics=jnp.array([0.0, 0.0])), jnp.array([-0.1, 0.0]))
    np.testing.assert_allclose(far.obs, [-0.1, 0.0], atol=1e-6)
    assert far.reward == 0.0 and not far.done


def test_navigation_success_threshold_is_strict():
    env = envs.make("navigation", dim=1)
    achieved = jnp.array([[0.0], [0.0], [0.0]])
    desired = jnp.array([[0.099], [0.1], [0.2]])
    np.testing.assert_array_equal(env.compute_reward(achieved, desired), [1.0, 0.0, 0.0])


@pytest.mark.parametrize("name,kwargs", [("bitflip", {"num_bits": 5}), ("navigation", {"dim": 3})])
def test_compute_reward_matches_step_and_resets_resample(name, kwargs):
    env = envs.make(name, **kwargs)
    keys = jax.random.split(jax.random.PRNGKey(3), 512)
    state = jax.jit(jax.vmap(env.reset))(keys)
    assert len({tuple(g) for g in np.asarray(state.desired_goal)}) > 20  # new goals per reset
    step = jax.jit(jax.vmap(env.step))
    rewards = []
    for i in range(env.max_steps):
        actions = jax.vmap(env.sample_action)(jax.random.split(jax.random.PRNGKey(i), 512))
        state = step(state, actions)
        np.testing.assert_array_equal(
            state.reward, env.compute_reward(state.achieved_goal, state.desired_goal)
        )
        rewards.append(state.reward)
    again = jax.jit(jax.vmap(env.reset))(keys)
    np.testing.assert_array_equal(again.desired_goal, jax.vmap(env.reset)(keys).desired_goal)
    if name == "bitflip":  # random flips reach a 5-bit goal fairly often
        assert np.max(rewards) == 1.0


def test_unknown_env_lists_known_names():
    with pytest.raises(ValueError, match="known envs: .*bitflip.*navigation"):
        envs.make("bitflop")


def test_an_env_missing_a_hook_cannot_be_constructed():
    class NoAdvance(GoalEnv):
        def init_episode(self, key):
            return EpisodeStart(obs=key, achieved_goal=key, desired_goal=key, physics=key)

        def compute_reward(self, achieved_goal, desired_goal):
            return achieved_goal

    with pytest.raises(TypeError, match="advance"):
        NoAdvance()
