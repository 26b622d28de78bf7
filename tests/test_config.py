"""Configs come from one table of fields and named recipes; bad values fail before compiling, with
one line naming the field, its value and what is allowed."""

import json
import pathlib

import ml_collections
import numpy as np
import pytest
from tiny import tiny_bitflip as shared_tiny_bitflip

import envs
import hemjax as hem
from hemjax.config import (
    ALGOS,
    FIELDS,
    RESUMABLE_FIELDS,
    ConfigError,
    env_arguments,
    recipe_config,
    validate,
)
from hemjax.recipes import ENV_RECIPES, RECIPES

# default_config of every env as the per-env preset modules gave it before recipes.py replaced
# them (recorded from `hem.default_config(env).to_json()` on the commit before).
BEFORE_RECIPES = pathlib.Path(__file__).parent / "data" / "default_configs_before_recipes.json"


def tiny_bitflip(**overrides) -> ml_collections.ConfigDict:
    """The shared tiny config with a 64-episode buffer."""
    return shared_tiny_bitflip(**{"buffer_episodes": 64, **overrides})


INVALID = [
    ("num_envs", 0),
    ("num_envs", -5),
    ("num_seeds", 0),
    ("total_env_steps", 0),
    ("total_env_steps", 100),  # less than one iteration
    ("batch_size", 0),
    ("buffer_episodes", 8),  # fewer than num_envs
    ("updates_per_iteration", 0),
    ("learning_rate", 0.0),
    ("learning_rate", -1e-3),
    ("learning_rate", float("nan")),
    ("learning_rate", float("inf")),
    ("max_grad_norm", -1.0),
    ("epsilon", 1.5),
    ("epsilon", -0.1),
    ("action_noise", -0.5),
    ("policy_std", 0.0),
    ("hidden_sizes", (64, 0)),
    ("hidden_sizes", (64, -3)),
    ("hindsight", "later"),
    ("hindsight", "FUTURE"),
    ("eval_every", 0),
    ("eval_episodes", 0),
    ("seed", -1),
    ("keep_checkpoints", 0),
    ("checkpoint_every", 5),  # needs a workdir
    ("env_name", "bitflop"),
    ("env_kwargs", {"num_bits": 0}),
    ("env_kwargs", {"bits": 5}),
    ("env_kwargs", {"num_bits": 6.0}),  # an integer argument
    ("env_kwargs", {"num_bits": 8, "max_steps": 0}),
    ("algo", "ddpg"),
    ("her_reward", "1/0"),
    ("gamma", 1.5),
    ("polyak", -0.1),
    ("relabel_probability", 2.0),
    ("random_action_probability", -1.0),
    ("exploration_noise", -0.2),
    ("action_l2", -1.0),
    ("obs_clip", 0.0),
    ("hybrid_eta", -0.1),
    ("target_success", 1.5),
    ("checkpoint_every_minutes", -1.0),
]


@pytest.mark.parametrize("field,value", INVALID)
def test_invalid_field_is_rejected_in_one_line_naming_it(field, value):
    config = tiny_bitflip()
    config[field] = value
    with pytest.raises(ConfigError) as error:
        validate(config)
    message = str(error.value)
    assert field in message and "\n" not in message


def test_allowed_values_are_named():
    config = hem.default_config("bitflip")
    config.hindsight = "later"
    with pytest.raises(ConfigError, match=r"one of \['future', 'final', 'episode', 'none'\]"):
        validate(config)
    config = hem.default_config("bitflip")
    config.env_name = "bitflop"
    with pytest.raises(ConfigError, match="bitflip.*navigation"):
        validate(config)
    config = hem.default_config("bitflip")
    config.algo = "ddpg"
    with pytest.raises(
        ConfigError, match=r"algo='ddpg' .*one of \['hem', 'her', 'hybrid', 'hpg'\]"
    ):
        validate(config)


def test_every_field_has_a_default_that_validates_and_a_doc():
    config = tiny_bitflip()
    assert set(config) == set(FIELDS)
    validate(config)
    assert all(field.doc and field.rule.allowed for field in FIELDS.values())


def test_unknown_and_missing_fields_are_named_with_the_closest_match():
    config = ml_collections.ConfigDict(tiny_bitflip().to_dict())
    config.learning_ratee = 1e-3
    with pytest.raises(ConfigError, match=r"learning_ratee: .*closest: 'learning_rate'.*known: "):
        validate(config)
    config = ml_collections.ConfigDict(tiny_bitflip().to_dict())
    del config["algo"]
    with pytest.raises(ConfigError, match="missing config fields: algo"):
        validate(config)
    with pytest.raises(ConfigError, match=r"learning_ratee: .*closest: 'learning_rate'"):
        hem.default_config("bitflip", learning_ratee=1e-3)


