"""Run configuration: defaults, per-env presets and validation (before anything compiles)."""

from __future__ import annotations

import importlib
import inspect
import math
from typing import Any

import ml_collections

import envs

HINDSIGHT_STRATEGIES = ("future", "final", "episode", "none")

# Fields that may differ between a checkpoint and the config that resumes it.
RESUMABLE_FIELDS = (
    "total_env_steps",
    "eval_every",
    "eval_episodes",
    "checkpoint_every",
    "keep_checkpoints",
    "workdir",
    "progress_bar",
    "log_tensorboard",
)


class ConfigError(ValueError):
    """A config field holds a value that is not allowed; the message names the field."""


def default_config(env_name: str = "bitflip", **overrides: Any) -> ml_collections.ConfigDict:
    """The config for `env_name`: library defaults, then the env's preset, then `overrides`.

    Keyword arguments that are env constructor arguments (e.g. num_bits, dim) go to
    `env_kwargs`; the rest must be config fields.
    """
    env_cls = envs.env_class(env_name)
    config = _base_config()
    config.env_name = env_name
    _apply(config, _preset(env_name))
    env_params = set(inspect.signature(env_cls).parameters)
    env_kwargs = dict(config.env_kwargs)
    for name, value in overrides.items():
        if name in env_params:
            env_kwargs[name] = value
        elif name in config:
            _apply(config, {name: value})
        else:
            raise ConfigError(
                f"{name}: not a config field nor an argument of env {env_name!r} "
                f"(env arguments: {', '.join(sorted(env_params)) or 'none'})"
            )
    config.env_kwargs = env_kwargs
    return config


def _base_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.env_name = "bitflip"
    c.env_kwargs = {}  # arguments of envs.make(env_name, **env_kwargs)
    c.seed = 0  # base PRNG seed; seed i of num_seeds uses seed + i
    c.num_seeds = 1  # independent seeds trained together in one program (vmap)
    c.total_env_steps = (
        1_000_000  # budget of simulated env steps per seed (num_envs * T per iteration)
    )
    c.num_envs = 64  # N: episodes collected per iteration, summed over all devices
    c.buffer_episodes = 4096  # replay capacity in whole episodes, summed over all devices
    c.batch_size = 256  # B: relabelled (s, a, g) per gradient step, summed over all devices
    c.updates_per_iteration = 4  # Adam steps per iteration (the partial M-step)
    c.learning_rate = 1e-3
    c.anneal_iterations = (
        0  # iterations over which lr and action noise decay linearly (0: constant)
    )
    c.final_lr_fraction = 1.0  # learning rate after annealing, as a fraction of learning_rate
    c.final_noise_fraction = 1.0  # action_noise after annealing, as a fraction of action_noise
    c.max_grad_norm = 0.0  # 0 disables gradient clipping
    c.hidden_sizes = (256, 256)  # MLP torso of the policy
    c.hindsight = "future"  # one of HINDSIGHT_STRATEGIES
    c.epsilon = 0.2  # discrete actions: uniform random action with this probability
    c.action_noise = (
        0.5  # continuous actions: std of N(0, sigma_a^2) added (actions scaled to [-1, 1])
    )
    c.policy_std = 0.3  # continuous actions: initial global std of the Gaussian policy
    c.learn_std = True  # fit the global std by maximum likelihood (False: it stays policy_std)
    c.eval_every = 10  # iterations per jitted chunk; greedy evaluation after each chunk
    c.eval_episodes = 1000  # fresh-goal episodes per evaluation
    c.checkpoint_every = 0  # iterations between checkpoints, k * eval_every (0: at the end)
    c.keep_checkpoints = 3
    c.workdir = ""  # where metrics, plots and checkpoints go; "" keeps nothing on disk
    c.progress_bar = True
    c.log_tensorboard = True
    return c


def _preset(env_name: str) -> dict[str, Any]:
    try:
        module = importlib.import_module(f"hemjax.presets.{env_name}")
    except ModuleNotFoundError:
        return {}
    return module.OVERRIDES


