"""The 2-D rasteriser: agent pixels where the state puts them, determinism, scene-only changes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import envs
from envs import raster
from envs.raster import Raster

SIZE = 24


def _pixels_of(image: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """[w, w] bool: where the image has exactly `colour`."""
    return np.all(image == np.asarray(colour, np.uint8), axis=-1)


def _state_at(env, achieved_goal, desired_goal):
    state = env.reset(jax.random.PRNGKey(0))
    return state.replace(
        achieved_goal=jnp.asarray(achieved_goal, jnp.float32),
        desired_goal=jnp.asarray(desired_goal, jnp.float32),
    )


def test_pointmass_agent_and_goal_pixels_where_the_state_puts_them():
    env = envs.make("pointmass")
    render = jax.jit(Raster.for_env(env, SIZE, show_goal=True).render)
    image = np.asarray(render(_state_at(env, [-0.5, 0.5], [0.5, -0.5])))
    assert image.shape == (SIZE, SIZE, 3) and image.dtype == np.uint8
    # (-0.5, 0.5) is the centre of the top-left quadrant: rows / cols 5..6 of 24.
    agent_rows, agent_cols = np.nonzero(_pixels_of(image, raster.AGENT))
    assert agent_rows.size > 0 and abs(agent_rows.mean() - 5.5) < 0.6
    assert abs(agent_cols.mean() - 5.5) < 0.6
    goal_rows, goal_cols = np.nonzero(_pixels_of(image, raster.GOAL))
    assert goal_rows.size > 0 and abs(goal_rows.mean() - 17.5) < 0.6
    assert abs(goal_cols.mean() - 17.5) < 0.6
    # The wall (x in (-0.05, 0.05), y < 0.5) is the two middle columns below the gap.
    wall = _pixels_of(image, raster.WALL)
    assert wall[SIZE - 1, 11] and wall[SIZE - 1, 12] and not wall[0, 11]


def test_fourrooms_agent_on_its_cell_and_walls_from_the_layout():
    env = envs.make("fourrooms")
    grid = 13  # 11 cells plus the outer wall on each side
    size = 2 * grid  # two pixels per cell
    render = jax.jit(Raster.for_env(env, size, show_goal=True).render)
    agent, goal = jnp.array([2, 7]), jnp.array([9, 0])
    image = np.asarray(render(_state_at(env, env.to_obs(agent), env.to_obs(goal))))
    agent_rows, agent_cols = np.nonzero(_pixels_of(image, raster.AGENT))
    assert set(agent_rows) == {6, 7} and set(agent_cols) == {16, 17}  # cell (2, 7) + border
    goal_rows, goal_cols = np.nonzero(_pixels_of(image, raster.GOAL))
    assert set(goal_rows) == {20, 21} and set(goal_cols) == {2, 3}
    wall = _pixels_of(image, raster.WALL)
    expected = np.pad(~np.asarray(env.free), 1, constant_values=True).repeat(2, 0).repeat(2, 1)
    drawn = expected & ~_pixels_of(image, raster.AGENT) & ~_pixels_of(image, raster.GOAL)
    assert np.array_equal(wall, drawn)


def test_goal_is_drawn_only_when_asked():
    env = envs.make("pointmass")
    state = _state_at(env, [-0.5, 0.5], [0.5, -0.5])
    image = np.asarray(Raster.for_env(env, SIZE).render(state))
    assert not _pixels_of(image, raster.GOAL).any()
    assert _pixels_of(image, raster.AGENT).any()


@pytest.mark.parametrize("name", ["pointmass", "fourrooms", "navigation"])
def test_deterministic_and_changes_exactly_when_the_scene_does(name):
    env = envs.make(name)
    render = jax.jit(jax.vmap(Raster.for_env(env, SIZE, show_goal=True).render))
    states = jax.vmap(env.reset)(jax.random.split(jax.random.PRNGKey(1), 16))
    first, again = np.asarray(render(states)), np.asarray(render(states))
    assert np.array_equal(first, again)
    # Only the observation and the episode bookkeeping change: the picture must not.
    bookkeeping = states.replace(t=states.t + 3, reward=states.reward + 1.0, obs=states.obs * 0.5)
    assert np.array_equal(np.asarray(render(bookkeeping)), first)
    # Every episode's agent moves to another episode's position: the pictures differ.
    moved = states.replace(achieved_goal=jnp.roll(states.achieved_goal, 1, axis=0))
    moved_images = np.asarray(render(moved))
    for i in range(16):
        differs = not np.array_equal(moved_images[i], first[i])
        same_place = np.array_equal(moved.achieved_goal[i], states.achieved_goal[i])
        assert differs != same_place


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="size"):
        Raster.for_env(envs.make("pointmass"), size=2)
    with pytest.raises(ValueError, match="env=BitFlip"):
        Raster.for_env(envs.make("bitflip"), size=SIZE)
