"""Run configuration: one table of fields (default, meaning, allowed values), configs built from
recipes, and validation before anything compiles."""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import math
import pathlib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ml_collections
import numpy as np
from ml_collections.config_dict import placeholder

import envs
from hemjax.hindsight import REWARD_CONVENTIONS, WEIGHTINGS
from hemjax.recipes import ENV_RECIPES, RECIPES, Recipe

ALGOS = ("hem", "her", "hybrid", "hpg")
HPG_REWARDS = ("success", "remaining_steps")
HINDSIGHT_STRATEGIES = ("future", "final", "episode", "none")
SEED_SPACE = 2**32  # jax.random.PRNGKey(s) keeps s mod 2**32: larger seeds alias smaller ones

# Fields that may differ between a checkpoint and the config that resumes it.
RESUMABLE_FIELDS = (
    "total_env_steps",
    "target_success",
    "eval_every",
    "eval_episodes",
    "checkpoint_every",
    "checkpoint_every_minutes",
    "keep_checkpoints",
    "workdir",
    "progress_bar",
    "log_tensorboard",
    "compilation_cache",
)


class ConfigError(ValueError):
    """A config field holds a value that is not allowed; the message names the field."""


@dataclasses.dataclass(frozen=True)
class Rule:
    """What a value must be: a predicate and the same thing said in words."""

    accepts: Callable[[Any], bool]
    allowed: str


@dataclasses.dataclass(frozen=True)
class Field:
    """One config field: its default, what it means and what it may hold."""

    default: Any
    rule: Rule
    doc: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _integer(minimum: int) -> Rule:
    return Rule(accepts=lambda v: _is_int(v) and v >= minimum, allowed=f"an integer >= {minimum}")


def _number(minimum: float, maximum: float = math.inf, *, above: bool = False) -> Rule:
    """A finite number in [minimum, maximum], or (minimum, maximum] with `above`."""
    low_ok = (lambda v: v > minimum) if above else (lambda v: v >= minimum)
    if maximum == math.inf:
        allowed = f"a finite number {'>' if above else '>='} {minimum:g}"
    else:
        allowed = f"a number in {'(' if above else '['}{minimum:g}, {maximum:g}]"
    return Rule(accepts=lambda v: _is_number(v) and low_ok(v) and v <= maximum, allowed=allowed)


def _one_of(options: Iterable[str]) -> Rule:
    options = list(options)
    return Rule(accepts=lambda v: v in options, allowed=f"one of {options}")


_BOOLEAN = Rule(accepts=lambda v: isinstance(v, bool), allowed="True or False")
_STRING = Rule(accepts=lambda v: isinstance(v, str), allowed="a path string ('' for none)")
_SIZES = Rule(
    accepts=lambda v: isinstance(v, tuple | list) and all(_is_int(s) and s >= 1 for s in v),
    allowed="a tuple of integers >= 1 (may be empty)",
)
_MAPPING = Rule(
    accepts=lambda v: isinstance(v, Mapping | ml_collections.ConfigDict),
    allowed="a dict of env constructor arguments",
)

