"""Goal-conditioned environments as pure JAX functions; `envs.make(name, **kwargs)` builds one."""

from envs.core import Box, Discrete, EnvState, GoalEnv, within_distance
from envs.registry import env_class, make, names

__all__ = [
    "Box",
    "Discrete",
    "EnvState",
    "GoalEnv",
    "env_class",
    "make",
    "names",
    "within_distance",
]
