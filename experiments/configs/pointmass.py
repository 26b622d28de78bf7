"""hEM on pointmass: the tuned preset of hemjax/presets/pointmass.py, unchanged."""

import ml_collections

import hemjax as hem


def get_config() -> ml_collections.ConfigDict:
    return hem.default_config("pointmass")
