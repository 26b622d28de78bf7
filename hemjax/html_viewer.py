"""An interactive 3-D view of a greedy episode of an MJX task, as one HTML page.

    train_state = hem.load("runs/fetch_push")
    html_viewer.save_policy_html(train_state, "runs/fetch_push/policy.html")

The page is brax's viewer (three.js, fetched from a CDN when the page is opened): the model's
geoms through brax's MJCF loader, every body's world pose at every env step, and the goal as
a translucent red sphere. Drag to orbit, scroll to zoom; the page plays the episode in real
time and has a time slider.
"""

from __future__ import annotations

import json
import types
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
from mujoco import mjx

from envs import EnvState, GoalEnv
from envs.camera import Camera
from envs.image_obs import goal_vector, sim_physics
from hemjax.learners import Learner
from hemjax.video import greedy_episode_frames

if TYPE_CHECKING:
    from hemjax.train import TrainState

GOAL_RGBA = (1.0, 0.1, 0.1, 0.5)
GOAL_RADIUS = 0.02  # metres, as the camera's goal marker


def _check_mjx(env: GoalEnv) -> None:
    if not hasattr(env, "mj_model"):
        raise ValueError(
            f"env={type(env).__name__} is not allowed: an MJX task (reacher, sawyer_reach, "
            "fetch_reach, fetch_push, fetch_slide, fetch_pick_and_place)"
        )


def episode_poses(
    learner: Learner, params: Any, key: jax.Array
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """One greedy episode on a fresh goal: body positions [T + 1, nbody - 1, 3] and
    quaternions [T + 1, nbody - 1, 4] (world body left out, as brax's links), the goal's
    world point [3] and whether the goal was reached."""
    env = learner.env
    _check_mjx(env)

    def pose(state: EnvState) -> jax.Array:
        data = mjx.kinematics(env.model, sim_physics(state))
        return jnp.concatenate([data.xpos[1:], data.xquat[1:]], axis=-1)

    run = jax.jit(lambda p, k: greedy_episode_frames(learner, p, pose, k, num_episodes=1))
    poses, success = run(params, key)
    start = env.reset(jax.random.split(key, 1)[0])  # the episode's start, as in the rollout
    goal = Camera.for_env(env, size=2).goal_point(goal_vector(start))
    poses = np.asarray(poses[:, 0])
    return poses[..., :3], poses[..., 3:], np.asarray(goal), bool(np.asarray(success)[-1, 0])


def episode_html(
    env: GoalEnv,
    positions: np.ndarray,
    quaternions: np.ndarray,
    goal: np.ndarray,
    height: int = 480,
) -> str:
    """brax's viewer page for poses [T + 1, nbody - 1, 3 | 4] and a goal point [3]."""
    _check_mjx(env)
    from brax.base import Transform
    from brax.io import html, mjcf
    from brax.io import json as brax_json

    with warnings.catch_warnings():  # brax warns that its own pipelines are unmaintained
        warnings.simplefilter("ignore")
        system = mjcf.load_model(env.mj_model)
    states = [
        types.SimpleNamespace(x=Transform(pos=np.asarray(p), rot=np.asarray(q)))
        for p, q in zip(positions, quaternions, strict=True)
    ]
    page = json.loads(brax_json.dumps(system, states))
    page["opt"]["timestep"] = float(env.mj_model.opt.timestep * env.n_substeps)  # one env step
    marker = {
        "name": "Sphere",
        "link_idx": -1,
        "pos": [float(v) for v in goal],
        "rot": [1.0, 0.0, 0.0, 0.0],
        "rgba": list(GOAL_RGBA),
        "size": [GOAL_RADIUS, 0.0, 0.0],
    }
    page["geoms"].setdefault("world", []).append(marker)
    return html.render_from_json(json.dumps(page), height=height, colab=False, base_url=None)


def save_policy_html(
    train_state: TrainState, path: str | Path, seed: int = 0, seed_index: int = 0
) -> Path:
    """One greedy episode of one seed's policy (a TrainState) as an HTML page; -> path."""
    from hemjax.api import learner_for

    num_seeds = train_state.config.num_seeds
    if not 0 <= seed_index < num_seeds:
        raise ValueError(f"seed_index={seed_index} is not allowed: 0 <= seed_index < {num_seeds}")
    learner = learner_for(train_state)
    _check_mjx(learner.env)
    params = jax.tree.map(lambda x: x[seed_index], train_state.params)
    positions, quaternions, goal, _ = episode_poses(learner, params, jax.random.PRNGKey(seed))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(episode_html(learner.env, positions, quaternions, goal))
    return path
