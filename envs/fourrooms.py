"""Four rooms (Sutton et al. 1999; the hindsight policy gradient benchmark): a slippery gridworld.

The 11x11 area inside the outer wall is split into four rooms joined by four one-cell doors
(`LAYOUT`: rows top to bottom, '#' wall, '.' free; 104 free cells).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from envs.checks import check_integer, check_real
from envs.core import Discrete, EpisodeStart, GoalEnv, Transition

LAYOUT = (
    ".....#.....",
    ".....#.....",
    "...........",
    ".....#.....",
    ".....#.....",
    "#.####.....",
    ".....###.##",
    ".....#.....",
    ".....#.....",
    "...........",
    ".....#.....",
)
SIZE = len(LAYOUT)
# Moves of the actions 0..3: up, down, left, right (row, col).
MOVES = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], np.int32)
CORNERS = np.array([[0, 0], [0, SIZE - 1], [SIZE - 1, 0], [SIZE - 1, SIZE - 1]], np.int32)


class FourRooms(GoalEnv):
    """Obs and goals: the agent's / goal's cell as float32 [22], one-hot row ++ one-hot column.

    One-hot rows and columns (not normalised coordinates) let the MLP carve the wall structure
    out of per-row / per-column features: with the default trainer, normalised (row, col) in
    [0, 1] plateaued at ~0.5 greedy success where one-hot reached 0.87 at the same budget. The
    reward compares decoded cells. Action: int32 in [0, 4) (up, down, left, right); with
    probability `slip` the action is replaced by a uniformly random one (possibly the same).
    Moves into walls or out of the grid leave the agent in place. Starts in a corner, goal
    uniform over the other free cells; success when the agent is on the goal cell; T = 32.
    """

    def __init__(self, max_steps: int = 32, slip: float = 0.2):
        self.slip = slip = check_real("slip", slip, low=0.0, high=1.0)
        self.stochastic = slip > 0
        self.free = jnp.asarray(np.array([[c == "." for c in row] for row in LAYOUT]))
        self.free_cells = jnp.asarray(np.argwhere(np.array(self.free)).astype(np.int32))
        self.obs_size = 2 * SIZE
        self.goal_size = 2 * SIZE
        self.action_space = Discrete(num_actions=4)
        self.max_steps = check_integer("max_steps", max_steps)

    def to_obs(self, cell: jax.Array) -> jax.Array:
        """Cell [..., 2] int32 -> one-hot row ++ one-hot column [..., 2 * SIZE] float32."""
        return jax.nn.one_hot(cell, SIZE, dtype=jnp.float32).reshape(*cell.shape[:-1], 2 * SIZE)

    def to_cell(self, obs: jax.Array) -> jax.Array:
        """One-hot row ++ one-hot column [..., 2 * SIZE] -> cell [..., 2] int32."""
        halves = obs.reshape(*obs.shape[:-1], 2, SIZE)
        return jnp.argmax(halves, axis=-1).astype(jnp.int32)

    def init_episode(self, key: jax.Array) -> EpisodeStart:
        corner_key, goal_key = jax.random.split(key)
        start = jnp.asarray(CORNERS)[jax.random.randint(corner_key, (), 0, 4)]
        num_free = self.free_cells.shape[0]
        start_index = jnp.argmax(jnp.all(self.free_cells == start, axis=-1))
        goal_index = jax.random.randint(goal_key, (), 0, num_free - 1)
        goal_index = goal_index + (goal_index >= start_index)  # skip the start cell
        goal = self.free_cells[goal_index]
        obs, goal_obs = self.to_obs(start), self.to_obs(goal)
        return EpisodeStart(obs=obs, achieved_goal=obs, desired_goal=goal_obs, physics=start)

    def advance(self, cell: jax.Array, action: jax.Array, key: jax.Array) -> Transition:
        slip_key, random_key = jax.random.split(key)
        slipped = jax.random.bernoulli(slip_key, self.slip)
        action = jnp.where(slipped, jax.random.randint(random_key, (), 0, 4), action)
        target = cell + jnp.asarray(MOVES)[action]
        inside = jnp.all((target >= 0) & (target < SIZE))
        clipped = jnp.clip(target, 0, SIZE - 1)
        cell = jnp.where(inside & self.free[clipped[0], clipped[1]], target, cell)
        obs = self.to_obs(cell)
        return Transition(obs=obs, achieved_goal=obs, physics=cell)

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        same = self.to_cell(achieved_goal) == self.to_cell(desired_goal)
        return jnp.all(same, axis=-1).astype(jnp.float32)