def test_baseline_defaults_are_the_papers_and_which_fields_may_change_on_resume():
    """The HER settings of appendix C and the established DDPG + HER implementation (gamma
    0.98, polyak 0.95, replay_k 4, random actions 0.3, noise 0.2, action L2 1.0, clip 5) and
    the hybrid's eta 0.1 (appendix C.5) are the defaults."""
    config = hem.default_config("fetch_push")
    assert (config.algo, config.her_reward, config.gamma, config.polyak) == (
        "hem",
        "-1/0",
        0.98,
        0.95,
    )
    assert (config.relabel_probability, config.random_action_probability) == (0.8, 0.3)
    assert (config.exploration_noise, config.action_l2, config.obs_clip) == (0.2, 1.0, 5.0)
    assert (config.hybrid_eta, config.target_success) == (0.1, 0.0)
    assert config.checkpoint_every_minutes == 5.0
    assert config.compilation_cache == "~/.cache/hemjax/jax"
    assert ALGOS == ("hem", "her", "hybrid", "hpg")
    assert "algo" not in RESUMABLE_FIELDS
    assert {"target_success", "checkpoint_every_minutes", "compilation_cache"} <= set(
        RESUMABLE_FIELDS
    )
    assert set(RESUMABLE_FIELDS) <= set(FIELDS)


def test_global_sizes_must_split_over_devices():
    config = hem.default_config("bitflip", num_envs=6, batch_size=512, buffer_episodes=64)
    with pytest.raises(ConfigError, match="num_envs=6 .*multiple of the number of devices \\(4\\)"):
        validate(config, num_devices=4)


# Presets retuned since recipes.py, each for a measured reason given in its recipe's `why`.
RETUNED = {
    "sawyer_reach": {"anneal_iterations": 100, "final_lr_fraction": 0.1},
    "fetch_pick_and_place": {"env_kwargs": {"grasped_start_probability": 0.5}},
}


@pytest.mark.parametrize("env_name", envs.names())
def test_default_config_is_what_the_presets_gave(env_name):
    """Same values as before recipes.py, except RETUNED; env_kwargs only gain the constructor
    defaults."""
    before = json.loads(BEFORE_RECIPES.read_text())[env_name]
    retuned = RETUNED.get(env_name, {})
    before = {
        **before,
        **retuned,
        "env_kwargs": {**before["env_kwargs"], **retuned.get("env_kwargs", {})},
    }
    now = json.loads(hem.default_config(env_name).to_json())
    assert {k: now[k] for k in before if k != "env_kwargs"} == {
        k: v for k, v in before.items() if k != "env_kwargs"
    }
    arguments = env_arguments(env_name)
    assert set(now["env_kwargs"]) == set(arguments)
    for name, value in now["env_kwargs"].items():
        expected = before["env_kwargs"].get(name, arguments[name].default)
        assert value == json.loads(json.dumps(expected)), name


def test_env_kwargs_hold_every_constructor_argument_and_can_be_set():
    config = hem.default_config("fetch_reach")
    assert config.env_kwargs.timestep is None and config.env_kwargs.max_steps == 50
    config.env_kwargs.timestep = 0.01
    validate(config)
    config = hem.default_config("sawyer_reach")
    config.env_kwargs.action_scale = 0.02
    validate(config)
    config = hem.default_config("navigation", dim=7, learning_rate=5e-4)
    assert config.env_kwargs["dim"] == 7 and config.learning_rate == 5e-4
    validate(config)


def test_unknown_env_argument_lists_the_known_ones_with_the_closest_match():
    config = hem.default_config("bitflip")
    config.env_kwargs = {"num_bit": 5}
    with pytest.raises(ConfigError, match=r"env_kwargs.num_bit: .*closest: 'num_bits'.*max_steps"):
        validate(config)
    with pytest.raises(ConfigError, match=r"env_kwargs.dim: not an argument of env 'bitflip'"):
        hem.default_config("bitflip", env_kwargs={"dim": 3})
    with pytest.raises(ValueError, match="known envs"):
        hem.default_config("bitflop")


