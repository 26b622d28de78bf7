"""Bad configs fail before compiling, with a message naming the field and what is allowed."""

import subprocess
import sys
from pathlib import Path

import pytest

import hemjax as hem
from hemjax.config import ConfigError, validate

INVALID = [
    ("num_envs", 0, "num_envs"),
    ("num_envs", -5, "num_envs"),
    ("num_seeds", 0, "num_seeds"),
    ("total_env_steps", 0, "total_env_steps"),
    ("total_env_steps", 100, "total_env_steps"),  # less than one iteration
    ("batch_size", 0, "batch_size"),
    ("buffer_episodes", 8, "buffer_episodes"),  # fewer than num_envs
    ("updates_per_iteration", 0, "updates_per_iteration"),
    ("learning_rate", 0.0, "learning_rate"),
    ("learning_rate", -1e-3, "learning_rate"),
    ("learning_rate", float("nan"), "learning_rate"),
    ("learning_rate", float("inf"), "learning_rate"),
    ("max_grad_norm", -1.0, "max_grad_norm"),
    ("epsilon", 1.5, "epsilon"),
    ("epsilon", -0.1, "epsilon"),
    ("action_noise", -0.5, "action_noise"),
    ("policy_std", 0.0, "policy_std"),
    ("hidden_sizes", (64, 0), "hidden_sizes"),
    ("hidden_sizes", (64, -3), "hidden_sizes"),
    ("hindsight", "later", "hindsight"),
    ("hindsight", "FUTURE", "hindsight"),
    ("eval_every", 0, "eval_every"),
    ("eval_episodes", 0, "eval_episodes"),
    ("seed", -1, "seed"),
    ("keep_checkpoints", 0, "keep_checkpoints"),
    ("checkpoint_every", 5, "checkpoint_every"),  # needs a workdir
    ("env_name", "bitflop", "env_name"),
    ("env_kwargs", {"num_bits": 0}, "env_kwargs"),
    ("env_kwargs", {"bits": 5}, "env_kwargs"),
]


@pytest.mark.parametrize("field,value,named", INVALID)
def test_invalid_field_is_rejected_with_its_name(field, value, named):
    config = hem.default_config("bitflip", num_bits=8, num_envs=16, buffer_episodes=64)
    config[field] = value
    with pytest.raises(ConfigError) as error:
        validate(config)
    assert named in str(error.value)


def test_allowed_values_are_named():
    config = hem.default_config("bitflip")
    config.hindsight = "later"
    with pytest.raises(ConfigError, match=r"one of \['future', 'final', 'episode', 'none'\]"):
        validate(config)
    config = hem.default_config("bitflip")
    config.env_name = "bitflop"
    with pytest.raises(ConfigError, match="bitflip.*navigation"):
        validate(config)


def test_global_sizes_must_split_over_devices():
    config = hem.default_config("bitflip", num_envs=6, batch_size=512, buffer_episodes=64)
    with pytest.raises(ConfigError, match="num_envs=6 .*multiple of the number of devices \\(4\\)"):
        validate(config, num_devices=4)


def test_default_config_routes_env_arguments_and_rejects_unknown_names():
    config = hem.default_config("navigation", dim=7, learning_rate=5e-4)
    assert config.env_kwargs["dim"] == 7 and config.learning_rate == 5e-4
    validate(config)
    with pytest.raises(ConfigError, match="nonsense"):
        hem.default_config("navigation", nonsense=1)
    with pytest.raises(ValueError, match="known envs"):
        hem.default_config("bitflop")


def test_run_rejects_bad_config_before_compiling(monkeypatch):
    import hemjax.train

    def fail(*args, **kwargs):
        raise AssertionError("compiled before validating")

    monkeypatch.setattr(hemjax.train, "Trainer", fail)
    with pytest.raises(ConfigError, match="batch_size"):
        hem.run(hem.default_config("bitflip", batch_size=0))


def test_cli_prints_one_line_without_traceback():
    result = subprocess.run(
        [
            sys.executable,
            "experiments/train.py",
            "--config=experiments/configs/bitflip.py",
            "--config.learning_rate=-1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[1],
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: learning_rate=-1.0 is not allowed: a finite number > 0"]
