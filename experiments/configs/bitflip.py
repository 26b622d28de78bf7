"""Bit-flip with K=50 bits (paper section 4.1): the default hEM job.

Change K with --config.env_kwargs.num_bits=K (episodes last K steps).
"""

import hemjax as hem


def get_config():
    return hem.default_config("bitflip")  # preset: hemjax/presets/bitflip.py