def test_default_config_normalises_numpy_scalars_integral_floats_and_paths(tmp_path):
    config = hem.default_config(
        "bitflip",
        total_env_steps=1e6,
        num_envs=np.int64(16),
        learning_rate=np.float32(0.5),
        learn_std=np.bool_(False),
        workdir=tmp_path,
        num_bits=np.int32(8),
    )
    assert config.total_env_steps == 1_000_000 and type(config.total_env_steps) is int
    assert type(config.num_envs) is int and type(config.env_kwargs.num_bits) is int
    assert type(config.learning_rate) is float and config.learn_std is False
    assert config.workdir == str(tmp_path)
    validate(config)
    with pytest.raises(ConfigError, match=r"total_env_steps=1000000.5 is not allowed: an integer"):
        hem.default_config("bitflip", total_env_steps=1e6 + 0.5)
    with pytest.raises(ConfigError, match=r"learn_std='yes' is not allowed: True or False"):
        hem.default_config("bitflip", learn_std="yes")


def test_validate_refuses_values_that_are_not_plain_python():
    """A ConfigDict built without type safety may hold numpy or pathlib values: refused, not
    converted behind the caller's back."""
    values = tiny_bitflip().to_dict()
    for field, value in [("num_envs", np.int64(16)), ("workdir", pathlib.Path("x"))]:
        config = ml_collections.ConfigDict({**values, field: value}, type_safe=False)
        with pytest.raises(ConfigError, match=f"{field}=.* is not allowed"):
            validate(config)


def test_seeds_that_would_alias_smaller_ones_are_refused():
    validate(tiny_bitflip(seed=2**32 - 1))
    with pytest.raises(ConfigError, match=r"seed=4294967296 .*2\*\*32"):
        validate(tiny_bitflip(seed=2**32))
    with pytest.raises(ConfigError, match="seed=4294967295 .*num_seeds=2"):
        validate(tiny_bitflip(seed=2**32 - 1, num_seeds=2))


def test_every_recipe_validates_and_says_why():
    for name, recipe in RECIPES.items():
        config = recipe_config(name)
        validate(config)
        assert config.env_name == recipe.env_name
        assert 20 < len(recipe.why) < 240, name
    assert set(ENV_RECIPES) == set(envs.names())
    assert recipe_config("bitflip").to_json() == hem.default_config("bitflip").to_json()


def test_recipes_layer_on_their_env_recipe():
    k100 = recipe_config("bitflip_k100")
    assert (k100.env_kwargs.num_bits, k100.num_envs, k100.hidden_sizes) == (100, 32, (1024,))
    assert k100.updates_per_iteration == ENV_RECIPES["bitflip"].overrides["updates_per_iteration"]
    her = recipe_config("navigation_her", num_seeds=2)
    assert (her.algo, her.hidden_sizes, her.learning_rate, her.batch_size) == (
        "her",
        (256,) * 5,
        1e-3,
        256,
    )
    assert her.num_envs == ENV_RECIPES["navigation"].overrides["num_envs"] and her.num_seeds == 2
    hybrid = recipe_config("fetch_pick_and_place_hybrid")
    assert (hybrid.algo, hybrid.hybrid_eta, hybrid.total_env_steps) == ("hybrid", 0.1, 600_000)
    assert (hybrid.num_envs, hybrid.updates_per_iteration, hybrid.hidden_sizes) == (
        2,
        40,
        (256,) * 3,
    )
    # Fields the object task's own recipe sets and the cycle does not are kept.
    assert hybrid.env_kwargs == recipe_config("fetch_pick_and_place").env_kwargs
    assert recipe_config("fourrooms_hpg").algo == "hpg"


def test_unknown_recipe_lists_the_known_ones_and_the_closest():
    with pytest.raises(
        ConfigError, match=r"recipe='bitflip_k10' .*bitflip_k100.*closest: 'bitflip_k100'"
    ):
        recipe_config("bitflip_k10")


def test_run_rejects_bad_config_before_compiling(monkeypatch):
    import hemjax.train

    def fail(*args, **kwargs):
        raise AssertionError("compiled before validating")

    monkeypatch.setattr(hemjax.train, "Trainer", fail)
    with pytest.raises(ConfigError, match="batch_size"):
        hem.run(hem.default_config("bitflip", batch_size=0))


def test_default_config_with_an_algo_uses_that_learners_recipe_for_the_env():
    """default_config(env, algo=X) is recipe <env>_X where one exists, else the env's recipe
    with algo X; later overrides still win."""
    assert hem.default_config("fetch_push", algo="hybrid") == recipe_config("fetch_push_hybrid")
    assert hem.default_config("fetch_reach", algo="her", num_envs=4) == recipe_config(
        "fetch_reach_her", num_envs=4
    )
    hybrid_reach = hem.default_config("fetch_reach", algo="hybrid")
    assert "fetch_reach_hybrid" not in RECIPES
    assert hybrid_reach == recipe_config("fetch_reach", algo="hybrid")
