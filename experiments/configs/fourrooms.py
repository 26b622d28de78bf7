"""hEM on fourrooms: the tuned preset of hemjax/presets/fourrooms.py, unchanged."""

import ml_collections

import hemjax as hem


def get_config() -> ml_collections.ConfigDict:
    return hem.default_config("fourrooms")
