"""SawyerReach (MJX) against MuJoCo's C simulator, its task semantics on hand-worked cases, and
its two success rules (sizes, reward, done and determinism: tests/test_env_contract.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import envs
from envs.mjx.sawyer import HAND_HIGH, HAND_LOW, SUCCESS_THRESHOLDS
from envs.reference.c_replay import replay_episode_in_c


@pytest.fixture(scope="module")
def harness(episode_runner):
    """The shared sawyer runner; its script steers the mocap straight at the goal."""
    return episode_runner("sawyer_reach")


def test_matches_mujoco_c_simulator(harness):
    env = harness.env
    episode = harness.run(jax.random.key(3), harness.random_actions(jax.random.key(2)))
    hand = [
        replay_episode_in_c(env, episode, i, read=lambda data: data.xpos[env.hand].copy())
        for i in range(harness.num_envs)
    ]
    error = np.abs(episode.states.achieved_goal - np.stack(hand, axis=1)).max()
    print(f"sawyer_reach vs C over {env.max_steps} steps: max |hand error| = {error:.2e} m")
    assert error < 1e-5
    np.testing.assert_allclose(
        episode.first.achieved_goal, np.broadcast_to((0.0, 0.55, 0.05), (harness.num_envs, 3))
    )


def test_zero_action_keeps_hand_still(harness):
    first, _, states = harness.run(jax.random.key(4), jnp.array([0, 0, 0], jnp.float32))
    still = jnp.broadcast_to(first.achieved_goal, states.achieved_goal.shape)
    np.testing.assert_allclose(states.achieved_goal, still, atol=1e-6)
    np.testing.assert_array_equal(states.obs, states.achieved_goal)


def test_action_moves_hand_by_scale_in_its_direction(harness):
    env = harness.env
    first, _, states = harness.run(jax.random.key(5), jnp.array([1.0, 0.5, 0.0], jnp.float32))
    # After 10 steps the mocap moved by (0.1, 0.05, 0) m; the hand lags it by about a step.
    moved = states.achieved_goal[9] - first.achieved_goal
    np.testing.assert_allclose(moved[:, 2], 0.0, atol=1e-6)
    assert jnp.all((moved[:, 0] > 0.085) & (moved[:, 0] < 0.1 + 1e-6))
    np.testing.assert_allclose(moved[:, 1], 0.5 * moved[:, 0], rtol=1e-3)
    np.testing.assert_allclose(
        states.physics.mocap_pos[9, :, 0] - first.achieved_goal,
        jnp.broadcast_to(10 * env.action_scale * jnp.array([1.0, 0.5, 0.0]), moved.shape),
        atol=1e-6,
    )
    # The mocap (and hence the hand) stays in the hand space: x saturates at 0.2.
    np.testing.assert_allclose(states.physics.mocap_pos[-1, :, 0, 0], HAND_HIGH[0], atol=1e-6)
    assert jnp.all(states.achieved_goal[-1, :, 0] <= HAND_HIGH[0] + 1e-4)


def test_success_rules():
    """Default "l2": ||hand - goal||_2 < 0.05 (the l2 boundary: tests/test_env_contract.py);
    "multiworld_l1": ||hand - goal||_1 < 0.06, multiworld's SawyerReachXYZEnv rule."""
    assert envs.make("sawyer_reach").success_rule == "l2"
    assert envs.make("sawyer_reach").threshold == SUCCESS_THRESHOLDS["l2"] == 0.05
    l1 = envs.make("sawyer_reach", success_rule="multiworld_l1")
    assert l1.threshold == SUCCESS_THRESHOLDS["multiworld_l1"] == 0.06
    goal = jnp.array([0.1, 0.6, 0.2])
    diagonal = jnp.array([1.0, -1.0, 1.0]) / 3.0  # unit L1 norm, L2 norm 0.577
    axis = jnp.array([0.0, 1.0, 0.0])
    achieved = jnp.stack(
        [goal + 0.0599 * diagonal, goal + 0.0601 * diagonal, goal + 0.0599 * axis, goal]
    )
    goals = jnp.stack([goal] * 4)
    np.testing.assert_array_equal(l1.compute_reward(achieved, goals), [1, 0, 1, 1])
    # The L2 rule accepts the diagonal offsets (L2 0.035) and rejects the 0.0599 m axis one.
    np.testing.assert_array_equal(
        envs.make("sawyer_reach").compute_reward(achieved, goals), [1, 1, 0, 1]
    )
    assert envs.make("sawyer_reach", success_rule="multiworld_l1", threshold=0.1).threshold == 0.1


def test_goals_are_in_the_hand_space(harness):
    zeros = jnp.array([0, 0, 0], jnp.float32)
    goals = np.concatenate(
        [
            np.asarray(harness.run(jax.random.key(10 + i), zeros).first.desired_goal)
            for i in range(4)
        ]
    )
    assert len(np.unique(goals[:, 0])) == 4 * harness.num_envs
    assert np.all((goals >= HAND_LOW) & (goals <= HAND_HIGH))


def test_every_goal_is_reachable_within_the_episode(harness):
    """Steering the mocap straight at the goal succeeds for every sampled goal."""
    zeros = jnp.array([0, 0, 0], jnp.float32)
    steps = []
    for seed in range(4):
        *_, states = harness.run(jax.random.key(20 + seed), zeros, scripted=True)
        reached = jnp.any(states.success, axis=0)
        assert bool(jnp.all(reached))
        steps.append(jnp.argmax(states.success, axis=0) + 1)
    print(f"\nsawyer_reach: steered mocap needs at most {int(jnp.max(jnp.stack(steps)))} steps")
