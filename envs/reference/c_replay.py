"""Replays of MJX episodes in MuJoCo's C simulator (float64), for checking the MJX envs.

Each env's control law (how an action sets ctrl or the mocap target) is written here again in
numpy, independently of the env's JAX code:

    rows = replay_episode_in_c(env, episode, i)               # qpos [T, nq] for env i
    rows = replay_episode_in_c(env, episode, i, read=reader)  # reader(data) per step instead
"""

from __future__ import annotations

from collections.abc import Callable

import mujoco
import numpy as np

from envs.core import GoalEnv
from envs.mjx.fetch import ACTION_SCALE, FINGER_OPEN, FetchEnv
from envs.mjx.reacher import Reacher
from envs.mjx.sawyer import HAND_HIGH, HAND_LOW, SawyerReach
from envs.reference.episode_runner import Episode, Kinematics

Reader = Callable[[mujoco.MjData], np.ndarray]


def fetch_control(env: FetchEnv, data: mujoco.MjData, action: np.ndarray) -> None:
    """Grip target = clip(q + 0.05 a[:3]) to the workspace; finger target = clip(q + a[3], 0,
    0.05) for tasks with fingers."""
    low, high = np.asarray(env.workspace_low), np.asarray(env.workspace_high)
    ctrl = np.clip(data.qpos[env.grip_qpos] + ACTION_SCALE * action[:3], low, high)
    if env.task.has_fingers:
        fingers = np.clip(data.qpos[env.finger_qpos] + action[3], 0.0, FINGER_OPEN)
        ctrl = np.concatenate([ctrl, fingers])
    data.ctrl[:] = ctrl


def reacher_control(env: Reacher, data: mujoco.MjData, action: np.ndarray) -> None:
    """The action is the motor command."""
    del env
    data.ctrl[:] = action


def sawyer_control(env: SawyerReach, data: mujoco.MjData, action: np.ndarray) -> None:
    """The mocap target moves by action_scale * action, clipped to the hand space."""
    target = data.mocap_pos[0] + env.action_scale * action
    data.mocap_pos[0] = np.clip(target, HAND_LOW, HAND_HIGH)


CONTROLS: dict[type, Callable[[GoalEnv, mujoco.MjData, np.ndarray], None]] = {
    FetchEnv: fetch_control,
    Reacher: reacher_control,
    SawyerReach: sawyer_control,
}


def read_qpos(data: mujoco.MjData) -> np.ndarray:
    """[nq] joint positions."""
    return data.qpos.copy()


def replay_in_c(
    env: GoalEnv,
    first: Kinematics,
    actions: np.ndarray,
    read: Reader = read_qpos,
    resync: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """read(data) [T, ...] after each step of one episode replayed with mujoco.mj_step from
    `first` (one env's qpos, qvel, mocap_pos) under `actions` [T, A], applying the env's
    control law; positions are refreshed (mj_kinematics) before each read, as MJX does.

    resync: MJX's (qpos [T, nq], qvel [T, nv]) after each step; every step then starts from
    MJX's state of the step before, so each row is one step's prediction (for contact-rich
    episodes, where open-loop replays drift apart).
    """
    control = next(law for cls, law in CONTROLS.items() if isinstance(env, cls))
    model = env.mj_model
    data = mujoco.MjData(model)
    data.qpos[:], data.qvel[:] = first.qpos, first.qvel
    data.mocap_pos[:] = first.mocap_pos
    rows = []
    for t, action in enumerate(np.asarray(actions, np.float64)):
        if resync is not None and t > 0:
            data.qpos[:], data.qvel[:] = resync[0][t - 1], resync[1][t - 1]
        control(env, data, action)
        mujoco.mj_step(model, data, nstep=env.n_substeps)
        mujoco.mj_kinematics(model, data)
        rows.append(read(data))
    return np.array(rows)


def replay_episode_in_c(
    env: GoalEnv, episode: Episode, i: int, read: Reader = read_qpos, resync: bool = False
) -> np.ndarray:
    """replay_in_c for env i of an EpisodeRunner episode."""
    physics = episode.states.physics
    states = (physics.qpos[:, i], physics.qvel[:, i]) if resync else None
    first = Kinematics(*(leaf[i] for leaf in episode.first.physics))
    return replay_in_c(env, first, episode.action[:, i], read, states)
