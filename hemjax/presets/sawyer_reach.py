"""Sawyer reach defaults, measured on a 2-core CPU (see BUILD_NOTES.md, "Sawyer reach").

The library defaults already learn this task: greedy success 0.99 after 160k env steps and 1.0
from 240k on. The preset only trims the budget to 320k env steps (100 iterations of 64
episodes) with an evaluation every 25 iterations.
"""

OVERRIDES = {
    "total_env_steps": 320_000,
    "eval_every": 25,
}
