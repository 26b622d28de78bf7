"""Fetch reach/push/slide/pick-and-place (MJX): C-simulator agreement, task semantics, goal
sampling, and scripted policies that solve each task (sizes, reward, done, determinism and
trace counts: tests/test_env_contract.py).

Every task runs on the session's shared 8-env runner (tests/conftest.py) plus its resets; the
256-goal success rates are marked slow.
"""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

import envs
from envs.mjx import sim
from envs.mjx.fetch import (
    ACTION_SCALE,
    AIR_HEIGHT,
    ENV_DT,
    MAX_OBJECT_SPEED,
    MAX_OBJECT_SPIN,
    MIN_OBJECT_DISTANCE,
    mat_to_euler,
    quat_to_mat,
)
from envs.reference.c_replay import replay_episode_in_c
from envs.reference.episode_runner import Episode
from envs.reference.scripts import FETCH_SCRIPTS


@pytest.fixture(scope="module")
def reach(episode_runner):
    return episode_runner("fetch_reach")


@pytest.fixture(scope="module")
def pick(episode_runner):
    return episode_runner("fetch_pick_and_place")


def success_rate(episode: Episode) -> float:
    return float(episode.states.success.any(axis=0).mean())


# ------------------------------------------------------------------ sizes and resets


@pytest.mark.parametrize("name", list(FETCH_SCRIPTS))
def test_env_step_is_gyms_0_04_s(name):
    env = envs.make(name)
    assert env.n_substeps * env.mj_model.opt.timestep == pytest.approx(ENV_DT)


@pytest.fixture(scope="module", params=list(FETCH_SCRIPTS))
def resets(request):
    """(env, 2000 reset states) for each task."""
    env = envs.make(request.param)
    states = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.key(7), 2000))
    return env, jax.tree.map(np.asarray, states.replace(key=None, physics=None))


def test_resets_sample_new_goals_in_gyms_ranges(resets):
    env, states = resets
    task, start = env.task, np.asarray(env.initial_grip)
    goals = states.desired_goal
    assert len(np.unique(goals, axis=0)) == len(goals)  # a new goal every reset
    centre = start + np.asarray(task.target_offset)
    r = task.target_range
    assert np.all(np.abs(goals[:, :2] - centre[:2]) <= r)
    assert np.abs(goals[:, :2] - centre[:2]).max() > 0.95 * r  # spans the whole box
    np.testing.assert_allclose(
        states.obs[:, :3], np.broadcast_to(start, (len(goals), 3)), atol=1e-6
    )
    if not task.has_object:
        assert np.all(np.abs(goals[:, 2] - centre[2]) <= r)
        return
    rest = env.object_rest_z
    objects = states.achieved_goal
    offsets = objects[:, :2] - start[:2]
    assert np.all(np.abs(offsets) <= task.obj_range)
    assert np.all(np.linalg.norm(offsets, axis=1) >= MIN_OBJECT_DISTANCE)
    np.testing.assert_allclose(objects[:, 2], rest, atol=1e-6)
    np.testing.assert_allclose(states.obs[:, 3:6], objects)
    np.testing.assert_allclose(states.obs[:, 6:9], objects - states.obs[:, :3], atol=1e-6)
    assert np.all(states.obs[:, 9:] == 0.0)  # closed fingers, flat object, everything at rest
    lifted = goals[:, 2] - rest
    assert np.all(lifted >= -1e-6) and np.all(lifted <= AIR_HEIGHT + 1e-6)
    if task.target_in_the_air:
        in_air = (lifted > 1e-6).mean()
        assert 0.46 < in_air < 0.54  # gym: lifted with probability 0.5 (2000 draws: sd 0.011)
        assert lifted.max() > 0.95 * AIR_HEIGHT
    else:
        assert np.all(np.abs(lifted) < 1e-6)


