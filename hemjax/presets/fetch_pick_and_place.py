"""Fetch pick-and-place defaults: a starting point, not tuned to convergence (see BUILD_NOTES.md,
"Fetch").

Push's setting with twice the budget (6.4M steps): goals in the air need the grasp to be
discovered first.
"""

from hemjax.presets import fetch_push

OVERRIDES = {**fetch_push.OVERRIDES, "total_env_steps": 6_400_000}
