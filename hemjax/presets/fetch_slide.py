"""Fetch slide defaults: push's starting point, not tuned to convergence (see BUILD_NOTES.md,
"Fetch").

The hardest of the four (HER and hEM both plateau on it: hEM paper, appendix C.5).
"""

from hemjax.presets import fetch_push

OVERRIDES = dict(fetch_push.OVERRIDES)