def test_rotation_helpers_match_mujoco():
    quat = np.array([0.9, 0.1, -0.3, 0.2])
    quat /= np.linalg.norm(quat)
    expected = np.zeros(9)
    mujoco.mju_quat2Mat(expected, quat)
    mat = np.asarray(quat_to_mat(jnp.asarray(quat)))
    np.testing.assert_allclose(mat, expected.reshape(3, 3), atol=1e-6)
    # A rotation by 0.3 rad about world axis k has gym Euler angles 0.3 * e_k.
    for k in range(3):
        axis_angle = np.zeros(4)
        axis_angle[0], axis_angle[1 + k] = np.cos(0.15), np.sin(0.15)
        euler = mat_to_euler(quat_to_mat(jnp.asarray(axis_angle)))
        np.testing.assert_allclose(euler, 0.3 * np.eye(3)[k], atol=1e-6)


# ------------------------------------------------------------------ reach


def test_reach_matches_mujoco_c_simulator(reach):
    episode = reach.run(jax.random.key(2), reach.random_actions(jax.random.key(1)))
    for i in range(4):
        expected = replay_episode_in_c(reach.env, episode, i)
        np.testing.assert_allclose(episode.states.physics.qpos[:, i], expected, atol=2e-5)


def test_reach_moves_along_the_commanded_axis_and_ignores_the_finger_command(reach):
    push_x = jnp.zeros(reach.action_shape).at[:, :, 0].set(1.0).at[:, ::2, 3].set(-1.0)
    episode = reach.run(jax.random.key(3), push_x)
    grip = episode.states.obs[..., :3]
    steps = np.diff(grip[:5, 0, 0])  # the workspace edge (x = 1.55) is 5 steps away
    assert np.all((steps > 0.03) & (steps <= ACTION_SCALE))  # 3-5 cm per step at full speed
    start_yz = np.broadcast_to(episode.first.physics.qpos[:, 1:3], grip[..., 1:].shape)
    np.testing.assert_allclose(grip[..., 1:], start_yz, atol=1e-5)
    assert grip[-1, 0, 0] == pytest.approx(reach.env.task.workspace_high[0], abs=2e-3)
    obs = episode.states.obs
    np.testing.assert_array_equal(obs[:, 0], obs[:, 1])  # a[3] does nothing
    assert np.all(obs[..., 3:5] == 0.0) and np.all(obs[..., 8:] == 0.0)
    # Velocity entries: the grip velocity times the 0.04 s env step.
    np.testing.assert_allclose(obs[..., 5:8], episode.states.physics.qvel * ENV_DT, atol=1e-6)


def test_reach_goal_reached_and_episode_ends(reach):
    episode = reach.run(jax.random.key(4), scripted=True)
    assert success_rate(episode) == 1.0  # every goal is reachable
    first = np.argmax(episode.states.success, axis=0)
    assert np.all(episode.states.done[first, np.arange(reach.num_envs)])
    assert np.all(first < 10)  # at most 0.26 m away: a handful of steps
    # No success ever when standing still beyond the threshold: done only at T.
    far = np.asarray(reach.env.initial_grip) + np.array([0.0, 0.0, 0.1])
    still = reach.run(jax.random.key(4), goals=jnp.tile(far, (reach.num_envs, 1)))
    still = still.states
    assert not still.success.any() and not still.done[:-1].any() and still.done[-1].all()
    assert np.all(still.t[-1] == 50)


def test_scripted_reach_rewards_follow_compute_reward(reach):
    episode = reach.run(jax.random.key(5), scripted=True)
    states = episode.states
    recomputed = reach.env.compute_reward(states.achieved_goal, states.desired_goal)
    np.testing.assert_array_equal(recomputed, states.reward)
    np.testing.assert_array_equal(states.success, states.reward > 0)
    assert states.success.any()


# ------------------------------------------------------------------ pick and place


def test_pick_and_place_matches_mujoco_c_simulator_through_a_grasp(pick):
    """Grasp, lift and carry (contacts with friction all along) agree to 1 mm."""
    env = pick.env
    start = np.asarray(env.initial_grip)
    goals = jnp.tile(jnp.array([start[0], start[1] + 0.1, 0.75]), (pick.num_envs, 1))
    episode = pick.run(jax.random.key(8), goals=goals, scripted=True)
    for i in range(2):
        expected = replay_episode_in_c(env, episode, i)
        assert expected[-1, env.object_qpos][2] > 0.6  # the C simulator lifted it too
        qpos = episode.states.physics.qpos[:, i]
        np.testing.assert_allclose(qpos[:, :5], expected[:, :5], atol=1e-3)
        object_xyz = slice(env.object_qpos.start, env.object_qpos.start + 3)
        np.testing.assert_allclose(qpos[:, object_xyz], expected[:, object_xyz], atol=1e-3)


