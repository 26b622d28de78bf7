"""Reference behaviour for checking the Fetch envs (tests, experiments/fetch_physics.py).

Scripted policies that solve each task from the observation alone (>= 0.96 of fresh goals on
push, slide and pick-and-place), and a replay of an MJX episode in MuJoCo's C simulator.

    action = SCRIPTS["fetch_push"](state.obs, state.desired_goal)        # [4], jittable
    qpos = replay_in_c(env, first_qpos, actions)                         # [T, nq], float64
    qpos = replay_episode_in_c(env, episode, i)      # the same for env i of an EpisodeRunner run
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from envs.core import EnvState
from envs.mjx.episode_runner import Episode
from envs.mjx.fetch import ACTION_SCALE, ENV_DT, FINGER_OPEN, FetchEnv

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


SCRIPTS = {
    "fetch_reach": scripted_reach,
    "fetch_push": scripted_push,
    "fetch_slide": scripted_slide,
    "fetch_pick_and_place": scripted_pick_and_place,
}


def runner_script(name: str) -> Callable[[FetchEnv, EnvState], jax.Array]:
    """SCRIPTS[name] as an EpisodeRunner script: (env, one env's state) -> action [4]."""
    script = SCRIPTS[name]
    return lambda env, state: script(state.obs, state.desired_goal)


# ------------------------------------------------------------------ the C simulator


def replay_in_c(
    env: FetchEnv,
    first_qpos: np.ndarray,
    actions: np.ndarray,
    resync: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """qpos [T, nq] of one episode replayed with mujoco.mj_step (float64) from `first_qpos`
    [nq] (at rest) under `actions` [T, 4], applying the env's control law (grip target =
    clip(q + 0.05 a) to the workspace, finger target = clip(q + a[3], 0, 0.05)).

    resync: MJX's (qpos [T, nq], qvel [T, nv]) after each step; every step then starts from
    MJX's state of the step before, so each row is one step's prediction (for contact-rich
    episodes, where open-loop replays drift apart).
    """
    model = env.mj_model
    data = mujoco.MjData(model)
    data.qpos[:] = first_qpos
    low, high = np.asarray(env.workspace_low), np.asarray(env.workspace_high)
    grip, fingers = env.grip_qpos, getattr(env, "finger_qpos", None)
    qpos = []
    for t, action in enumerate(np.asarray(actions, np.float64)):
        if resync is not None and t > 0:
            data.qpos[:] = resync[0][t - 1]
            data.qvel[:] = resync[1][t - 1]
        ctrl = np.clip(data.qpos[grip] + ACTION_SCALE * action[:3], low, high)
        if fingers is not None:
            ctrl = np.concatenate([ctrl, np.clip(data.qpos[fingers] + action[3], 0.0, FINGER_OPEN)])
        data.ctrl[:] = ctrl
        mujoco.mj_step(model, data, nstep=env.n_substeps)
        qpos.append(data.qpos.copy())
    return np.array(qpos)


def replay_episode_in_c(
    env: FetchEnv, episode: Episode, i: int, resync: bool = False
) -> np.ndarray:
    """replay_in_c for env i of an EpisodeRunner episode: qpos [T, nq]."""
    physics = episode.states.physics
    states = (physics.qpos[:, i], physics.qvel[:, i]) if resync else None
    return replay_in_c(env, episode.first.physics.qpos[i], episode.action[:, i], states)
