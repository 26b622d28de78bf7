"""Top-down 2-D rasteriser for the planar envs: point mass, four rooms and navigation.

Every pixel centre is mapped to a world point once, when the rasteriser is built; drawing a
state is then a few vectorised comparisons over that fixed grid, so `render` jits and vmaps and
costs far less than casting rays:

    raster = Raster.for_env(envs.make("pointmass"), size=48)
    image = raster.render(state)                      # uint8 [48, 48, 3]
    images = jax.vmap(raster.render)(states)          # uint8 [B, 48, 48, 3]

The agent is read from `state.achieved_goal` and the goal from `state.desired_goal` (both stay
low-dimensional whatever the observation is); the goal is drawn only with `show_goal=True`.
Image rows run from the top of the map (largest y, or row 0 of a grid) down.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from envs.core import EnvState, GoalEnv

FLOOR = (235, 235, 235)
WALL = (60, 60, 70)
AGENT = (40, 90, 220)
GOAL = (220, 50, 40)
MIN_SIZE = 4


def _check_size(size: int) -> None:
    if not isinstance(size, int) or size < MIN_SIZE:
        raise ValueError(f"size={size!r} is not allowed: an integer >= {MIN_SIZE}")


def _pixel_centres(size: int, low: float, high: float) -> np.ndarray:
    """World coordinate of every pixel column's centre in a size-wide view of [low, high]: [w].
    Rows use the same values reversed (row 0 is the top of the map, the largest y)."""
    return (low + (np.arange(size) + 0.5) * (high - low) / size).astype(np.float32)


def _paint(image: jax.Array, mask: jax.Array, colour: tuple[int, int, int]) -> jax.Array:
    """image uint8 [w, w, 3] with `colour` where mask [w, w] is True."""
    return jnp.where(mask[..., None], jnp.asarray(colour, jnp.uint8), image)


@dataclasses.dataclass(frozen=True, eq=False)  # hashed by identity: usable as a static arg
class Raster:
    """Draws a planar env's state as uint8 [size, size, 3] (see the module docstring).

    kind: "continuous" (walls are rectangles, agent and goal are disks) or "grid" (cells).
    columns / rows: per pixel column / row [w], the world x / y of its centre (continuous) or
        its grid column / row, -1 or n on the outer wall (grid, int32). Masks are outer
        products of a row test and a column test, so drawing costs O(w^2) cheap selects.
    background: uint8 [w, w, 3], the floor with the walls already drawn.
    radius: agent / goal disk radius in world units (continuous only).
    goal_dims: the entries of achieved / desired goal that are drawn (continuous only).
    show_goal: draw the goal under the agent.
    """

    kind: str
    columns: np.ndarray
    rows: np.ndarray
    background: np.ndarray
    radius: float = 0.0
    goal_dims: tuple[int, ...] = (0, 1)
    grid_size: int = 0
    show_goal: bool = False

    @classmethod
    def for_env(cls, env: GoalEnv, size: int = 48, show_goal: bool = False) -> Raster:
        """The rasteriser of a PointMass, FourRooms or Navigation env (first two coordinates)."""
        from envs.fourrooms import FourRooms
        from envs.navigation import Navigation
        from envs.pointmass import PointMass

        _check_size(size)
        if isinstance(env, PointMass):
            return cls._continuous(size, env.low, env.high, np.asarray(env.walls), show_goal)
        if isinstance(env, Navigation):
            return cls._continuous(size, -1.0, 1.0, np.zeros((0, 4), np.float32), show_goal)
        if isinstance(env, FourRooms):
            return cls._grid(size, np.asarray(env.free), show_goal)
        raise ValueError(
            f"env={type(env).__name__} is not allowed: PointMass, FourRooms or Navigation"
        )

    @classmethod
    def _continuous(
        cls, size: int, low: float, high: float, walls: np.ndarray, show_goal: bool
    ) -> Raster:
        columns = _pixel_centres(size, low, high)
        rows = columns[::-1].copy()
        x, y = columns[None, :, None], rows[:, None, None]
        x_lo, y_lo, x_hi, y_hi = walls.reshape(-1, 4).T
        in_wall = np.any((x > x_lo) & (x < x_hi) & (y > y_lo) & (y < y_hi), axis=-1)
        background = np.where(in_wall[..., None], WALL, FLOOR).astype(np.uint8)
        # A disk of at least 1.5 pixels' radius, so the agent stays visible at small sizes.
        radius = max(0.04 * (high - low), 1.5 * (high - low) / size)
        return cls(
            kind="continuous",
            columns=columns,
            rows=rows,
            background=background,
            radius=radius,
            show_goal=show_goal,
        )

    @classmethod
    def _grid(cls, size: int, free: np.ndarray, show_goal: bool) -> Raster:
        """An outer wall one cell thick around the grid `free` [n, n] bool."""
        n = free.shape[0] + 2
        cell = np.minimum(np.arange(size) * n // size, n - 1)
        bordered = np.pad(free, 1, constant_values=False)
        background = np.where(bordered[np.ix_(cell, cell)][..., None], FLOOR, WALL)
        grid = (cell - 1).astype(np.int32)  # grid coordinates; -1 and n - 2 are the outer wall
        return cls(
            kind="grid",
            columns=grid,
            rows=grid,
            background=background.astype(np.uint8),
            grid_size=free.shape[0],
            show_goal=show_goal,
        )

    def _mask(self, goal: jax.Array) -> jax.Array:
        """Pixels [w, w] bool covered by the agent / goal drawn at `goal` (an env goal vector)."""
        if self.kind == "grid":
            cell = jnp.argmax(goal.reshape(2, self.grid_size), axis=-1)  # one-hot row ++ col
            in_row = jnp.asarray(self.rows) == cell[0]
            in_column = jnp.asarray(self.columns) == cell[1]
            return in_row[:, None] & in_column[None, :]
        x, y = goal[self.goal_dims[0]], goal[self.goal_dims[1]]
        dy2, dx2 = (jnp.asarray(self.rows) - y) ** 2, (jnp.asarray(self.columns) - x) ** 2
        return dy2[:, None] + dx2[None, :] <= self.radius**2

    def draw(self, agent: jax.Array, goal: jax.Array | None = None) -> jax.Array:
        """uint8 [w, w, 3]: the agent at goal vector `agent` [G], over the goal at `goal` [G]
        when given (what an env with image observations or image goals draws)."""
        image = jnp.asarray(self.background)
        if goal is not None:
            image = _paint(image, self._mask(goal), GOAL)
        return _paint(image, self._mask(agent), AGENT)

    def render(self, state: EnvState) -> jax.Array:
        """uint8 [w, w, 3] image of one env state (vmap for a batch)."""
        from envs.image_obs import goal_vector

        return self.draw(state.achieved_goal, goal_vector(state) if self.show_goal else None)
