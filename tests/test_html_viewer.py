"""The interactive HTML view of an MJX episode: brax's viewer page holding the model's geoms,
every body's pose at every env step of the greedy episode, and the goal."""

from __future__ import annotations

import base64
import json
import re
import zlib

import jax
import numpy as np
import pytest

import envs
import hemjax as hem
from hemjax import html_viewer
from hemjax.learners import make_learner

STEPS = 5


def _page_json(page: str) -> dict:
    """The system-and-states JSON brax's page carries (zlib-compressed, base64)."""
    payload = max(re.findall(r"[A-Za-z0-9+/=]{200,}", page), key=len)
    return json.loads(zlib.decompress(base64.b64decode(payload)))


@pytest.mark.parametrize("name", ["reacher", "fetch_push"])
def test_page_holds_the_episode_and_the_goal(name):
    config = hem.default_config(name, num_envs=2, batch_size=2)
    env = envs.make(name, max_steps=STEPS)
    learner = make_learner(config, env, num_devices=1, axis_name=None)
    params = learner.policy.init(jax.random.PRNGKey(0))
    positions, quaternions, goal, _ = html_viewer.episode_poses(
        learner, params, jax.random.PRNGKey(1)
    )
    bodies = env.mj_model.nbody - 1
    assert positions.shape == (STEPS + 1, bodies, 3) and quaternions.shape == (STEPS + 1, bodies, 4)
    assert not np.allclose(positions[0], positions[-1])  # the untrained policy moves something
    start = env.reset(jax.random.split(jax.random.PRNGKey(1), 1)[0])
    assert np.allclose(goal[: start.desired_goal.shape[0]], start.desired_goal)

    page = _page_json(html_viewer.episode_html(env, positions, quaternions, goal))
    states = page["states"]["x"]
    assert len(states) == STEPS + 1
    assert np.allclose(states[-1]["pos"], positions[-1]) and np.allclose(
        states[-1]["rot"], quaternions[-1]
    )
    marker = page["geoms"]["world"][-1]
    assert marker["name"] == "Sphere" and np.allclose(marker["pos"], goal)
    geoms = sum(len(group) for group in page["geoms"].values())
    assert geoms == env.mj_model.ngeom + 1
    assert page["opt"]["timestep"] == pytest.approx(env.mj_model.opt.timestep * env.n_substeps)


def test_a_non_mjx_env_is_refused_naming_it():
    env = envs.make("bitflip", num_bits=4)
    with pytest.raises(ValueError, match="env=BitFlip is not allowed"):
        html_viewer.episode_html(env, np.zeros((1, 1, 3)), np.zeros((1, 1, 4)), np.zeros(3))
