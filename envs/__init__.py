"""Goal-conditioned environments as pure JAX functions; `envs.make(name, **kwargs)` builds one."""

from envs.core import Box, Discrete, EnvState, EpisodeStart, GoalEnv, Transition, within_distance
from envs.registry import env_class, make, names
from envs.xla_cpu import disable_concurrency_optimized_scheduler

disable_concurrency_optimized_scheduler()  # importing JAX does not start its backend: in time

__all__ = [
    "Box",
    "Discrete",
    "EnvState",
    "EpisodeStart",
    "GoalEnv",
    "Transition",
    "env_class",
    "make",
    "names",
    "within_distance",
]
