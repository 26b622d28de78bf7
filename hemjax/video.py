"""Seeing a policy: greedy episodes on fresh goals rendered to frames and written as a GIF.

    train_state = hem.load("runs/bitflip")
    video.save_policy_gif(train_state, "runs/bitflip/policy.gif")

Every env is drawn with its goal: bit-flip as its row of bits above a match row and the goal
row; navigation as its first two coordinates; point mass and four rooms as their maps
(envs/raster.py); MJX tasks through the camera (envs/camera.py). Episodes are tiled side by
side; each tile's border turns green once its episode has reached its goal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from envs import EnvState, GoalEnv
from hemjax.learners import Learner

if TYPE_CHECKING:
    from hemjax.train import TrainState

Renderer = Callable[[EnvState], jax.Array]  # one state -> uint8 [H, W, 3]

BIT_ON = (30, 30, 30)
BIT_OFF = (230, 230, 230)
MATCH = (60, 180, 75)
MISMATCH = (220, 50, 40)
BORDER = 2
BORDER_RUNNING = (120, 120, 120)
BORDER_SUCCESS = (60, 180, 75)


def bits_renderer(cell: int) -> Renderer:
    """Bit-flip: state bits, a match row (green / red per bit) and goal bits; each bit a
    cell x cell square: uint8 [3 * cell, num_bits * cell, 3]."""

    def render(state: EnvState) -> jax.Array:
        def row(colours: jax.Array) -> jax.Array:  # [K, 3] -> [cell, K * cell, 3]
            return jnp.repeat(jnp.repeat(colours[None], cell, axis=0), cell, axis=1)

        def bits(values: jax.Array) -> jax.Array:
            on = values[:, None] > 0.5
            return jnp.where(on, jnp.asarray(BIT_ON, jnp.uint8), jnp.asarray(BIT_OFF, jnp.uint8))

        match = (state.achieved_goal > 0.5) == (state.desired_goal > 0.5)
        match_colours = jnp.where(
            match[:, None], jnp.asarray(MATCH, jnp.uint8), jnp.asarray(MISMATCH, jnp.uint8)
        )
        rows = [bits(state.achieved_goal), match_colours, bits(state.desired_goal)]
        return jnp.concatenate([row(colours) for colours in rows], axis=0)

    return render


def renderer_for(env: GoalEnv, size: int = 48) -> Renderer:
    """The frame function of any registered env, with the goal shown (see the module docstring).

    size: image side for maps and cameras; bit-flip cells are max(2, size // 8) pixels.
    """
    from envs.bitflip import BitFlip
    from envs.fourrooms import FourRooms
    from envs.navigation import Navigation
    from envs.pointmass import PointMass
    from envs.raster import Raster

    if isinstance(env, BitFlip):
        return bits_renderer(max(2, size // 8))
    if isinstance(env, PointMass | FourRooms | Navigation):
        return Raster.for_env(env, size, show_goal=True).render
    if hasattr(env, "mj_model"):
        from envs.camera import Camera

        return Camera.for_env(env, size, show_goal=True).render
    raise ValueError(f"env={type(env).__name__} is not allowed: no renderer for this env")


def greedy_episode_frames(
    learner: Learner, params: Any, render: Renderer, key: jax.Array, num_episodes: int
) -> tuple[jax.Array, jax.Array]:
    """Greedy episodes on fresh goals, drawn at every step (jit-able).

    Returns frames uint8 [T + 1, E, H, W, 3] and success bool [T + 1, E] (goal reached by
    then). An episode's state stops changing once it is done, as in training.
    """
    env = learner.env
    state = jax.vmap(env.reset)(jax.random.split(key, num_episodes))

    def one_step(state: EnvState, _: None) -> tuple[EnvState, tuple[jax.Array, jax.Array]]:
        action = learner.greedy_action(params, state.obs, state.desired_goal)
        stepped = jax.vmap(env.step)(state, action)
        frozen = jax.tree.map(
            lambda old, new: jnp.where(
                state.done.reshape(state.done.shape + (1,) * (old.ndim - 1)), old, new
            ),
            state,
            stepped,
        )
        return frozen, (jax.vmap(render)(state), state.success)

    final, (frames, success) = jax.lax.scan(one_step, state, None, length=env.max_steps)
    frames = jnp.concatenate([frames, jax.vmap(render)(final)[None]], axis=0)
    return frames, jnp.concatenate([success, final.success[None]], axis=0)


def tile(frames: np.ndarray, success: np.ndarray) -> np.ndarray:
    """[T, E, H, W, 3] episodes side by side, each in a border (green once it succeeded):
    uint8 [T, H + 2 * BORDER, E * (W + 2 * BORDER), 3]."""
    frames = np.asarray(frames)
    border = np.where(
        np.asarray(success)[..., None], np.uint8(BORDER_SUCCESS), np.uint8(BORDER_RUNNING)
    ).astype(np.uint8)
    steps, episodes, height, width, _ = frames.shape
    framed = np.broadcast_to(
        border[:, :, None, None, :], (steps, episodes, height + 2 * BORDER, width + 2 * BORDER, 3)
    ).copy()
    framed[:, :, BORDER : BORDER + height, BORDER : BORDER + width] = frames
    return np.concatenate(list(framed.transpose(1, 0, 2, 3, 4)), axis=2)


def write_gif(frames: np.ndarray, path: str | Path, fps: float = 10.0, scale: int = 1) -> Path:
    """Writes uint8 frames [T, H, W, 3] as a looping GIF, each pixel scale x scale; -> path."""
    from PIL import Image

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames={frames.shape} {frames.dtype} is not allowed: uint8 [T, H, W, 3]")
    if fps <= 0:
        raise ValueError(f"fps={fps} is not allowed: a number > 0")
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale={scale!r} is not allowed: an integer >= 1")
    frames = frames.repeat(scale, axis=1).repeat(scale, axis=2)
    images = [Image.fromarray(frame) for frame in frames]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    duration = 10 * max(1, round(100 / fps))  # GIF delays are whole centiseconds
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration, loop=0)
    return path


def policy_frames(
    learner: Learner,
    params: Any,
    num_episodes: int = 4,
    seed: int = 0,
    size: int = 48,
) -> np.ndarray:
    """Tiled frames uint8 [T + 1, H', W', 3] of `num_episodes` greedy episodes of one policy."""
    if not isinstance(num_episodes, int) or num_episodes < 1:
        raise ValueError(f"num_episodes={num_episodes!r} is not allowed: an integer >= 1")
    render = renderer_for(learner.env, size)
    run = jax.jit(lambda p, k: greedy_episode_frames(learner, p, render, k, num_episodes))
    frames, success = run(params, jax.random.PRNGKey(seed))
    return tile(np.asarray(frames), np.asarray(success))


def save_policy_gif(
    train_state: TrainState,
    path: str | Path,
    num_episodes: int = 4,
    seed: int = 0,
    seed_index: int = 0,
    size: int = 48,
    fps: float = 10.0,
    scale: int = 2,
) -> Path:
    """A GIF of one seed's greedy policy (a TrainState from hem.run / hem.load); -> path."""
    from hemjax.api import learner_for

    num_seeds = train_state.config.num_seeds
    if not 0 <= seed_index < num_seeds:
        raise ValueError(f"seed_index={seed_index} is not allowed: 0 <= seed_index < {num_seeds}")
    params = jax.tree.map(lambda x: x[seed_index], train_state.params)
    frames = policy_frames(learner_for(train_state), params, num_episodes, seed, size)
    return write_gif(frames, path, fps=fps, scale=scale)