FIELDS: dict[str, Field] = {
    # What to solve, and how.
    "env_name": Field(default="bitflip", rule=_one_of(envs.names()), doc="registered env name"),
    "env_kwargs": Field(
        default={}, rule=_MAPPING, doc="arguments of envs.make(env_name, **env_kwargs)"
    ),
    "algo": Field(
        default="hem", rule=_one_of(ALGOS), doc="learner: hEM, HER (DDPG), HER + hEM, or HPG"
    ),
    "seed": Field(default=0, rule=_integer(0), doc="base PRNG seed; seed i of num_seeds is seed+i"),
    "num_seeds": Field(
        default=1, rule=_integer(1), doc="independent seeds trained together in one program"
    ),
    # Budget.
    "total_env_steps": Field(
        default=1_000_000,
        rule=_integer(1),
        doc="budget of env steps per seed, counting the steps episodes actually took",
    ),
    "target_success": Field(
        default=0.0,
        rule=_number(0.0, 1.0),
        doc="stop once greedy evaluation success reaches this (0: run the whole budget)",
    ),
    # Data collection and replay.
    "num_envs": Field(
        default=64, rule=_integer(1), doc="N: episodes per iteration, summed over all devices"
    ),
    "buffer_episodes": Field(
        default=4096,
        rule=_integer(1),
        doc="replay capacity in whole episodes, all devices (HPG keeps none)",
    ),
    "sample_weighting": Field(
        default="episode",
        rule=_one_of(WEIGHTINGS),
        doc="replay draw (hEM's E-step, HER's and the hybrid's batches; not HPG): 'episode' (an "
        "episode uniformly, then t; a step weighs 1/length) or 'transition' (every stored step "
        "equally, the paper's Eq. 7)",
    ),
    "hindsight": Field(
        default="future",
        rule=_one_of(HINDSIGHT_STRATEGIES),
        doc="hEM's goal relabelling strategy (also the hybrid's hEM term; HER relabels with "
        "'future' at relabel_probability)",
    ),
    "relabel_probability": Field(
        default=0.8,
        rule=_number(0.0, 1.0),
        doc="HER: fraction of sampled transitions whose goal is relabelled (baselines' k=4)",
    ),
    "epsilon": Field(
        default=0.2,
        rule=_number(0.0, 1.0),
        doc="hEM, discrete actions: uniform random action with this probability",
    ),
    "action_noise": Field(
        default=0.5,
        rule=_number(0.0),
        doc="hEM, continuous actions: std of the Gaussian noise added to actions in [-1, 1]",
    ),
    "random_action_probability": Field(
        default=0.3,
        rule=_number(0.0, 1.0),
        doc="HER: uniform random action with this probability while collecting",
    ),
    "exploration_noise": Field(
        default=0.2,
        rule=_number(0.0),
        doc="HER: std of the Gaussian noise added to the deterministic actor's action",
    ),
    # Optimisation.
    "batch_size": Field(
        default=256,
        rule=_integer(1),
        doc="B: samples per gradient step, summed over all devices (HPG: the whole iteration's "
        "episodes)",
    ),
    "updates_per_iteration": Field(
        default=4,
        rule=_integer(1),
        doc="Adam steps per iteration (hEM's partial M-step; HPG takes one)",
    ),
    "learning_rate": Field(default=1e-3, rule=_number(0.0, above=True), doc="Adam step size"),
    "anneal_iterations": Field(
        default=0,
        rule=_integer(0),
        doc="iterations over which lr (every learner) and hEM's action noise decay linearly "
        "(0: constant)",
    ),
    "final_lr_fraction": Field(
        default=1.0, rule=_number(0.0, 1.0), doc="lr after annealing, as a fraction of the first"
    ),
    "final_noise_fraction": Field(
        default=1.0,
        rule=_number(0.0, 1.0),
        doc="action_noise after annealing, as a fraction of the first",
    ),
    "max_grad_norm": Field(
        default=0.0, rule=_number(0.0), doc="global gradient norm clip (0: no clipping)"
    ),
    "gamma": Field(default=0.98, rule=_number(0.0, 1.0), doc="HER: discount factor"),
    "polyak": Field(
        default=0.95,
        rule=_number(0.0, 1.0),
        doc="HER: target networks keep this much per iteration",
    ),
    "action_l2": Field(
        default=1.0, rule=_number(0.0), doc="HER: weight of the squared actor output in its loss"
    ),
    "obs_clip": Field(
        default=5.0,
        rule=_number(0.0, above=True),
        doc="HER: normalised observations and goals are clipped to [-obs_clip, obs_clip]",
    ),
    "her_reward": Field(
        default="-1/0",
        rule=_one_of(REWARD_CONVENTIONS),
        doc="HER: reward of failure/success, '-1/0' (paper's HER(-1/0)) or '0/1'",
    ),
    "hybrid_eta": Field(
        default=0.1, rule=_number(0.0), doc="hybrid: weight of the hEM loss beside HER's"
    ),
    "hpg_goals_per_episode": Field(
        default=0,
        rule=_integer(0),
        doc="HPG: alternative goals per episode (0: every goal the batch reached)",
    ),
    "hpg_reward": Field(
        default="success",
        rule=_one_of(HPG_REWARDS),
        doc="HPG: reaching g pays 1 ('success') or the steps left, T - t ('remaining_steps', "
        "the authors' bit-flip)",
    ),
    # Policy.
    "hidden_sizes": Field(default=(256, 256), rule=_SIZES, doc="MLP torso widths"),
    "policy_std": Field(
        default=0.3,
        rule=_number(0.0, above=True),
        doc="continuous actions: initial global std of the Gaussian policy",
    ),
    "learn_std": Field(
        default=True, rule=_BOOLEAN, doc="fit the global std (False: it stays policy_std)"
    ),
    # Evaluation, logging and checkpoints.
    "eval_every": Field(
        default=10, rule=_integer(1), doc="iterations per jitted chunk; evaluation after each"
    ),
    "eval_episodes": Field(
        default=1000, rule=_integer(1), doc="fresh-goal episodes per greedy evaluation"
    ),
    "checkpoint_every": Field(
        default=0,
        rule=_integer(0),
        doc="iterations between checkpoints, a multiple of eval_every (0: time-based)",
    ),
    "checkpoint_every_minutes": Field(
        default=5.0,
        rule=_number(0.0),
        doc="with a workdir and checkpoint_every 0: checkpoint at the first chunk boundary "
        "after this many minutes (0: only at the end)",
    ),
    "keep_checkpoints": Field(default=3, rule=_integer(1), doc="newest checkpoints kept"),
    "workdir": Field(
        default="", rule=_STRING, doc="metrics, plots and checkpoints go here ('' keeps nothing)"
    ),
    "progress_bar": Field(default=True, rule=_BOOLEAN, doc="show a progress bar"),
    "log_tensorboard": Field(
        default=True, rule=_BOOLEAN, doc="write TensorBoard events into the workdir"
    ),
    "compilation_cache": Field(
        default="~/.cache/hemjax/jax",
        rule=_STRING,
        doc="directory of JAX's persistent compilation cache ('' disables it)",
    ),
}


