"""Reacher defaults, tuned on a 2-core CPU (see BUILD_NOTES.md, "Reacher").

Learning is limited by Adam steps: 64 steps of 512 relabelled samples per iteration at lr 3e-4
pass 0.95 greedy success after ~1.1M env steps, where 4 steps of 256 (the library default) sit
near 0.1 after 2M and 32 steps near 0.75-0.95. A 16,384-episode buffer (256 iterations of data)
keeps it there: with 4,096 the greedy success swung between 0.92 and 0.99 after 1M steps.
"""

OVERRIDES = {
    "learning_rate": 3e-4,
    "num_envs": 64,
    "batch_size": 512,
    "updates_per_iteration": 64,
    "buffer_episodes": 16_384,
    "total_env_steps": 2_240_000,  # 700 iterations of 64 episodes x 50 steps
    "eval_every": 50,
}
