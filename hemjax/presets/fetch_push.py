"""Fetch push defaults: a starting point, not tuned to convergence (see BUILD_NOTES.md, "Fetch").

HER needs millions of steps on push; hEM's paper (appendix C.5) reports only a marginal gain
over HER there. Compared with reach: a deeper torso for the 25-number observation, more
episodes per iteration and more Adam steps per iteration, a larger buffer, and a 3.2M-step
budget (500 iterations of 128 episodes; roughly an hour on a loaded 2-core CPU).
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