@dataclasses.dataclass(frozen=True)
class EnvArgument:
    """One constructor argument of an env: its default and what it may hold."""

    default: Any
    value_type: type | None  # None: any value the env itself accepts
    optional: bool  # None is allowed (the env picks a value)

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.optional
        if self.value_type is int:
            return _is_int(value)
        if self.value_type is float:
            return _is_number(value)
        if self.value_type is tuple:
            return isinstance(value, tuple | list)
        return self.value_type is None or isinstance(value, self.value_type)

    @property
    def allowed(self) -> str:
        kind = {int: "an integer", float: "a finite number", bool: "True or False"}.get(
            self.value_type, f"a {self.value_type.__name__}" if self.value_type else "any value"
        )
        return f"{kind} or None" if self.optional else kind


def env_arguments(env_name: str) -> dict[str, EnvArgument]:
    """Every constructor argument of the env registered as `env_name` that has a default."""
    env_cls = envs.env_class(env_name)
    hints = typing.get_type_hints(env_cls.__init__)
    arguments = {}
    for name, parameter in inspect.signature(env_cls).parameters.items():
        if parameter.default is inspect.Parameter.empty:
            continue
        hint = hints.get(name)
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        members = typing.get_args(hint) if union else (hint,)
        concrete = [typing.get_origin(m) or m for m in members if m is not type(None)]
        value_type = concrete[0] if len(concrete) == 1 and isinstance(concrete[0], type) else None
        arguments[name] = EnvArgument(
            default=parameter.default,
            value_type=value_type,
            optional=parameter.default is None or type(None) in members,
        )
    return arguments


