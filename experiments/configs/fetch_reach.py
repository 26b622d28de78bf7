"""hEM on fetch_reach (gym FetchReach on the lean MJX model): the tuned preset of
hemjax/presets/fetch_reach.py (16 updates of 512 samples per iteration, 320k env steps),
unchanged."""

import ml_collections

import hemjax as hem


def get_config() -> ml_collections.ConfigDict:
    return hem.default_config("fetch_reach")
