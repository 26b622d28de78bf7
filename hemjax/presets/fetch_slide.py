"""Fetch slide defaults: a starting point, not tuned to convergence (see BUILD_NOTES.md, "Fetch").

The hardest of the four (HER and hEM both plateau on it: hEM paper, appendix C.5). The same
setting as push: a deeper torso for the 25-number observation, 128 episodes and 32 Adam steps
of 512 samples per iteration, a 16k-episode buffer and a 3.2M-step budget.
"""

OVERRIDES = {
    "hidden_sizes": (256, 256, 256),
    "num_envs": 128,
    "batch_size": 512,
    "updates_per_iteration": 32,
    "buffer_episodes": 16384,
    "total_env_steps": 3_200_000,
    "eval_every": 50,
}
