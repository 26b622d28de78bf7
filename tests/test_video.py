"""Policy videos: a tiny trained bit-flip run to a GIF (library and script), and an MJX env."""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import numpy as np
import pytest
from PIL import Image

import envs
import hemjax as hem
from hemjax import video
from hemjax.learners import make_learner

NUM_BITS = 4
EPISODES = 3
CELL = 2  # bits_renderer cell for size 16


@pytest.fixture(scope="module")
def bitflip_run(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("bitflip"))
    config = hem.default_config(
        "bitflip",
        num_bits=NUM_BITS,
        num_envs=16,
        total_env_steps=16 * NUM_BITS * 40,
        eval_every=20,
        eval_episodes=50,
        progress_bar=False,
        workdir=workdir,
    )
    hem.run(config)
    return workdir


def _gif_frames(path, fps: float = 10.0) -> np.ndarray:
    """uint8 [T, H, W, 3] of a GIF written at `fps`, one entry per time step: Pillow stores a
    run of identical frames once with their durations added, so each is repeated back."""
    step = 10 * round(100 / fps)
    with Image.open(path) as gif:
        frames = []
        for index in range(gif.n_frames):
            gif.seek(index)
            repeats, remainder = divmod(gif.info["duration"], step)
            assert remainder == 0
            frames += [np.asarray(gif.convert("RGB"))] * repeats
    return np.stack(frames)


def test_bitflip_gif_shows_bits_against_the_goal(bitflip_run, tmp_path):
    train_state = hem.load(bitflip_run)
    path = video.save_policy_gif(
        train_state, tmp_path / "policy.gif", num_episodes=EPISODES, size=16, scale=1
    )
    frames = _gif_frames(path)
    tile_height, tile_width = 3 * CELL + 2 * video.BORDER, NUM_BITS * CELL + 2 * video.BORDER
    assert frames.shape == (NUM_BITS + 1, tile_height, EPISODES * tile_width, 3)
    for episode in range(EPISODES):
        tile = frames[:, :, episode * tile_width : (episode + 1) * tile_width]
        inner = tile[:, video.BORDER : -video.BORDER, video.BORDER : -video.BORDER]
        state_row, match_row, goal_row = inner[:, 0], inner[:, CELL], inner[:, 2 * CELL]
        assert np.array_equal(goal_row[0], goal_row[-1])  # the goal stays put
        succeeded = np.all(tile[-1, 0, 0] == video.BORDER_SUCCESS)
        all_match = np.all(match_row[-1] == video.MATCH)
        # A green border exactly when the state row equals the goal row, all bits matching.
        assert succeeded == all_match == np.array_equal(state_row[-1], goal_row[-1])
    # Across episodes at least one bit changes over time (the policy acts).
    assert not np.array_equal(frames[0], frames[-1])


def test_render_policy_script_writes_a_gif(bitflip_run, tmp_path):
    output = tmp_path / "script.gif"
    script = os.path.join(os.path.dirname(__file__), "..", "experiments", "render_policy.py")
    result = subprocess.run(
        [sys.executable, script, f"--workdir={bitflip_run}", f"--output={output}", "--episodes=2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert _gif_frames(output).shape[0] == NUM_BITS + 1
    missing = subprocess.run(
        [sys.executable, script, f"--workdir={tmp_path / 'nothing'}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2 and missing.stderr.startswith("error:")


def test_mjx_policy_frames_through_the_camera():
    """An untrained Reacher policy: frames come from the camera, the goal marker is drawn."""
    config = hem.default_config("reacher", num_envs=2, batch_size=2)
    env = envs.make("reacher", max_steps=6)
    learner = make_learner(config, env, num_devices=1, axis_name=None)
    params = learner.policy.init(jax.random.PRNGKey(0))
    frames = video.policy_frames(learner, params, num_episodes=2, size=16)
    assert frames.shape == (7, 16 + 2 * video.BORDER, 2 * (16 + 2 * video.BORDER), 3)
    red = (frames[..., 0] > 150) & (frames[..., 1] < 60) & (frames[..., 2] < 60)
    assert red[0].any()  # the goal marker
    assert not np.array_equal(frames[0], frames[-1])  # the arm moved


def test_bad_input_names_the_field(tmp_path):
    with pytest.raises(ValueError, match="frames="):
        video.write_gif(np.zeros((2, 4, 4), np.uint8), tmp_path / "x.gif")
    with pytest.raises(ValueError, match="fps="):
        video.write_gif(np.zeros((2, 4, 4, 3), np.uint8), tmp_path / "x.gif", fps=0)
    with pytest.raises(ValueError, match="env=object"):
        video.renderer_for(object())
