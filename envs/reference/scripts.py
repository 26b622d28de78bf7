"""Scripted policies that solve the tasks (MJX envs and the point mass), for checking the
envs (tests, experiments/fetch_physics.py).

The Fetch and point-mass policies act from the observation alone; the Reacher and Sawyer
ones read the physics. Each is an EpisodeRunner script, (env, one env's state) -> action:

    action = FETCH_SCRIPTS["fetch_push"](state.obs, state.desired_goal)     # [4], jittable
    runner = EpisodeRunner("fetch_push", 8, RUNNER_SCRIPTS["fetch_push"])
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from envs.core import EnvState, GoalEnv
from envs.mjx.fetch import ACTION_SCALE, ENV_DT
from envs.mjx.reacher import Reacher
from envs.mjx.sawyer import SawyerReach
from envs.pointmass import PointMass

HOVER_Z = 0.49  # grip height whose fingertips clear an object on the table (top at 0.45)
TABLE_Z = 0.42  # lowest grip height (fingertips just above the table)
GRAVITY = 9.81


# ------------------------------------------------------------------ scripted policies
# Stateless: each maps (obs, goal [3]) to an action [4] from the observation alone.


def _toward(grip: jax.Array, target: jax.Array) -> jax.Array:
    """[3] action moving the grip point to `target` (full speed when further than 5 cm)."""
    return jnp.clip((target - grip) / ACTION_SCALE, -1.0, 1.0)


def _approach(grip: jax.Array, spot: jax.Array) -> jax.Array:
    """[3] action bringing the gripper down onto the table at `spot` [2] from above:
    rise where it stands, fly over at HOVER_Z, descend once above `spot`."""
    above = jnp.linalg.norm(grip[:2] - spot) < 0.01
    low = grip[2] < 0.44
    target = jnp.where(
        above,
        jnp.append(spot, TABLE_Z),
        jnp.where(low, jnp.append(grip[:2], HOVER_Z), jnp.append(spot, HOVER_Z)),
    )
    return _toward(grip, target)


def _push_line(obs: jax.Array, goal: jax.Array, standoff: float):
    """Geometry of the line from the object to the goal, in the table plane.

    -> (unit direction d [2], distance to goal, grip offset along d, grip offset across d [2],
    the spot `standoff` behind the object [2]).
    """
    grip, obj = obs[:3], obs[3:6]
    to_goal = goal[:2] - obj[:2]
    distance = jnp.linalg.norm(to_goal)
    d = to_goal / jnp.maximum(distance, 1e-6)
    offset = grip[:2] - obj[:2]
    along = offset @ d
    return d, distance, along, offset - along * d, obj[:2] - standoff * d


def scripted_push(obs: jax.Array, goal: jax.Array) -> jax.Array:
    """Get behind the object (seen from the goal), lower, push it to the goal."""
    d, _, along, across, behind = _push_line(obs, goal, standoff=0.06)
    grip = obs[:3]
    pushing = (grip[2] < 0.44) & (along < -0.02) & (jnp.linalg.norm(across) < 0.02)
    # Aim the grip point where it is when the object sits on the goal; re-centre sideways.
    push = _toward(grip, jnp.append(goal[:2] - 0.04 * d - across, TABLE_Z))
    return jnp.append(jnp.where(pushing, push, _approach(grip, behind)), 0.0)


def scripted_slide(obs: jax.Array, goal: jax.Array, friction: float = 0.1) -> jax.Array:
    """Get behind the puck, lower, and escort it towards the goal at the speed from which it
    slides exactly the remaining distance, sqrt(2 mu g D); the workspace edge then stops the
    gripper and the puck slides on alone."""
    d, distance, along, across, behind = _push_line(obs, goal, standoff=0.06)
    grip = obs[:3]
    escorting = (grip[2] < 0.44) & (along < -0.02) & (jnp.linalg.norm(across) < 0.015)
    speed = jnp.sqrt(2.0 * friction * GRAVITY * distance)
    escort = jnp.clip(jnp.append(speed * ENV_DT * d - across, 0.0) / ACTION_SCALE, -1.0, 1.0)
    return jnp.append(jnp.where(escorting, escort, _approach(grip, behind)), 0.0)


def scripted_pick_and_place(obs: jax.Array, goal: jax.Array) -> jax.Array:
    """Open, move above the object, descend, close (standing still), then carry it to the goal."""
    grip, obj, fingers = obs[:3], obs[3:6], obs[9:11]
    offset = obj - grip
    centred = jnp.linalg.norm(offset[:2])
    in_hand = (centred < 0.02) & (jnp.abs(offset[2]) < 0.02)
    ready = (centred < 0.01) & (jnp.abs(offset[2]) < 0.005)
    closing = in_hand & (ready | (jnp.max(fingers) < 0.04))
    holding = in_hand & (jnp.max(fingers) < 0.026)  # closed onto the 5 cm box (q ~ 0.024)
    target = jnp.where(
        holding,
        goal,
        jnp.where(closing, grip, jnp.where(centred < 0.01, obj, obj + jnp.array([0, 0, 0.08]))),
    )
    return jnp.append(_toward(grip, target), jnp.where(closing, -1.0, 1.0))


def scripted_reach(obs: jax.Array, goal: jax.Array) -> jax.Array:
    """Straight at the goal."""
    return jnp.append(_toward(obs[:3], goal), 0.0)


FETCH_SCRIPTS = {
    "fetch_reach": scripted_reach,
    "fetch_push": scripted_push,
    "fetch_slide": scripted_slide,
    "fetch_pick_and_place": scripted_pick_and_place,
}


# ------------------------------------------------------------------ the other envs


def reacher_inverse_kinematics(env: Reacher, goal: jax.Array) -> jax.Array:
    """[2] joint angles (elbow >= 0) that put the fingertip on `goal` [2]."""
    a, b = env.upper_length, env.fore_length
    cos_elbow = (jnp.sum(goal**2) - a**2 - b**2) / (2 * a * b)
    elbow = jnp.arccos(jnp.clip(cos_elbow, -1.0, 1.0))
    shoulder = jnp.arctan2(goal[1], goal[0]) - jnp.arctan2(
        b * jnp.sin(elbow), a + b * jnp.cos(elbow)
    )
    return jnp.stack([shoulder, elbow])


def reacher_servo(env: Reacher, state: EnvState) -> jax.Array:
    """[2] joint-space PD torques towards the inverse kinematics of the goal."""
    error = reacher_inverse_kinematics(env, state.desired_goal) - state.physics.qpos
    error = (error + jnp.pi) % (2 * jnp.pi) - jnp.pi
    return 2.0 * error - 0.2 * state.physics.qvel


def sawyer_steer(env: SawyerReach, state: EnvState) -> jax.Array:
    """[3] full-speed action moving the mocap hand straight at the goal."""
    return (state.desired_goal - state.physics.mocap_pos[0]) / env.action_scale


def pointmass_seek(env: PointMass, state: EnvState) -> jax.Array:
    """[2] force of a braking proportional controller, v' ~ 5 (goal - x), unaware of the wall."""
    del env
    return 5.0 * (state.desired_goal - state.obs[:2]) - 0.5 * state.obs[2:]


def _from_observation(script: Callable[[jax.Array, jax.Array], jax.Array]) -> Callable:
    return lambda env, state: script(state.obs, state.desired_goal)


RUNNER_SCRIPTS: dict[str, Callable[[GoalEnv, EnvState], jax.Array]] = {
    "pointmass": pointmass_seek,
    "reacher": reacher_servo,
    "sawyer_reach": sawyer_steer,
    **{name: _from_observation(script) for name, script in FETCH_SCRIPTS.items()},
}
