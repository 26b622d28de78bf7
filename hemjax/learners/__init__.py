"""Learners behind one interface (`base.Learner`), picked by the config's `algo` field."""

from __future__ import annotations

import ml_collections

from envs import GoalEnv
from hemjax.learners import hem
from hemjax.learners.base import Learner

ALGOS = ("hem",)


def make_learner(
    config: ml_collections.ConfigDict, env: GoalEnv, num_devices: int, axis_name: str | None
) -> Learner:
    """The learner for one device's share of a validated config."""
    algo = config.get("algo", "hem")
    if algo == "hem":
        return hem.make_learner(config, env, num_devices, axis_name)
    raise ValueError(f"algo={algo!r} is not allowed: one of {list(ALGOS)}")


__all__ = ["ALGOS", "Learner", "make_learner"]
