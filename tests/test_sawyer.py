"""SawyerReach (MJX) against MuJoCo's C simulator, and its task semantics on hand-worked cases."""

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

import envs
from envs.mjx.episode_runner import compiled_runner
from envs.mjx.sawyer import HAND_HIGH, HAND_LOW, SawyerReach

NUM_ENVS = 8


def steer(env: SawyerReach, state) -> jax.Array:
    """[3] full-speed action moving the mocap hand straight at the goal."""
    return (state.desired_goal - state.physics.mocap_pos[0]) / env.action_scale


@pytest.fixture(scope="module")
def harness():
    return compiled_runner("sawyer_reach", NUM_ENVS, steer)


def test_sizes_and_registry():
    env = envs.make("sawyer_reach")
    assert isinstance(env, SawyerReach)
    assert (env.obs_size, env.goal_size, env.max_steps) == (3, 3, 50)
    assert (env.action_space.size, env.action_space.low, env.action_space.high) == (3, -1.0, 1.0)


def test_matches_mujoco_c_simulator(harness):
    env = harness.env
    actions = harness.random_actions(jax.random.key(2))
    first, _, states = harness.run(jax.random.key(3), actions)
    data = mujoco.MjData(env.mj_model)
    expected = []
    for i in range(NUM_ENVS):
        mujoco.mj_resetData(env.mj_model, data)
        for t in range(env.max_steps):
            target = data.mocap_pos[0] + env.action_scale * np.asarray(actions[t, i])
            data.mocap_pos[0] = np.clip(target, HAND_LOW, HAND_HIGH)
            for _ in range(env.n_substeps):
                mujoco.mj_step(env.mj_model, data)
            mujoco.mj_kinematics(env.mj_model, data)
            expected.append(data.xpos[env.hand].copy())
    expected = np.stack(expected).reshape(NUM_ENVS, env.max_steps, 3)
    error = np.abs(np.swapaxes(np.asarray(states.achieved_goal), 0, 1) - expected).max()
    print(f"sawyer_reach vs C over {env.max_steps} steps: max |hand error| = {error:.2e} m")
    assert error < 1e-5
    np.testing.assert_allclose(
        first.achieved_goal, np.broadcast_to((0.0, 0.55, 0.05), (NUM_ENVS, 3))
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
        jnp.broadcast_to(10 * env.action_scale * jnp.array([1.0, 0.5, 0.0]), (NUM_ENVS, 3)),
        atol=1e-6,
    )
    # The mocap (and hence the hand) stays in the hand space: x saturates at 0.2.
    np.testing.assert_allclose(states.physics.mocap_pos[-1, :, 0, 0], HAND_HIGH[0], atol=1e-6)
    assert jnp.all(states.achieved_goal[-1, :, 0] <= HAND_HIGH[0] + 1e-4)


def test_success_boundary_and_reward():
    env = envs.make("sawyer_reach")
    goal = jnp.array([0.1, 0.6, 0.2])
    direction = jnp.array([2.0, -1.0, 2.0]) / 3.0
    assert float(env.compute_reward(goal + 0.0499 * direction, goal)) == 1.0
    assert float(env.compute_reward(goal + 0.0501 * direction, goal)) == 0.0
    batch = env.compute_reward(jnp.zeros((3, 4, 3)), jnp.zeros((3, 4, 3)))
    assert batch.shape == (3, 4) and batch.dtype == jnp.float32


def test_step_reward_and_done_follow_compute_reward(harness):
    env = harness.env
    *_, states = harness.run(jax.random.key(6), harness.random_actions(jax.random.key(7)))
    np.testing.assert_array_equal(
        states.reward, env.compute_reward(states.achieved_goal, states.desired_goal)
    )
    time_out = (jnp.arange(1, env.max_steps + 1) >= env.max_steps)[:, None]
    np.testing.assert_array_equal(states.done, states.success | time_out)


def test_goals_are_new_and_in_the_hand_space(harness):
    zeros = jnp.array([0, 0, 0], jnp.float32)
    goals = np.concatenate(
        [
            np.asarray(harness.run(jax.random.key(10 + i), zeros).first.desired_goal)
            for i in range(4)
        ]
    )
    assert len(np.unique(goals[:, 0])) == 4 * NUM_ENVS
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


def test_deterministic_and_compiled_once(harness):
    actions = harness.random_actions(jax.random.key(40))
    traces = harness.traces
    *_, a = harness.run(jax.random.key(41), actions)
    *_, b = harness.run(jax.random.key(41), actions)
    *_, c = harness.run(jax.random.key(42), actions)
    np.testing.assert_array_equal(a.obs, b.obs)
    assert not np.array_equal(a.desired_goal, c.desired_goal)
    assert harness.traces == traces