def closest(name: str, known: Iterable[str]) -> str:
    """' (closest: 'x')' when a known name is close to `name`, else ''."""
    match = difflib.get_close_matches(name, list(known), n=1)
    return f" (closest: {match[0]!r})" if match else ""


def _unknown(what: str, name: str, known: Iterable[str], prefix: str = "") -> ConfigError:
    """`prefix + name` is `what`; the message lists the known names and the closest one."""
    known = sorted(known)
    return ConfigError(f"{prefix}{name}: {what}{closest(name, known)}; known: {', '.join(known)}")


def default_config(env_name: str = "bitflip", **overrides: Any) -> ml_collections.ConfigDict:
    """The config for `env_name`: library defaults, then the env's recipe, then the learner's
    recipe for this env (`<env>_<algo>`, e.g. fetch_push_hybrid) where `algo` is given and one
    exists, then `overrides`.

    Keyword arguments that are env constructor arguments (e.g. num_bits, dim) go to
    `env_kwargs`; the rest must be config fields. numpy scalars, integral floats for integer
    fields (1e6) and pathlib paths are converted to plain values.
    """
    return _build(env_name, RECIPES.get(f"{env_name}_{overrides.get('algo')}"), overrides)


def recipe_config(name: str, **overrides: Any) -> ml_collections.ConfigDict:
    """The config of recipe `name` (see hemjax/recipes.py), then `overrides` as in
    default_config."""
    if name not in RECIPES:
        raise ConfigError(
            f"recipe={name!r} is not allowed: one of {sorted(RECIPES)}{closest(name, RECIPES)}"
        )
    return _build(RECIPES[name].env_name, RECIPES[name], overrides)


def _build(
    env_name: str, recipe: Recipe | None, overrides: Mapping[str, Any]
) -> ml_collections.ConfigDict:
    arguments = env_arguments(env_name)
    config = ml_collections.ConfigDict({name: field.default for name, field in FIELDS.items()})
    config.env_name = env_name
    env_kwargs = {
        name: placeholder(arg.value_type) if arg.default is None and arg.value_type else arg.default
        for name, arg in arguments.items()
    }
    layers = [ENV_RECIPES[env_name].overrides] if env_name in ENV_RECIPES else []
    if recipe is not None and recipe is not ENV_RECIPES.get(env_name):
        layers.append(recipe.overrides)
    routed = {k: v for k, v in overrides.items() if k not in arguments}
    routed["env_kwargs"] = {
        **routed.get("env_kwargs", {}),
        **{k: v for k, v in overrides.items() if k in arguments},
    }
    for layer in [*layers, routed]:
        for name, value in layer.items():
            if name == "env_kwargs":
                for key, item in value.items():
                    if key not in arguments:
                        raise _unknown(
                            f"not an argument of env {env_name!r}", key, arguments, "env_kwargs."
                        )
                    env_kwargs[key] = _plain(f"env_kwargs.{key}", item, arguments[key].value_type)
            elif name in FIELDS:
                value = _plain(name, value, type(FIELDS[name].default))
                try:
                    config[name] = value
                except TypeError:  # ml_collections refuses a value of another type
                    allowed = FIELDS[name].rule.allowed
                    raise ConfigError(f"{name}={value!r} is not allowed: {allowed}") from None
            else:
                raise _unknown(
                    f"not a config field nor an argument of env {env_name!r}",
                    name,
                    [*FIELDS, *arguments],
                )
    config.env_kwargs = env_kwargs
    return config


def _plain(name: str, value: Any, kind: type | None) -> Any:
    """`value` as the plain Python value ml_collections stores for a field of type `kind`."""
    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, pathlib.PurePath):
        value = str(value)
    if kind is int and isinstance(value, float):
        _require(value.is_integer(), name, value, "an integer")
        value = int(value)
    elif kind is float and _is_int(value):
        value = float(value)
    elif kind is tuple and isinstance(value, list):
        value = tuple(value)
    return value


