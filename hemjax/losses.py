"""The M-step objective: weighted negative log-likelihood of relabelled actions."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hemjax.hindsight import Batch
from hemjax.networks import Params, Policy


def nll_loss(policy: Policy, params: Params, batch: Batch) -> jax.Array:
    """-sum_i w_i log pi(a_i | s_i, g_i) / max(sum_i w_i, 1): a scalar."""
    log_prob = policy.log_prob(params, batch.obs, batch.goal, batch.action)  # [B]
    return -jnp.sum(batch.weight * log_prob) / jnp.maximum(jnp.sum(batch.weight), 1.0)
