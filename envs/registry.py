"""Env names -> classes. Modules are imported on first use, so MJX loads only when asked for."""

from __future__ import annotations

import importlib

from envs.core import GoalEnv

_ENVS = {
    "bitflip": "envs.bitflip:BitFlip",
    "navigation": "envs.navigation:Navigation",
    "pointmass": "envs.pointmass:PointMass",
    "fourrooms": "envs.fourrooms:FourRooms",
    "reacher": "envs.mjx.reacher:Reacher",
    "fetch_reach": "envs.mjx.fetch:FetchReach",
    "sawyer_reach": "envs.mjx.sawyer:SawyerReach",
    "fetch_push": "envs.mjx.fetch:FetchPush",
    "fetch_slide": "envs.mjx.fetch:FetchSlide",
    "fetch_pick_and_place": "envs.mjx.fetch:FetchPickAndPlace",
}


def names() -> list[str]:
    """Registered env names."""
    return sorted(_ENVS)


def env_class(name: str) -> type[GoalEnv]:
    """The class registered under `name`; ValueError listing the known names otherwise."""
    if name not in _ENVS:
        raise ValueError(f"env_name: unknown env {name!r}; known envs: {', '.join(names())}")
    module_name, class_name = _ENVS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def make(name: str, **kwargs) -> GoalEnv:
    """Builds the env registered under `name` with its keyword arguments."""
    return env_class(name)(**kwargs)
