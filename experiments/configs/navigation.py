"""Continuous navigation in [-1, 1]^K with K=40 (paper section 4.1).

Change K with --config.env_kwargs.dim=K.
"""

import hemjax as hem


def get_config():
    return hem.default_config("navigation", dim=40)  # preset: hemjax/presets/navigation.py
