"""Point mass (hEM appendix C.1): steer a damped 2-D point mass around a wall to a goal point.

Room [-1, 1]^2 split by a vertical wall with a gap at the top. Collisions use sub-steps: each
step's displacement is split into `num_substeps` pieces, each shorter than the thinnest wall, and
every piece moves x then y; a piece that would leave the room or enter a wall is cancelled on
that axis and the velocity on that axis is zeroed (the mass slides along walls). A piece shorter
than a wall's thickness cannot jump over it, so no action can pass through a wall.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from envs.checks import check_integer, check_positive, check_real, is_real, reject
from envs.core import Box, EpisodeStart, GoalEnv, Transition
from envs.image_obs import GoalFn, ImageInputs, SceneFn

# Open rectangles (x_lo, y_lo, x_hi, y_hi); the wall runs past the room's bottom edge so no
# point on that edge can slip under it. Gap: y in [0.5, 1].
DEFAULT_WALLS = ((-0.05, -1.5, 0.05, 0.5),)
NUM_CANDIDATES = 32  # rejection-sampling draws for a free point (all in walls: ~1e-47 here)


def check_walls(walls: object) -> None:
    """ValueError unless `walls` is a sequence of (x_lo, y_lo, x_hi, y_hi) finite rectangles
    with x_lo < x_hi and y_lo < y_hi."""
    for wall in walls if isinstance(walls, (tuple, list)) else [None]:
        ok = isinstance(wall, (tuple, list)) and len(wall) == 4 and all(map(is_real, wall))
        if not (ok and wall[0] < wall[2] and wall[1] < wall[3]):
            raise reject(
                "walls", walls, "rectangles (x_lo, y_lo, x_hi, y_hi) of finite numbers, lo < hi"
            )


class PointMass(ImageInputs, GoalEnv):
    """Obs (x, y, vx, vy) float32 [4]; goal and achieved goal (x, y) float32 [2].

    obs_type / goal_type "image" (envs.image_obs): the top-down map from envs.raster, uint8
    [image_size, image_size, 3], with the mass drawn at its position (an image observation
    shows no velocity) or, for the goal image, at the goal.

    Action: a force in [-1, 1]^2 (clipped). Dynamics per step of dt = 0.1:
    v' = damping * v + action (|v| <= 1 / (1 - damping) = 2), x' = x + dt * v' with collisions,
    so the mass moves at most 0.2 per axis per step and crosses the room in ~10 steps.
    Success: ||z(x, y) - z(g)|| <= threshold with z(x) = (x - low) / (high - low); T = 50.
    Starts and goals are uniform over free space; the goal is never already reached at reset.
    """

    goal_poses_scene = True  # the goal is the whole pose: goal images are observations

    stochastic = False

    def __init__(
        self,
        max_steps: int = 50,
        threshold: float = 0.02 * math.sqrt(2.0),
        damping: float = 0.5,
        dt: float = 0.1,
        walls: tuple[tuple[float, float, float, float], ...] = DEFAULT_WALLS,
        obs_type: str = "state",
        goal_type: str = "state",
        image_size: int = 48,
    ):
        self.low, self.high = -1.0, 1.0
        self.threshold = check_positive("threshold", threshold)
        self.damping = damping = check_real("damping", damping, low=0.0, high=1.0, high_open=True)
        self.dt = dt = check_positive("dt", dt)
        check_walls(walls)
        self.walls = jnp.asarray(walls, jnp.float32).reshape(-1, 4)
        thinnest = min([min(x_hi - x_lo, y_hi - y_lo) for x_lo, y_lo, x_hi, y_hi in walls] or [1.0])
        max_displacement = dt / (1.0 - damping)  # per axis, at the top speed
        self.num_substeps = math.floor(max_displacement / thinnest) + 1
        self.obs_size = 4
        self.goal_size = 2
        self.action_space = Box(size=2, low=-1.0, high=1.0)
        self.max_steps = check_integer("max_steps", max_steps)
        self._setup_images(obs_type, goal_type, image_size)

    def _image_renderers(self, size: int) -> tuple[SceneFn, GoalFn]:
        from envs.raster import Raster

        raster = Raster.for_env(self, size=size)
        return (lambda physics, achieved: raster.draw(achieved)), (
            lambda goal, physics: raster.draw(goal)
        )

    def blocked(self, xy: jax.Array) -> jax.Array:
        """True where a point [..., 2] lies outside the room or inside a wall; -> [...] bool."""
        x, y = xy[..., 0:1], xy[..., 1:2]
        x_lo, y_lo, x_hi, y_hi = self.walls.T
        in_wall = jnp.any((x > x_lo) & (x < x_hi) & (y > y_lo) & (y < y_hi), axis=-1)
        outside = jnp.any((xy < self.low) | (xy > self.high), axis=-1)
        return in_wall | outside

    def _sample_free(self, key: jax.Array, avoid: jax.Array | None = None) -> jax.Array:
        """A uniform free point [2]; if `avoid` [2] is given, one that does not reach it."""
        points = jax.random.uniform(key, (NUM_CANDIDATES, 2), jnp.float32, self.low, self.high)
        valid = ~self.blocked(points)
        if avoid is not None:
            valid &= self.compute_reward(points, avoid) == 0
        return points[jnp.argmax(valid)]

    def init_episode(self, key: jax.Array) -> EpisodeStart:
        start_key, goal_key = jax.random.split(key)
        start = self._sample_free(start_key)
        goal = self._sample_free(goal_key, start)
        obs = jnp.concatenate([start, jnp.zeros((2,), jnp.float32)])
        return EpisodeStart(obs=obs, achieved_goal=start, desired_goal=goal, physics=obs)

    def advance(self, state: jax.Array, action: jax.Array, key: jax.Array) -> Transition:
        del key
        velocity = self.damping * state[2:] + action
        piece = self.dt * velocity / self.num_substeps

        def substep(
            _: jax.Array, carry: tuple[jax.Array, jax.Array]
        ) -> tuple[jax.Array, jax.Array]:
            position, moving = carry
            for axis in range(2):
                trial = position.at[axis].add(piece[axis] * moving[axis])
                hit = self.blocked(trial)
                position = jnp.where(hit, position, trial)
                moving = moving.at[axis].set(jnp.where(hit, 0.0, moving[axis]))
            return position, moving

        position, moving = jax.lax.fori_loop(
            0, self.num_substeps, substep, (state[:2], jnp.ones((2,), jnp.float32))
        )
        state = jnp.concatenate([position, velocity * moving])
        return Transition(obs=state, achieved_goal=position, physics=state)

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        scale = self.high - self.low
        distance = jnp.linalg.norm((achieved_goal - desired_goal) / scale, axis=-1)
        return (distance <= self.threshold).astype(jnp.float32)
