"""Sawyer reach (multiworld's SawyerReachXYZEnv, hEM appendix C.1) on the lean MJX model.

Changes nothing beyond the preset (hemjax/presets/sawyer_reach.py: 32 Adam steps of 512
samples per iteration at lr 3e-4, 320k env steps, evaluation every 25 iterations). Env
arguments, e.g. the mocap step per unit action: --config.env_kwargs.action_scale=0.01.
"""

import hemjax as hem


def get_config():
    return hem.default_config("sawyer_reach")  # preset: hemjax/presets/sawyer_reach.py
