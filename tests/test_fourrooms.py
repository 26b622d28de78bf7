"""FourRooms: layout, walls and doors, slip rate, resets, rewards, determinism, no retraces."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs.fourrooms import CORNERS, LAYOUT, SIZE, FourRooms

NUM_ENVS = 128
UP, DOWN, LEFT, RIGHT = range(4)


@pytest.fixture(scope="module")
def env():
    return FourRooms()


@pytest.fixture(scope="module")
def exact_step():
    """Step of an env without slip."""
    return jax.jit(FourRooms(slip=0.0).step)


@pytest.fixture(scope="module")
def runner(episode_runner):
    """The session's jitted fourrooms runner at NUM_ENVS episodes (tests/conftest.py)."""
    return episode_runner("fourrooms", NUM_ENVS)


def random_episode(runner, key):
    """States [T, N] under uniform random actions; `key` draws the resets and the actions."""
    reset_key, action_key = jax.random.split(key)
    return runner.run(reset_key, runner.random_actions(action_key)).states


def components(free):
    """Number of 4-connected components of the True cells of a bool grid."""
    seen, count = np.zeros_like(free), 0
    for start in zip(*np.nonzero(free), strict=True):
        if seen[start]:
            continue
        count += 1
        stack = [start]
        seen[start] = True
        while stack:
            r, c = stack.pop()
            for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                n = (r + dr, c + dc)
                if 0 <= n[0] < SIZE and 0 <= n[1] < SIZE and free[n] and not seen[n]:
                    seen[n] = True
                    stack.append(n)
    return count


def walk(env, step, cell, actions):
    """Cells visited from `cell` under `actions`."""
    state = env.reset(jax.random.PRNGKey(0))
    state = state.replace(physics=jnp.array(cell, jnp.int32))
    cells = []
    for action in actions:
        state = step(state, jnp.int32(action))
        r, c = (int(v) for v in state.physics)
        cells.append((r, c))
        np.testing.assert_array_equal(np.nonzero(np.asarray(state.obs))[0], [r, SIZE + c])
    return cells


def test_layout_is_four_rooms_with_four_doors(env):
    free = np.array(env.free)
    assert free.shape == (11, 11) and free.sum() == 104
    assert all(free[tuple(corner)] for corner in CORNERS)
    assert components(free) == 1
    doors = [(2, 5), (9, 5), (5, 1), (6, 8)]
    assert all(LAYOUT[r][c] == "." for r, c in doors)
    closed = free.copy()
    for door in doors:
        closed[door] = False
    assert components(closed) == 4


def test_walls_and_grid_edges_block(env, exact_step):
    assert walk(env, exact_step, (0, 4), [RIGHT, RIGHT]) == [(0, 4), (0, 4)]
    assert walk(env, exact_step, (0, 0), [UP, LEFT]) == [(0, 0), (0, 0)]
    assert walk(env, exact_step, (10, 10), [DOWN, RIGHT]) == [(10, 10), (10, 10)]
    assert walk(env, exact_step, (4, 3), [DOWN]) == [(4, 3)]  # horizontal wall of the left rooms


def test_doors_pass(env, exact_step):
    assert walk(env, exact_step, (2, 4), [RIGHT, RIGHT]) == [(2, 5), (2, 6)]
    assert walk(env, exact_step, (4, 1), [DOWN, DOWN]) == [(5, 1), (6, 1)]
    assert walk(env, exact_step, (7, 8), [UP, UP]) == [(6, 8), (5, 8)]
    assert walk(env, exact_step, (9, 6), [LEFT, LEFT]) == [(9, 5), (9, 4)]


def test_slip_rate(env):
    """From an open cell, UP moves up with p = 0.8 + 0.2/4 and each other way with 0.2/4."""
    n = 40_000
    keys = jax.random.split(jax.random.PRNGKey(1), n)
    cell = jnp.array([2, 2], jnp.int32)
    move = jax.jit(jax.vmap(lambda key: env.advance(cell, jnp.int32(UP), key).physics - cell))
    moves = np.asarray(move(keys))
    rates = [np.mean(np.all(moves == m, axis=1)) for m in ([-1, 0], [1, 0], [0, -1], [0, 1])]
    np.testing.assert_allclose(sum(rates), 1.0)
    tolerance = [4 * np.sqrt(p * (1 - p) / n) for p in (0.85, 0.05, 0.05, 0.05)]
    np.testing.assert_allclose(rates, [0.85, 0.05, 0.05, 0.05], atol=max(tolerance))


def test_success_is_same_cell(env):
    cells = jnp.asarray(np.argwhere(np.array(env.free)))
    np.testing.assert_array_equal(env.to_cell(env.to_obs(cells)), cells)
    rewards = env.compute_reward(env.to_obs(cells)[:, None], env.to_obs(cells)[None])
    np.testing.assert_array_equal(rewards, np.eye(len(cells)))


def test_compute_reward_matches_step_reward(env, runner):
    trajectory = random_episode(runner, jax.random.PRNGKey(2))
    recomputed = env.compute_reward(trajectory.achieved_goal, trajectory.desired_goal)
    np.testing.assert_array_equal(recomputed, trajectory.reward)
    assert 0 < trajectory.reward.sum() < trajectory.reward.size  # both outcomes occur
    np.testing.assert_array_equal(trajectory.success, trajectory.reward > 0)


def test_resets_sample_new_goals_in_free_cells_not_at_the_start(env):
    states = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.PRNGKey(3), 8192))
    starts = np.asarray(env.to_cell(states.achieved_goal))
    goals = np.asarray(env.to_cell(states.desired_goal))
    np.testing.assert_array_equal(starts, np.asarray(states.physics))
    assert np.all(np.array(env.free)[goals[:, 0], goals[:, 1]])
    assert not np.any(np.all(goals == starts, axis=1))
    assert not np.any(np.asarray(states.done))
    assert states.obs.shape[1:] == (env.obs_size,)
    assert states.desired_goal.shape[1:] == states.achieved_goal.shape[1:] == (env.goal_size,)
    corner_counts = [np.all(starts == c, axis=1).sum() for c in CORNERS]
    assert sum(corner_counts) == 8192 and min(corner_counts) > 1800  # ~2048 each
    _, goal_counts = np.unique(goals, axis=0, return_counts=True)
    assert len(goal_counts) == 104 and goal_counts.min() > 40  # ~79 per cell


def test_deterministic_for_a_fixed_key(runner):
    first = random_episode(runner, jax.random.PRNGKey(4))
    second = random_episode(runner, jax.random.PRNGKey(4))
    jax.tree.map(np.testing.assert_array_equal, first, second)


def test_no_retrace_across_episodes(runner):
    for seed in range(5, 9):
        random_episode(runner, jax.random.PRNGKey(seed))
    assert runner.traces == 1
