"""Reacher (gym's 2-link arm, hEM appendix C.1) on the lean MJX model: fingertip to a 2-D goal.

Changes nothing beyond the preset (hemjax/presets/reacher.py: 64 Adam steps of 512 samples per
iteration at lr 3e-4, a 16,384-episode buffer, 2.24M env steps, evaluation every 50
iterations).
"""

import hemjax as hem


def get_config():
    return hem.default_config("reacher")  # preset: hemjax/presets/reacher.py