def test_pick_and_place_fingers_grasp_and_lift_the_box(pick):
    episode = pick.run(jax.random.key(9), scripted=True)
    goals = episode.first.desired_goal
    reached = episode.states.success.any(axis=0)
    in_air = goals[:, 2] > pick.env.object_rest_z + 0.1
    assert in_air.any() and reached[in_air].all()  # only a real grasp lifts it 10+ cm
    assert success_rate(episode) >= 0.8
    fingers = episode.states.obs[..., 9:11]
    assert fingers.max() > 0.045  # opened (range [0, 0.05])
    first = np.argmax(episode.states.success, axis=0)
    lifted = (reached & in_air).nonzero()[0]
    # Holding the box at the goal: fingers about 2.5 cm (its half-width) from the centre.
    np.testing.assert_allclose(fingers[first[lifted], lifted], 0.024, atol=0.002)
    recomputed = pick.env.compute_reward(episode.states.achieved_goal, episode.states.desired_goal)
    np.testing.assert_array_equal(recomputed, episode.states.reward)


def test_pick_and_place_observation_layout(pick):
    episode = pick.run(jax.random.key(10), scripted=True)
    env, obs, qpos = pick.env, episode.states.obs, episode.states.physics.qpos
    grip, obj = obs[..., :3], obs[..., 3:6]
    np.testing.assert_allclose(grip, qpos[..., :3], atol=1e-6)
    np.testing.assert_allclose(obj, qpos[..., env.object_qpos][..., :3], atol=1e-6)
    np.testing.assert_allclose(obs[..., 6:9], obj - grip, atol=1e-6)
    np.testing.assert_allclose(obs[..., 9:11], qpos[..., 3:5], atol=1e-6)
    np.testing.assert_allclose(episode.states.achieved_goal, obj)
    # Velocities times the 0.04 s env step; the object's relative to the grip point, its angular
    # velocity turned from the free joint's body frame into the world frame.
    qvel = episode.states.physics.qvel * ENV_DT
    grip_velp, object_qvel = qvel[..., :3], qvel[..., env.object_qvel]
    np.testing.assert_allclose(obs[..., 20:23], grip_velp, atol=1e-6)
    np.testing.assert_allclose(obs[..., 23:25], qvel[..., 3:5], atol=1e-6)
    np.testing.assert_allclose(obs[..., 14:17], object_qvel[..., :3] - grip_velp, atol=1e-6)
    speed = np.linalg.norm(object_qvel[..., 3:], axis=-1)
    np.testing.assert_allclose(np.linalg.norm(obs[..., 17:20], axis=-1), speed, atol=1e-6)
    assert pick.traces == 1


# ------------------------------------------------------------------ slow: push, slide, rates


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fetch_push", "fetch_slide", "fetch_pick_and_place"])
def test_scripted_policies_solve_fresh_goals(name, episode_runner):
    """256 fresh goals each; the rates are printed (run with -s)."""
    harness = episode_runner(name, num_envs=256)
    episode = harness.run(jax.random.key(11), scripted=True)
    rate = success_rate(episode)
    print(f"{name}: scripted success {rate:.3f} on 256 fresh goals")
    assert rate >= 0.8
    states = episode.states
    recomputed = harness.env.compute_reward(states.achieved_goal, states.desired_goal)
    np.testing.assert_array_equal(recomputed, states.reward)
    assert harness.traces == 1


