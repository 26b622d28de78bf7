"""Reacher (MJX) against MuJoCo's C simulator, and its task semantics on hand-worked cases."""

import math

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

import envs
from envs.mjx.episode_runner import compiled_runner
from envs.mjx.reacher import ARENA_HIGH, ARENA_LOW, GOAL_RADIUS, NORMALISED_THRESHOLD, Reacher

NUM_ENVS = 8


def inverse_kinematics(env: Reacher, goal: jax.Array) -> jax.Array:
    """[2] joint angles (elbow >= 0) that put the fingertip on `goal` [2]."""
    a, b = env.upper_length, env.fore_length
    cos_elbow = (jnp.sum(goal**2) - a**2 - b**2) / (2 * a * b)
    elbow = jnp.arccos(jnp.clip(cos_elbow, -1.0, 1.0))
    shoulder = jnp.arctan2(goal[1], goal[0]) - jnp.arctan2(
        b * jnp.sin(elbow), a + b * jnp.cos(elbow)
    )
    return jnp.stack([shoulder, elbow])


def servo(env: Reacher, state) -> jax.Array:
    """[2] joint-space PD torques towards the inverse kinematics of the goal."""
    error = inverse_kinematics(env, state.desired_goal) - state.physics.qpos
    error = (error + jnp.pi) % (2 * jnp.pi) - jnp.pi
    return 2.0 * error - 0.2 * state.physics.qvel


@pytest.fixture(scope="module")
def harness():
    return compiled_runner("reacher", NUM_ENVS, servo)


def test_sizes_and_registry():
    env = envs.make("reacher")
    assert isinstance(env, Reacher)
    assert (env.obs_size, env.goal_size, env.max_steps) == (11, 2, 50)
    assert (env.action_space.size, env.action_space.low, env.action_space.high) == (2, -1.0, 1.0)
    assert env.threshold == pytest.approx(0.02 * math.sqrt(2) * 0.42)


def test_matches_mujoco_c_simulator(harness):
    env = harness.env
    actions = harness.random_actions(jax.random.key(2))
    first, _, states = harness.run(jax.random.key(3), actions)
    data = mujoco.MjData(env.mj_model)
    jacp = np.zeros((3, env.mj_model.nv))
    reference = {"qpos": [], "qvel": [], "fingertip": [], "fingertip_velocity": []}
    for i in range(NUM_ENVS):
        data.qpos[:] = np.asarray(first.physics.qpos[i])
        data.qvel[:] = np.asarray(first.physics.qvel[i])
        for t in range(env.max_steps):
            data.ctrl[:] = np.asarray(actions[t, i])
            for _ in range(env.n_substeps):
                mujoco.mj_step(env.mj_model, data)
            mujoco.mj_kinematics(env.mj_model, data)
            mujoco.mj_comPos(env.mj_model, data)  # mj_jacSite reads cdof
            mujoco.mj_jacSite(env.mj_model, data, jacp, None, env.fingertip)
            reference["qpos"].append(data.qpos.copy())
            reference["qvel"].append(data.qvel.copy())
            reference["fingertip"].append(data.site_xpos[env.fingertip, :2].copy())
            reference["fingertip_velocity"].append((jacp @ data.qvel)[:2])
    mjx_values = {
        "qpos": states.physics.qpos,
        "qvel": states.physics.qvel,
        "fingertip": states.achieved_goal,
        "fingertip_velocity": states.obs[..., 8:10],
    }
    tolerance = {"qpos": 1e-5, "qvel": 1e-4, "fingertip": 1e-5, "fingertip_velocity": 1e-4}
    for name, values in mjx_values.items():
        expected = np.stack(reference[name]).reshape(NUM_ENVS, env.max_steps, -1)
        error = np.abs(np.swapaxes(np.asarray(values), 0, 1) - expected).max()
        print(f"reacher vs C over {env.max_steps} steps: max |{name} error| = {error:.2e}")
        assert error < tolerance[name], name


def test_observation_layout(harness):
    *_, states = harness.run(jax.random.key(4), harness.random_actions(jax.random.key(5)))
    obs, q, qdot = states.obs, states.physics.qpos, states.physics.qvel
    np.testing.assert_allclose(obs[..., 0:2], jnp.cos(q), atol=1e-6)
    np.testing.assert_allclose(obs[..., 2:4], jnp.sin(q), atol=1e-6)
    np.testing.assert_allclose(obs[..., 4:6], states.achieved_goal, atol=1e-6)
    np.testing.assert_allclose(obs[..., 6:8], qdot, atol=1e-6)
    np.testing.assert_allclose(obs[..., 10], q[..., 1], atol=1e-6)


