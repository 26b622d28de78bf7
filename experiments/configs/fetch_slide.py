"""hEM on fetch_slide (gym Fetch on the lean MJX model): the starting-point preset of
hemjax/presets/fetch_slide.py, unchanged (not tuned to convergence; see BUILD_NOTES.md)."""

import ml_collections

import hemjax as hem


def get_config() -> ml_collections.ConfigDict:
    return hem.default_config("fetch_slide")