def _apply(config: ml_collections.ConfigDict, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in config:
            raise ConfigError(f"{name}: unknown config field; fields: {', '.join(sorted(config))}")
        if name == "env_kwargs":
            value = {**config.env_kwargs, **value}
        elif name == "hidden_sizes":
            value = tuple(value)
        config[name] = value


def _require(ok: bool, field: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ConfigError(f"{field}={value!r} is not allowed: {allowed}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate(config: ml_collections.ConfigDict, num_devices: int = 1) -> None:
    """Raises ConfigError naming the first bad field, its value and what is allowed."""
    known = set(_base_config())
    for field in sorted(set(config) - known):
        raise ConfigError(f"{field}: unknown config field; fields: {', '.join(sorted(known))}")
    _require(config.env_name in envs.names(), "env_name", config.env_name, f"one of {envs.names()}")
    _require(
        isinstance(config.env_kwargs, dict | ml_collections.ConfigDict),
        "env_kwargs",
        config.env_kwargs,
        "a dict of env constructor arguments",
    )
    for field in (
        "num_seeds",
        "total_env_steps",
        "num_envs",
        "buffer_episodes",
        "batch_size",
        "updates_per_iteration",
        "eval_every",
        "eval_episodes",
        "keep_checkpoints",
    ):
        _require(
            _is_int(config[field]) and config[field] >= 1, field, config[field], "an integer >= 1"
        )
    for field in ("seed", "checkpoint_every", "anneal_iterations"):
        _require(
            _is_int(config[field]) and config[field] >= 0, field, config[field], "an integer >= 0"
        )
    _require(
        _is_number(config.learning_rate) and config.learning_rate > 0,
        "learning_rate",
        config.learning_rate,
        "a finite number > 0",
    )
    _require(
        _is_number(config.max_grad_norm) and config.max_grad_norm >= 0,
        "max_grad_norm",
        config.max_grad_norm,
        "a finite number >= 0 (0 disables clipping)",
    )
    _require(
        _is_number(config.epsilon) and 0 <= config.epsilon <= 1,
        "epsilon",
        config.epsilon,
        "a number in [0, 1]",
    )
    _require(
        _is_number(config.action_noise) and config.action_noise >= 0,
        "action_noise",
        config.action_noise,
        "a finite number >= 0",
    )
    _require(
        _is_number(config.policy_std) and config.policy_std > 0,
        "policy_std",
        config.policy_std,
        "a finite number > 0",
    )
    for field in ("final_lr_fraction", "final_noise_fraction"):
        _require(
            _is_number(config[field]) and 0 <= config[field] <= 1,
            field,
            config[field],
            "a number in [0, 1]",
        )
    _require(isinstance(config.learn_std, bool), "learn_std", config.learn_std, "True or False")
    sizes = config.hidden_sizes
    _require(
        isinstance(sizes, tuple | list) and all(_is_int(s) and s >= 1 for s in sizes),
        "hidden_sizes",
        sizes,
        "a tuple of integers >= 1 (may be empty)",
    )
    _require(
        config.hindsight in HINDSIGHT_STRATEGIES,
        "hindsight",
        config.hindsight,
        f"one of {list(HINDSIGHT_STRATEGIES)}",
    )
    _require(isinstance(config.workdir, str), "workdir", config.workdir, "a path string")
    _require(
        config.checkpoint_every == 0 or config.workdir,
        "checkpoint_every",
        config.checkpoint_every,
        "0 unless workdir is set",
    )
    _require(
        config.checkpoint_every % config.eval_every == 0,
        "checkpoint_every",
        config.checkpoint_every,
        f"a multiple of eval_every ({config.eval_every})",
    )
    for field in ("num_envs", "batch_size", "buffer_episodes"):
        _require(
            config[field] % num_devices == 0,
            field,
            config[field],
            f"a multiple of the number of devices ({num_devices})",
        )
    _require(
        config.buffer_episodes >= config.num_envs,
        "buffer_episodes",
        config.buffer_episodes,
        f"at least num_envs ({config.num_envs})",
    )
    try:
        env = envs.make(config.env_name, **dict(config.env_kwargs))
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"env_kwargs={dict(config.env_kwargs)!r} is not allowed: {error}"
        ) from None
    steps_per_iteration = config.num_envs * env.max_steps
    _require(
        config.total_env_steps >= steps_per_iteration,
        "total_env_steps",
        config.total_env_steps,
        f"at least one iteration: num_envs * max_steps = {steps_per_iteration}",
    )