def test_zero_action_keeps_arm_still(harness):
    zeros = jnp.zeros((harness.env.max_steps, NUM_ENVS, 2))
    first, _, states = harness.run(jax.random.key(6), zeros)
    # Only the start velocity (|qdot| <= 0.005 rad/s) moves the arm, and damping 10 on
    # armature 1 stops it within ~0.005 / 10 rad.
    still = jnp.broadcast_to(first.physics.qpos, states.physics.qpos.shape)
    np.testing.assert_allclose(states.physics.qpos, still, atol=6e-4)
    np.testing.assert_allclose(states.physics.qvel[-1], 0.0, atol=1e-6)
    np.testing.assert_allclose(states.obs[-1, :, 8:10], 0.0, atol=1e-6)


def test_torques_turn_the_joints_the_right_way(harness):
    push = jnp.zeros((harness.env.max_steps, NUM_ENVS, 2)).at[:5, :, 0].set(1.0)
    push = push.at[:, :, 1].set(-1.0)
    first, _, states = harness.run(jax.random.key(7), push)
    moved = states.physics.qpos[4] - first.physics.qpos
    assert jnp.all(moved[:, 0] > 0.05) and jnp.all(moved[:, 1] < -0.05)
    # A sustained elbow torque drives the elbow onto its -3 rad limit, which holds (softly).
    elbow = states.physics.qpos[:, :, 1]
    print(f"\nreacher: elbow under sustained torque ends at {float(elbow[-1].mean()):.3f} rad")
    assert jnp.all(elbow[-1] < -2.9) and jnp.all(elbow > -3.1)


def test_success_boundary_and_reward():
    env = envs.make("reacher")
    goal = jnp.array([0.1, -0.05])
    direction = jnp.array([0.6, 0.8])
    radius = NORMALISED_THRESHOLD * (ARENA_HIGH - ARENA_LOW)
    inside = env.compute_reward(goal + 0.999 * radius * direction, goal)
    outside = env.compute_reward(goal + 1.001 * radius * direction, goal)
    assert float(inside) == 1.0 and float(outside) == 0.0
    batch = env.compute_reward(jnp.zeros((3, 4, 2)), jnp.zeros((3, 4, 2)))
    assert batch.shape == (3, 4) and batch.dtype == jnp.float32


def test_step_reward_and_done_follow_compute_reward(harness):
    env = harness.env
    *_, states = harness.run(jax.random.key(8), harness.random_actions(jax.random.key(9)))
    np.testing.assert_array_equal(
        states.reward, env.compute_reward(states.achieved_goal, states.desired_goal)
    )
    np.testing.assert_array_equal(states.success, states.reward > 0)
    assert jnp.all(states.done[-1])


def test_goals_are_new_and_reachable(harness):
    env = harness.env
    goals = np.asarray(
        jax.jit(jax.vmap(env.sample_goal))(jax.random.split(jax.random.key(11), 512))
    )
    radius = np.linalg.norm(goals, axis=-1)
    assert len(np.unique(goals[:, 0])) == 512
    assert radius.min() >= env.min_goal_radius - 1e-6 and radius.max() <= GOAL_RADIUS + 1e-6
    # Uniform by area: the median radius splits the annulus into two equal areas.
    median = math.sqrt((env.min_goal_radius**2 + GOAL_RADIUS**2) / 2)
    assert abs(np.mean(radius < median) - 0.5) < 0.08
    # Each reset draws its own goal; the fingertip starts near (0.21, 0) as in gym.
    zeros = jnp.zeros((env.max_steps, NUM_ENVS, 2))
    firsts = [harness.run(jax.random.key(20 + i), zeros).first for i in range(2)]
    reset_goals = np.concatenate([np.asarray(f.desired_goal) for f in firsts])
    assert len(np.unique(reset_goals[:, 0])) == 2 * NUM_ENVS
    assert np.all(np.linalg.norm(reset_goals, axis=-1) <= GOAL_RADIUS + 1e-6)
    start = np.concatenate([np.asarray(f.achieved_goal) for f in firsts])
    assert np.all(np.linalg.norm(start - [0.21, 0.0], axis=-1) < 0.05)


def test_scripted_controller_reaches_goals_and_success_ends_episodes(harness):
    """Every sampled goal is reachable within T steps, and `done` is success or time-out."""
    env = harness.env
    zeros = jnp.zeros((env.max_steps, NUM_ENVS, 2))
    time_out = (jnp.arange(1, env.max_steps + 1) >= env.max_steps)[:, None]
    successes = []
    for seed in range(4):
        *_, states = harness.run(jax.random.key(100 + seed), zeros, scripted=True)
        successes.append(jnp.any(states.success, axis=0))
        np.testing.assert_array_equal(states.done, states.success | time_out)
    assert float(jnp.mean(jnp.concatenate(successes))) >= 0.95


def test_deterministic_and_compiled_once(harness):
    actions = harness.random_actions(jax.random.key(12))
    traces = harness.traces
    *_, a = harness.run(jax.random.key(13), actions)
    *_, b = harness.run(jax.random.key(13), actions)
    *_, c = harness.run(jax.random.key(14), actions)
    np.testing.assert_array_equal(a.obs, b.obs)
    assert not np.array_equal(a.desired_goal, c.desired_goal)
    assert harness.traces == traces
