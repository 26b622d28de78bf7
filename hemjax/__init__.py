"""hemjax: Hindsight Expectation Maximization for goal-conditioned RL, in JAX."""

from hemjax import distributed
from hemjax.api import act, evaluate
from hemjax.config import ConfigError, default_config, recipe_config, validate
from hemjax.preemption import Interrupted
from hemjax.train import TrainState, load, run

__all__ = [
    "ConfigError",
    "Interrupted",
    "distributed",
    "TrainState",
    "act",
    "default_config",
    "evaluate",
    "load",
    "recipe_config",
    "run",
    "validate",
]
