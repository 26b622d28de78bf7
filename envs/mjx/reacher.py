"""Reacher (gym's 2-link planar arm; hEM appendix C.1) in MJX: put the fingertip on a 2-D goal."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mujoco
from mujoco import mjx

from envs.checks import check_integer
from envs.core import Box, EpisodeStart, GoalEnv, Transition
from envs.image_obs import GoalFn, ImageInputs, SceneFn, camera_renderers
from envs.mjx import sim

# Arena bounds used by the normalisation z(x) = (x - low) / (high - low): the square the
# fingertip can reach (links 0.1 + 0.11 m).
ARENA_LOW = -0.21
ARENA_HIGH = 0.21
# Success when ||z(fingertip_xy) - z(goal)|| <= 0.02 * sqrt(2), i.e. about 0.0119 m here.
NORMALISED_THRESHOLD = 0.02 * math.sqrt(2.0)
GOAL_RADIUS = 0.2  # gym samples targets in the disk of this radius


class Reacher(ImageInputs, GoalEnv):
    """Torque-controlled 2-link arm; goal = fingertip xy; T = 50, ends at the first success.

    action: [2] float32 motor commands in [-1, 1] (gear 200), held for `n_substeps` physics
        steps of 0.01 s (gym's frame skip 2: 0.02 s per env step).
    obs: [11] float32 = cos q (2), sin q (2), fingertip xy (2), qdot (2), fingertip velocity
        xy (2), elbow angle q1 in rad (1, bounded by the joint limit +-3). Gym's layout with the
        target-dependent entries (target xy, fingertip - target) replaced by goal-free ones,
        since the goal reaches the policy separately.
    goal: [2] fingertip xy, uniform over the reachable part of gym's target disk (radius 0.2).
    Start: q ~ U(-0.1, 0.1)^2, qdot ~ U(-0.005, 0.005)^2 (as gym).
    obs_type / goal_type "image" (envs.image_obs): uint8 [image_size, image_size, 3] from the
    top-down camera (envs.camera); a goal image shows the arm posed at the goal by inverse
    kinematics (elbow-positive).

    Departure from gym: joint damping 10 instead of 1 (reacher.xml). With gym's damping the
    arm coasts (velocity time constant 1 s, 50 env steps) and hEM stalled near 0.13 greedy
    success after 2M env steps; with 40 the arm is too slow for goals behind it (~0.78); with
    8-15 (time constant ~0.1 s, top speed ~20 rad/s at 10) it passes 0.95. Frame skip 2
    and the 0.01 s timestep are gym's (Euler here; gym uses RK4): one env step is 0.02 s,
    short enough to stop on the ~0.012 m success disk, long enough to reach any goal in T.
    """

    stochastic = False  # deterministic dynamics: no per-step key

    def __init__(
        self,
        max_steps: int = 50,
        n_substeps: int = 2,
        obs_type: str = "state",
        goal_type: str = "state",
        image_size: int = 48,
    ):
        self.obs_size = 11
        self.goal_size = 2
        self.action_space = Box(size=2, low=-1.0, high=1.0)
        self.max_steps = check_integer("max_steps", max_steps)
        self.n_substeps = check_integer("n_substeps", n_substeps)
        self.mj_model = sim.load_mj_model("reacher.xml")
        self.model = sim.put_model(self.mj_model)
        self.fingertip = mujoco.mj_name2id(self.mj_model, mujoco.mjtObj.mjOBJ_SITE, "fingertip")
        forearm = mujoco.mj_name2id(self.mj_model, mujoco.mjtObj.mjOBJ_BODY, "forearm")
        self.upper_length = float(self.mj_model.body_pos[forearm, 0])
        self.fore_length = float(self.mj_model.site_pos[self.fingertip, 0])
        elbow_limit = float(self.mj_model.jnt_range[1, 1])
        # Closest the fingertip gets to the shoulder (elbow at its limit): goals inside it are
        # out of reach, so they are not sampled.
        self.min_goal_radius = math.sqrt(
            self.upper_length**2
            + self.fore_length**2
            + 2 * self.upper_length * self.fore_length * math.cos(elbow_limit)
        )
        self.threshold = NORMALISED_THRESHOLD * (ARENA_HIGH - ARENA_LOW)
        self._setup_images(obs_type, goal_type, image_size)

    def _image_renderers(self, size: int) -> tuple[SceneFn, GoalFn]:
        return camera_renderers(self, size)

    def _observe(self, data: mjx.Data) -> tuple[jax.Array, jax.Array]:
        """(obs [11], fingertip xy [2]) of `data`, whose positions are up to date."""
        q, qdot = data.qpos, data.qvel
        tip = data.site_xpos[self.fingertip, :2]
        q01 = q[0] + q[1]
        tip_velocity = self.upper_length * qdot[0] * jnp.stack(
            [-jnp.sin(q[0]), jnp.cos(q[0])]
        ) + self.fore_length * (qdot[0] + qdot[1]) * jnp.stack([-jnp.sin(q01), jnp.cos(q01)])
        obs = jnp.concatenate([jnp.cos(q), jnp.sin(q), tip, qdot, tip_velocity, q[1:]])
        return obs.astype(jnp.float32), tip.astype(jnp.float32)

    def sample_goal(self, key: jax.Array) -> jax.Array:
        """[2] goal uniform (by area) in the annulus min_goal_radius <= r <= GOAL_RADIUS."""
        radius_key, angle_key = jax.random.split(key)
        r2 = jax.random.uniform(
            radius_key, (), jnp.float32, self.min_goal_radius**2, GOAL_RADIUS**2
        )
        angle = jax.random.uniform(angle_key, (), jnp.float32, -jnp.pi, jnp.pi)
        return jnp.sqrt(r2) * jnp.stack([jnp.cos(angle), jnp.sin(angle)])

    def init_episode(self, key: jax.Array) -> EpisodeStart:
        qpos_key, qvel_key, goal_key = jax.random.split(key, 3)
        qpos = jax.random.uniform(qpos_key, (2,), jnp.float32, -0.1, 0.1)
        qvel = jax.random.uniform(qvel_key, (2,), jnp.float32, -0.005, 0.005)
        data = sim.kinematics(self.model, sim.make_data(self.model).replace(qpos=qpos, qvel=qvel))
        obs, tip = self._observe(data)
        goal = self.sample_goal(goal_key)
        return EpisodeStart(obs=obs, achieved_goal=tip, desired_goal=goal, physics=data)

    def advance(self, data: mjx.Data, action: jax.Array, key: jax.Array) -> Transition:
        del key
        data = data.replace(ctrl=action.astype(data.ctrl.dtype))
        data = sim.step(self.model, data, self.n_substeps)
        obs, tip = self._observe(data)
        return Transition(obs=obs, achieved_goal=tip, physics=data)

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        scale = ARENA_HIGH - ARENA_LOW
        distance = jnp.linalg.norm((achieved_goal - desired_goal) / scale, axis=-1)
        return (distance <= NORMALISED_THRESHOLD).astype(jnp.float32)
