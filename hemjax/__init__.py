"""hemjax: Hindsight Expectation Maximization for goal-conditioned RL, in JAX."""

from hemjax.config import ConfigError, default_config, validate
from hemjax.train import TrainState, run

__all__ = ["ConfigError", "TrainState", "default_config", "run", "validate"]
