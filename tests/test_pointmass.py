"""PointMass: walls block, the gap passes, success boundary, resets, determinism, no retraces."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs.pointmass import PointMass

NUM_ENVS = 64


@pytest.fixture(scope="module")
def env():
    return PointMass()


@pytest.fixture(scope="module")
def step(env):
    return jax.jit(env.step)


@pytest.fixture(scope="module")
def runner(episode_runner):
    """The session's jitted point-mass runner at NUM_ENVS episodes (tests/conftest.py); its
    script is a braking proportional controller unaware of the wall."""
    return episode_runner("pointmass", NUM_ENVS)


def run(runner, key, seek_goal):
    """States [T, N] under the controller, or under random full-force actions (+-1 per axis)."""
    reset_key, action_key = jax.random.split(key)
    if seek_goal:
        return runner.run(reset_key, scripted=True).states
    actions = jax.random.choice(action_key, jnp.array([-1.0, 1.0]), runner.action_shape)
    return runner.run(reset_key, actions).states


def place(env, x, y, vx=0.0, vy=0.0):
    """A state at (x, y) with velocity (vx, vy)."""
    state = env.reset(jax.random.PRNGKey(0))
    physics = jnp.array([x, y, vx, vy], jnp.float32)
    return state.replace(obs=physics, achieved_goal=physics[:2], physics=physics)


def push(step, state, action, steps=20):
    """Applies `action` `steps` times; -> positions [steps, 2], final state."""
    positions = []
    for _ in range(steps):
        state = step(state, jnp.asarray(action, jnp.float32))
        positions.append(np.asarray(state.achieved_goal))
    return np.array(positions), state


def test_substeps_shorter_than_the_thinnest_wall(env):
    max_displacement = env.dt / (1.0 - env.damping)
    assert max_displacement / env.num_substeps < 0.1  # the default wall is 0.1 thick


@pytest.mark.parametrize("side", [-1.0, 1.0])
def test_wall_blocks_full_force_and_full_speed(env, step, side):
    state = place(env, side * 0.3, -0.5, vx=-side * 2.0)  # top speed towards the wall
    positions, state = push(step, state, [-side, 0.0])
    assert np.all(side * positions[:, 0] >= 0.05)  # never inside or past the wall
    assert side * positions[-1, 0] < 0.05 + 0.07  # stops within one sub-step of it
    assert state.obs[2] == 0.0  # velocity into the wall is zeroed


def test_wall_blocks_just_below_the_gap(env, step):
    positions, _ = push(step, place(env, -0.3, 0.49), [1.0, 0.0])
    assert np.all(positions[:, 0] <= -0.05)


def test_diagonal_push_slides_along_the_wall(env, step):
    positions, _ = push(step, place(env, -0.2, -0.8), [1.0, 1.0], steps=30)
    assert np.all((positions[:, 0] <= -0.05) | (positions[:, 1] >= 0.5))
    assert positions[-1, 0] > 0.9 and positions[-1, 1] > 0.9  # slid up and through the gap


def test_gap_passes(env, step):
    positions, _ = push(step, place(env, -0.3, 0.75), [1.0, 0.0])
    assert positions[-1, 0] > 0.9


def test_room_boundary_blocks(env, step):
    positions, _ = push(step, place(env, -0.9, 0.0, vx=-2.0), [-1.0, -1.0])
    assert np.all(positions >= -1.0)
    assert positions[-1, 0] < -0.93 and positions[-1, 1] < -0.93  # pressed into the corner


def test_random_max_actions_never_enter_walls(env, runner):
    trajectory = run(runner, jax.random.PRNGKey(1), False)
    assert not np.any(np.asarray(env.blocked(trajectory.achieved_goal)))
    assert np.abs(np.asarray(trajectory.obs[..., 2:])).max() <= 2.0


def test_success_threshold_boundary(env):
    radius = 0.02 * math.sqrt(2.0) * (env.high - env.low)  # normalised threshold in room units
    goal = jnp.array([0.3, -0.4])
    direction = jnp.array([0.6, 0.8])
    inside = goal + radius * (1 - 1e-4) * direction
    outside = goal + radius * (1 + 1e-4) * direction
    assert env.compute_reward(inside, goal) == 1.0
    assert env.compute_reward(outside, goal) == 0.0
    rewards = env.compute_reward(jnp.stack([inside, outside, goal]), jnp.stack([goal] * 3))
    np.testing.assert_array_equal(rewards, [1.0, 0.0, 1.0])


def test_compute_reward_matches_step_reward(env, runner):
    trajectory = run(runner, jax.random.PRNGKey(2), True)
    recomputed = env.compute_reward(trajectory.achieved_goal, trajectory.desired_goal)
    np.testing.assert_array_equal(recomputed, trajectory.reward)
    # The wall-unaware controller reaches goals on its own side of the wall.
    same_side = np.sign(trajectory.obs[0, :, 0]) == np.sign(trajectory.desired_goal[0, :, 0])
    reached = np.asarray(trajectory.success.any(axis=0))
    assert reached[same_side].mean() > 0.9
    # Episodes end at the first success.
    first = np.argmax(np.asarray(trajectory.success), axis=0)
    assert np.all(np.asarray(trajectory.done)[first, np.arange(NUM_ENVS)][reached])


def test_resets_sample_new_free_goals(env):
    states = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.PRNGKey(3), 512))
    goals, starts = np.asarray(states.desired_goal), np.asarray(states.achieved_goal)
    assert len(np.unique(goals, axis=0)) == 512
    assert not np.any(np.asarray(env.blocked(states.desired_goal)))
    assert not np.any(np.asarray(env.blocked(states.achieved_goal)))
    assert not np.any(np.asarray(states.success | states.done))
    assert states.obs.shape[1:] == (env.obs_size,)
    assert states.desired_goal.shape[1:] == states.achieved_goal.shape[1:] == (env.goal_size,)
    assert np.all(states.obs[:, 2:] == 0.0)
    for points in (goals, starts):  # uniform over free space: both sides of the wall
        assert 0.4 < (points[:, 0] > 0).mean() < 0.6


def test_deterministic_for_a_fixed_key(runner):
    first = run(runner, jax.random.PRNGKey(4), False)
    second = run(runner, jax.random.PRNGKey(4), False)
    jax.tree.map(np.testing.assert_array_equal, first, second)


def test_no_retrace_across_episodes(runner):
    for seed in range(5, 9):
        run(runner, jax.random.PRNGKey(seed), seed % 2 == 0)
    assert runner.traces == 1
