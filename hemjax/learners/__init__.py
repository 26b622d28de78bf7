"""Learners behind one interface (`base.Learner`), picked by the config's `algo` field."""

from __future__ import annotations

import ml_collections

from envs import GoalEnv
from hemjax.config import ALGOS
from hemjax.learners import hem, her, hpg
from hemjax.learners.base import Learner

FACTORIES = {
    "hem": hem.make_learner,
    "her": her.make_learner,
    "hybrid": her.make_learner,  # DDPG + HER with hEM's likelihood term on the actor
    "hpg": hpg.make_learner,
}


def make_learner(
    config: ml_collections.ConfigDict, env: GoalEnv, num_devices: int, axis_name: str | None
) -> Learner:
    """The learner for one device's share of a validated config."""
    algo = config.algo
    if algo not in FACTORIES:
        raise ValueError(f"algo={algo!r} is not allowed: one of {list(ALGOS)}")
    return FACTORIES[algo](config, env, num_devices, axis_name)


__all__ = ["ALGOS", "Learner", "make_learner"]