def check_override_path(config: ml_collections.ConfigDict, path: str) -> None:
    """Raises ConfigError unless `path` ("FIELD" or "env_kwargs.NAME", as in --config.PATH)
    names an existing field of `config`."""
    name, _, rest = path.partition(".")
    if name not in FIELDS:
        raise _unknown("not a config field", name, FIELDS, "--config.")
    if name == "env_kwargs" and rest and rest not in config.env_kwargs:
        what = f"not an argument of env {config.env_name!r}"
        raise _unknown(what, rest, config.env_kwargs, "--config.env_kwargs.")
    if rest and name != "env_kwargs":
        raise ConfigError(f"--config.{path}: {name} has no parts; set it whole")


def _require(ok: bool, field: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ConfigError(f"{field}={value!r} is not allowed: {allowed}")


def validate(config: ml_collections.ConfigDict, num_devices: int = 1) -> None:
    """Raises ConfigError naming the first bad field, its value and what is allowed."""
    for name in sorted(set(config) - set(FIELDS)):
        raise _unknown("not a config field", name, FIELDS)
    missing = [name for name in FIELDS if name not in config]
    if missing:
        raise ConfigError(
            f"missing config fields: {', '.join(missing)} (build configs with default_config)"
        )
    for name, field in FIELDS.items():
        _require(field.rule.accepts(config[name]), name, config[name], field.rule.allowed)
    _require(
        config.seed + config.num_seeds <= SEED_SPACE,
        "seed",
        config.seed,
        f"seed + num_seeds <= 2**32 (num_seeds={config.num_seeds}): larger seeds repeat smaller "
        "ones bit for bit",
    )
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
    for name in ("num_envs", "batch_size", "buffer_episodes"):
        _require(
            config[name] % num_devices == 0,
            name,
            config[name],
            f"a multiple of the number of devices ({num_devices})",
        )
    _require(
        config.buffer_episodes >= config.num_envs,
        "buffer_episodes",
        config.buffer_episodes,
        f"at least num_envs ({config.num_envs})",
    )
    env = _checked_env(config.env_name, dict(config.env_kwargs))
    discrete = isinstance(env.action_space, envs.Discrete)
    _require(
        not (config.algo == "hybrid" and discrete),
        "algo",
        config.algo,
        f"hem, her or hpg for {config.env_name}'s discrete actions (hybrid is for continuous)",
    )
    _require(
        not (config.algo == "hpg" and not discrete),
        "algo",
        config.algo,
        f"hem, her or hybrid for {config.env_name}'s continuous actions (hpg is for discrete)",
    )
    image_goals = getattr(env, "goal_type", "state") == "image"
    _require(
        config.algo == "hem" or not image_goals,
        "algo",
        config.algo,
        "hem with image goals (the baselines normalise goal vectors)",
    )
    _require(
        not (image_goals and config.hindsight == "none"),
        "hindsight",
        config.hindsight,
        "future, final or episode with image goals (relabelled goals are drawn as images)",
    )
    steps_per_iteration = config.num_envs * env.max_steps
    _require(
        config.total_env_steps >= steps_per_iteration,
        "total_env_steps",
        config.total_env_steps,
        f"at least one iteration: num_envs * max_steps = {steps_per_iteration}",
    )


def _checked_env(env_name: str, env_kwargs: dict[str, Any]) -> envs.GoalEnv:
    """The env the config describes, once every argument is known and of the right kind."""
    arguments = env_arguments(env_name)
    for name, value in env_kwargs.items():
        if name not in arguments:
            raise _unknown(f"not an argument of env {env_name!r}", name, arguments, "env_kwargs.")
        _require(
            arguments[name].accepts(value), f"env_kwargs.{name}", value, arguments[name].allowed
        )
    try:
        env = envs.make(env_name, **env_kwargs)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"env_kwargs={env_kwargs!r} is not allowed: {error}") from None
    _require(env.max_steps >= 1, "env_kwargs.max_steps", env.max_steps, "an integer >= 1")
    return env
