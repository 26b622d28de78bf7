"""Env constructor arguments are checked: a bad one raises a one-line ValueError naming the
argument, its value and what is allowed; good ones (numpy scalars included) pass."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import envs
from envs import checks

INTEGER = "an integer >= 1"
BAD_ARGUMENTS = [
    ("bitflip", {"num_bits": 6.0}, "num_bits=6.0 is not allowed: an integer >= 1"),
    ("bitflip", {"num_bits": 0}, "num_bits=0 is not allowed: " + INTEGER),
    ("bitflip", {"num_bits": True}, "num_bits=True is not allowed: " + INTEGER),
    ("bitflip", {"max_steps": 0}, "max_steps=0 is not allowed: " + INTEGER),
    ("bitflip", {"start": "ones"}, "start='ones' is not allowed: one of 'random', 'zeros'"),
    ("navigation", {"dim": "3"}, "dim='3' is not allowed: " + INTEGER),
    ("navigation", {"max_steps": 0}, "max_steps=0 is not allowed: " + INTEGER),
    (
        "navigation",
        {"max_action": 0.0},
        "max_action=0.0 is not allowed: a finite number in (0, inf)",
    ),
    ("navigation", {"threshold": math.nan}, "threshold=nan is not allowed: a finite number"),
    ("pointmass", {"damping": 1.0}, "damping=1.0 is not allowed: a finite number in [0, 1)"),
    ("pointmass", {"dt": math.inf}, "dt=inf is not allowed"),
    ("pointmass", {"threshold": -0.1}, "threshold=-0.1 is not allowed"),
    (
        "pointmass",
        {"walls": ((0.1, 0.0, -0.1, 0.5),)},
        "walls=((0.1, 0.0, -0.1, 0.5),) is not allowed",
    ),
    ("pointmass", {"walls": (1, 2, 3, 4)}, "walls=(1, 2, 3, 4) is not allowed"),
    ("pointmass", {"max_steps": 2.5}, "max_steps=2.5 is not allowed"),
    ("fourrooms", {"slip": 1.5}, "slip=1.5 is not allowed: a finite number in [0, 1]"),
    ("fourrooms", {"max_steps": False}, "max_steps=False is not allowed"),
    ("reacher", {"max_steps": 0}, "max_steps=0 is not allowed"),
    ("reacher", {"n_substeps": 0}, "n_substeps=0 is not allowed"),
    ("sawyer_reach", {"max_steps": 1.5}, "max_steps=1.5 is not allowed"),
    ("sawyer_reach", {"action_scale": -0.01}, "action_scale=-0.01 is not allowed"),
    ("sawyer_reach", {"threshold": 0.0}, "threshold=0.0 is not allowed"),
    ("sawyer_reach", {"n_substeps": 1.0}, "n_substeps=1.0 is not allowed"),
    (
        "sawyer_reach",
        {"success_rule": "l1"},
        "success_rule='l1' is not allowed: one of 'l2', 'multiworld_l1'",
    ),
    ("fetch_reach", {"max_steps": -1}, "max_steps=-1 is not allowed"),
    (
        "fetch_push",
        {"timestep": 0.003},
        "timestep=0.003 is not allowed: None or a positive divisor",
    ),
    ("fetch_push", {"timestep": 0.0}, "timestep=0.0 is not allowed"),
    ("fetch_push", {"timestep": 0.08}, "timestep=0.08 is not allowed"),
    ("fetch_push", {"timestep": "0.01"}, "timestep='0.01' is not allowed"),
    ("fetch_push", {"solver_iterations": 0}, "solver_iterations=0 is not allowed: " + INTEGER),
    (
        "fetch_pick_and_place",
        {"grasped_start_probability": 1.5},
        "grasped_start_probability=1.5 is not allowed: a finite number in [0, 1]",
    ),
    (
        "fetch_pick_and_place",
        {"grasped_start_probability": math.nan},
        "grasped_start_probability=nan is not allowed",
    ),
    (
        "fetch_pick_and_place",
        {"grasped_start_probability": True},
        "grasped_start_probability=True is not allowed",
    ),
    (
        "fetch_push",
        {"grasped_start_probability": 0.5},
        "grasped_start_probability=0.5 is not allowed: 0.0 for a task without fingers",
    ),
]
IMAGE_CHOICE = "is not allowed: one of 'state', 'image'"
BAD_ARGUMENTS += [
    (name, {argument: "rgb"}, f"{argument}='rgb' {IMAGE_CHOICE}")
    for name in ("pointmass", "reacher", "sawyer_reach", "fetch_reach")
    for argument in ("obs_type", "goal_type")
] + [
    (name, {"image_size": size}, f"image_size={size!r} is not allowed: an integer >= 4")
    for name, size in (("pointmass", 2), ("reacher", 48.0), ("sawyer_reach", 0), ("fetch_push", 3))
]


@pytest.mark.parametrize("name, kwargs, message", BAD_ARGUMENTS)
def test_bad_argument_is_one_line_naming_it(name, kwargs, message):
    with pytest.raises(ValueError) as error:
        envs.make(name, **kwargs)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def constructor(name: str) -> str:
    """The qualified name of the constructor of env `name` (the Fetch tasks share one)."""
    return envs.env_class(name).__init__.__qualname__


def test_every_env_argument_has_a_bad_case():
    covered = {
        (constructor(name), argument) for name, kwargs, _ in BAD_ARGUMENTS for argument in kwargs
    }
    for name in envs.names():
        for argument in inspect.signature(envs.env_class(name)).parameters:
            assert (constructor(name), argument) in covered, (name, argument)


def test_good_arguments_pass_including_numpy_scalars():
    assert envs.make("bitflip", num_bits=np.int64(6), max_steps=np.int32(3)).max_steps == 3
    assert envs.make("navigation", dim=2, threshold=np.float32(0.25)).threshold == 0.25
    assert envs.make("fourrooms", slip=0).stochastic is False
    assert envs.make("pointmass", walls=()).num_substeps == 1


def test_helpers():
    assert checks.check_integer("n", 3) == 3 and checks.check_integer("n", 0, minimum=0) == 0
    assert checks.check_real("x", 1, low=0.0, high=1.0) == 1.0
    with pytest.raises(ValueError, match=r"x=1.0 is not allowed: a finite number in \[0, 1\)"):
        checks.check_real("x", 1.0, low=0.0, high=1.0, high_open=True)
    assert not checks.is_integer(True) and not checks.is_real(False)
    assert not checks.is_real(math.inf) and checks.is_real(np.float32(2.0))
    with pytest.raises(ValueError, match="mode=None is not allowed: one of 'a', 'b'"):
        checks.check_choice("mode", None, ["a", "b"])
