"""The shared tiny config: bit-flip K=8 that trains in seconds on a 2-core CPU. A plain module, so
test modules and the subprocess scripts they start import it alike."""

from __future__ import annotations

import ml_collections

import hemjax as hem


def tiny_bitflip(workdir: object = "", **overrides) -> ml_collections.ConfigDict:
    """16 envs of bit-flip K=8, a 32-wide layer, 5,120 simulated env steps in chunks of 5
    iterations; no progress bar, TensorBoard or compilation cache. `overrides` win."""
    fields = dict(
        num_bits=8,
        num_envs=16,
        buffer_episodes=128,
        batch_size=64,
        hidden_sizes=(32,),
        total_env_steps=16 * 8 * 40,
        eval_every=5,
        eval_episodes=32,
        progress_bar=False,
        log_tensorboard=False,
        compilation_cache="",
        workdir=str(workdir),
    )
    return hem.default_config("bitflip", **{**fields, **overrides})