@pytest.mark.parametrize("name, atol", [("fetch_push", 1e-2), ("fetch_slide", 1e-3)])
def test_push_and_slide_match_mujoco_c_simulator(name, atol, episode_runner):
    """The scripted push / escorted slide, each env step replayed in C from MJX's state before
    it: gripper and object agree to `atol` at every step. Open-loop replays drift apart: the
    gripper hits the box at up to 1 m/s and sometimes tips it over, and box contacts differ
    slightly between MJX and C (up to 19 cm apart by the end of a push episode). The scripted
    policy also solves most of these fresh goals."""
    harness = episode_runner(name)
    episode = harness.run(jax.random.key(12), scripted=True)
    env = harness.env
    object_xyz = slice(env.object_qpos.start, env.object_qpos.start + 3)
    qpos = episode.states.physics.qpos
    for i in range(harness.num_envs):
        expected = replay_episode_in_c(env, episode, i, resync=True)
        np.testing.assert_allclose(qpos[:, i, :3], expected[:, :3], atol=atol)
        np.testing.assert_allclose(qpos[:, i, object_xyz], expected[:, object_xyz], atol=atol)
    moved = qpos[-1, :, object_xyz] - episode.first.physics.qpos[:, object_xyz]
    assert np.abs(moved).max() > 0.05
    assert success_rate(episode) >= 0.75


def test_a_step_that_blows_the_object_up_is_undone():
    """MJX's box-box contact can launch the object at ~1,600 rad/s and reach NaN a few steps
    later; such a step (too fast, or non-finite) leaves the physics as it was, while an
    ordinary step is kept bit for bit."""
    env = envs.make("fetch_slide")
    before = jax.jit(env.reset)(jax.random.PRNGKey(0)).physics
    after = jax.jit(lambda d: sim.step(env.model, d, env.n_substeps))(before)
    undo = jax.jit(env._undo_blow_up)

    def same(a, b):
        return all(
            np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True)
            for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
        )

    assert not same(after, before) and same(undo(before, after), after)
    start = env.object_qvel.start
    blown_up = [
        after.replace(qvel=after.qvel.at[start + 3].set(1.5 * MAX_OBJECT_SPIN)),
        after.replace(qvel=after.qvel.at[start].set(1.5 * MAX_OBJECT_SPEED)),
        after.replace(qpos=after.qpos.at[0].set(jnp.nan)),
    ]
    for bad in blown_up:
        assert same(undo(before, bad), before)


def test_physics_overrides_are_applied():
    """(Bad values are rejected: tests/test_env_checks.py.)"""
    env = envs.make("fetch_push", timestep=0.01, solver_iterations=4)
    assert env.n_substeps == 4 and env.mj_model.opt.iterations == 4
    assert env.mj_model.opt.ls_iterations == 4


@pytest.mark.slow
def test_push_rollout_at_1024_envs_finishes(project_root):
    """XLA's concurrency-optimized CPU scheduler deadlocked on exactly this program; importing
    `envs` turns it off (envs/xla_cpu.py). Run in a fresh process without XLA_FLAGS."""
    program = (
        "import envs, jax, jax.numpy as jnp\n"
        "env = envs.make('fetch_push')\n"
        "def rollout(key):\n"
        "    state = jax.vmap(env.reset)(jax.random.split(key, 1024))\n"
        "    def step(state, key):\n"
        "        action = jax.random.uniform(key, (1024, 4), jnp.float32, -1.0, 1.0)\n"
        "        return jax.vmap(env.step)(state, action), None\n"
        "    return jax.lax.scan(step, state, jax.random.split(key, 50))[0].obs\n"
        "print(float(jax.jit(rollout)(jax.random.key(0)).sum()))\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    subprocess.run(
        [sys.executable, "-c", program], env=environment, check=True, timeout=600, cwd=project_root
    )


@pytest.mark.parametrize(
    "program,warns",
    [
        ("import envs, os; print(os.environ['XLA_FLAGS'])", False),
        ("import jax; jax.numpy.zeros(1); import envs", True),
    ],
)
def test_scheduler_flag_is_set_before_the_backend_or_its_absence_is_warned(
    project_root, program, warns
):
    """Imported first, `envs` turns the scheduler off; imported after JAX's CPU backend started
    (too late to take effect), it says so instead of failing silently."""
    environment = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", program],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=project_root,
    )
    warned = "could not be set" in done.stderr
    assert warned == warns, done.stderr
    if not warns:
        assert done.stdout.strip() == "--xla_cpu_enable_concurrency_optimized_scheduler=false"
