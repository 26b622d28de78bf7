"""Shared test fixtures: the project root and batched env episode runners compiled once per
session (an MJX env compiles in tens of seconds on a 2-core CPU, so every env test module
shares one runner per env). The shared tiny training config is `tiny.tiny_bitflip`, a plain
module so that the subprocess scripts (multidevice_checks.py, multihost_worker.py) use it too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from envs.reference.episode_runner import EpisodeRunner

RUNNER_ENVS = 8  # episodes per runner call


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The repository root (holds pyproject.toml, envs/, hemjax/, tests/)."""
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def episode_runner() -> Callable[..., EpisodeRunner]:
    """(env name, num_envs=RUNNER_ENVS) -> a jitted EpisodeRunner of that env with its
    reference script (envs/reference/scripts.py, if it has one), built once per session.
    Imported here, not at the top: the scripts load MuJoCo, which most test modules skip."""
    from envs.reference.episode_runner import EpisodeRunner
    from envs.reference.scripts import RUNNER_SCRIPTS

    runners: dict[tuple[str, int], EpisodeRunner] = {}

    def get(name: str, num_envs: int = RUNNER_ENVS) -> EpisodeRunner:
        if (name, num_envs) not in runners:
            runners[name, num_envs] = EpisodeRunner(name, num_envs, RUNNER_SCRIPTS.get(name))
        return runners[name, num_envs]

    return get
