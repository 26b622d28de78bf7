"""Reacher (MJX) against MuJoCo's C simulator, and its task semantics on hand-worked cases
(sizes, reward, done and determinism: tests/test_env_contract.py)."""

import math

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

import envs
from envs.mjx.reacher import GOAL_RADIUS
from envs.reference.c_replay import replay_episode_in_c


@pytest.fixture(scope="module")
def harness(episode_runner):
    """The shared reacher runner; its script is the PD servo of envs/reference/scripts.py."""
    return episode_runner("reacher")


def test_threshold_is_the_normalised_one():
    assert envs.make("reacher").threshold == pytest.approx(0.02 * math.sqrt(2) * 0.42)


def test_matches_mujoco_c_simulator(harness):
    env, num_envs = harness.env, harness.num_envs
    model, jacp = env.mj_model, np.zeros((3, env.mj_model.nv))

    def read(data):
        mujoco.mj_comPos(model, data)  # mj_jacSite reads cdof
        mujoco.mj_jacSite(model, data, jacp, None, env.fingertip)
        tip = data.site_xpos[env.fingertip, :2]
        return np.concatenate([data.qpos, data.qvel, tip, (jacp @ data.qvel)[:2]])

    episode = harness.run(jax.random.key(3), harness.random_actions(jax.random.key(2)))
    expected = np.stack([replay_episode_in_c(env, episode, i, read) for i in range(num_envs)])
    expected = np.swapaxes(expected, 0, 1)  # [T, N, 8]
    states = episode.states
    mjx_values = {
        "qpos": (states.physics.qpos, expected[..., 0:2], 1e-5),
        "qvel": (states.physics.qvel, expected[..., 2:4], 1e-4),
        "fingertip": (states.achieved_goal, expected[..., 4:6], 1e-5),
        "fingertip_velocity": (states.obs[..., 8:10], expected[..., 6:8], 1e-4),
    }
    for name, (values, reference, tolerance) in mjx_values.items():
        error = np.abs(values - reference).max()
        print(f"reacher vs C over {env.max_steps} steps: max |{name} error| = {error:.2e}")
        assert error < tolerance, name


def test_observation_layout(harness):
    *_, states = harness.run(jax.random.key(4), harness.random_actions(jax.random.key(5)))
    obs, q, qdot = states.obs, states.physics.qpos, states.physics.qvel
    np.testing.assert_allclose(obs[..., 0:2], jnp.cos(q), atol=1e-6)
    np.testing.assert_allclose(obs[..., 2:4], jnp.sin(q), atol=1e-6)
    np.testing.assert_allclose(obs[..., 4:6], states.achieved_goal, atol=1e-6)
    np.testing.assert_allclose(obs[..., 6:8], qdot, atol=1e-6)
    np.testing.assert_allclose(obs[..., 10], q[..., 1], atol=1e-6)


def test_zero_action_keeps_arm_still(harness):
    zeros = jnp.zeros((harness.env.max_steps, harness.num_envs, 2))
    first, _, states = harness.run(jax.random.key(6), zeros)
    # Only the start velocity (|qdot| <= 0.005 rad/s) moves the arm, and damping 10 on
    # armature 1 stops it within ~0.005 / 10 rad.
    still = jnp.broadcast_to(first.physics.qpos, states.physics.qpos.shape)
    np.testing.assert_allclose(states.physics.qpos, still, atol=6e-4)
    np.testing.assert_allclose(states.physics.qvel[-1], 0.0, atol=1e-6)
    np.testing.assert_allclose(states.obs[-1, :, 8:10], 0.0, atol=1e-6)


def test_torques_turn_the_joints_the_right_way(harness):
    push = jnp.zeros((harness.env.max_steps, harness.num_envs, 2)).at[:5, :, 0].set(1.0)
    push = push.at[:, :, 1].set(-1.0)
    first, _, states = harness.run(jax.random.key(7), push)
    moved = states.physics.qpos[4] - first.physics.qpos
    assert jnp.all(moved[:, 0] > 0.05) and jnp.all(moved[:, 1] < -0.05)
    # A sustained elbow torque drives the elbow onto its -3 rad limit, which holds (softly).
    elbow = states.physics.qpos[:, :, 1]
    print(f"\nreacher: elbow under sustained torque ends at {float(elbow[-1].mean()):.3f} rad")
    assert jnp.all(elbow[-1] < -2.9) and jnp.all(elbow > -3.1)


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
    zeros = jnp.zeros((env.max_steps, harness.num_envs, 2))
    firsts = [harness.run(jax.random.key(20 + i), zeros).first for i in range(2)]
    reset_goals = np.concatenate([np.asarray(f.desired_goal) for f in firsts])
    assert len(np.unique(reset_goals[:, 0])) == 2 * harness.num_envs
    assert np.all(np.linalg.norm(reset_goals, axis=-1) <= GOAL_RADIUS + 1e-6)
    start = np.concatenate([np.asarray(f.achieved_goal) for f in firsts])
    assert np.all(np.linalg.norm(start - [0.21, 0.0], axis=-1) < 0.05)


def test_scripted_controller_reaches_goals_and_success_ends_episodes(harness):
    """Every sampled goal is reachable within T steps, and `done` is success or time-out."""
    env = harness.env
    zeros = jnp.zeros((env.max_steps, harness.num_envs, 2))
    time_out = (jnp.arange(1, env.max_steps + 1) >= env.max_steps)[:, None]
    successes = []
    for seed in range(4):
        *_, states = harness.run(jax.random.key(100 + seed), zeros, scripted=True)
        successes.append(jnp.any(states.success, axis=0))
        np.testing.assert_array_equal(states.done, states.success | time_out)
    assert float(jnp.mean(jnp.concatenate(successes))) >= 0.95
