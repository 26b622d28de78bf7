"""Running mean and standard deviation of a feature vector (HER's observation/goal normaliser).

Pure functions over a struct. Each update merges one batch's count, mean and variance into the
running ones (Chan et al.'s parallel formula, which stays accurate in float32 over millions of
samples); with `axis_name` the batch's sums and counts are first summed over the device axis,
so every device holds the same statistics as one device that saw every batch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

MIN_STD = 1e-2  # the std floor of OpenAI baselines' normaliser: constant features stay finite


@struct.dataclass(kw_only=True)
class RunningStats:
    """count: [] float32 samples seen; mean, var: [D] float32."""

    count: jax.Array
    mean: jax.Array
    var: jax.Array


def init_stats(size: int) -> RunningStats:
    """No samples yet: mean 0, var 1 (so normalising is the identity, clipped)."""
    return RunningStats(
        count=jnp.zeros((), jnp.float32),
        mean=jnp.zeros((size,), jnp.float32),
        var=jnp.ones((size,), jnp.float32),
    )


def update_stats(
    stats: RunningStats, x: jax.Array, mask: jax.Array, axis_name: str | None = None
) -> RunningStats:
    """Merges the rows of x [N, D] where mask [N] is 1 (over every device of `axis_name`)."""
    mask = mask.astype(jnp.float32)
    sums = (jnp.sum(mask), jnp.sum(mask[:, None] * x, 0), jnp.sum(mask[:, None] * x**2, 0))
    if axis_name is not None:
        sums = jax.lax.psum(sums, axis_name)
    count, total, total_sq = sums
    safe = jnp.maximum(count, 1.0)
    batch_mean = total / safe
    batch_var = jnp.maximum(total_sq / safe - batch_mean**2, 0.0)
    merged = stats.count + count
    share = count / jnp.maximum(merged, 1.0)  # the batch's share of all samples
    delta = batch_mean - stats.mean
    mean = stats.mean + share * delta
    var = (1.0 - share) * stats.var + share * batch_var + share * (1.0 - share) * delta**2
    keep = merged == 0  # nothing seen yet: stay at the initial statistics
    return RunningStats(
        count=merged,
        mean=jnp.where(keep, stats.mean, mean),
        var=jnp.where(keep, stats.var, var),
    )


def normalize(stats: RunningStats, x: jax.Array, clip: float) -> jax.Array:
    """(x - mean) / max(std, 1e-2), clipped to [-clip, clip]: same shape as x [..., D]."""
    std = jnp.sqrt(jnp.maximum(stats.var, MIN_STD**2))
    return jnp.clip((x - stats.mean) / std, -clip, clip)
