"""Every mistake a user can make in the launcher's flags is one line on stderr and a non-zero exit;
--help exits 0 and lists the config fields and recipes. All cases fail before anything compiles."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hemjax.config import FIELDS
from hemjax.recipes import RECIPES

ROOT = Path(__file__).parents[1]  # the project root (a candidate for conftest.py)


def launch(*args: str) -> subprocess.CompletedProcess:
    """experiments/train.py with `args`, from the project root."""
    return subprocess.run(
        [sys.executable, "experiments/train.py", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


BAD_FLAGS = [
    (["--config.nonexistent=1"], r"--config.nonexistent: not a config field; known: "),
    (["--config.learning_ratee=0.1"], r"learning_ratee: .*\(closest: 'learning_rate'\)"),
    (["--config.env_kwargs.dim=3"], r"env_kwargs.dim: not an argument of env 'bitflip'"),
    (["--config.env_kwargs.num_bit=3"], r"closest: 'num_bits'"),
    (["--config=experiments/configs/missing.py"], r"no config file at"),
    (
        ["--config=experiments/configs/default.py:bitflip_k10"],
        r"recipe='bitflip_k10' is not allowed: .*closest: 'bitflip_k100'",
    ),
    (["--config.learning_rate=-1"], r"learning_rate=-1.0 is not allowed: a finite number > 0$"),
    (["--config.total_env_steps=1e6"], r"--config.total_env_steps=1e6: invalid literal"),
    (["--config.seed=4294967296"], r"seed=4294967296 is not allowed"),
    (["--config.hindsight=later"], r"hindsight='later' is not allowed: one of"),
    (["--config.hidden_sizes.0=3"], r"hidden_sizes has no parts"),
    (["--nonsense=1"], r"Unknown command line flag 'nonsense'"),
    (["--workdir=x", "extra"], r"unexpected arguments \['extra'\]"),
]


@pytest.mark.parametrize("args,message", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_bad_flags_end_in_one_line_and_status_2(args, message):
    result = launch(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert re.search(message, errors[0]), errors[0]


def test_a_recipe_and_its_env_arguments_are_overridable_before_validation():
    """Fetch's timestep is settable from the command line; a bad one is refused in one line."""
    result = launch(
        "--config=experiments/configs/default.py:fetch_reach", "--config.env_kwargs.timestep=-0.01"
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "timestep=-0.01" in result.stderr


def test_help_exits_0_and_lists_every_field_and_recipe():
    result = launch("--help")
    assert result.returncode == 0, result.stderr
    for name in [*FIELDS, *RECIPES]:
        assert f"  {name}" in result.stdout, name
