"""Sawyer reach defaults, tuned on a 2-core CPU (see BUILD_NOTES.md, "Sawyer reach").

As for the reacher, Adam steps are the bottleneck: with the library default (4 steps of 256
per iteration) greedy success after 320k env steps was 0.96 / 1.0 / 1.0 on seeds 0-2, with
seed 0 still at 0.31 after 240k; 32 steps of 512 at lr 3e-4 reach 1.0 on all three by 160k.
"""

OVERRIDES = {
    "learning_rate": 3e-4,
    "batch_size": 512,
    "updates_per_iteration": 32,
    "total_env_steps": 320_000,  # 100 iterations of 64 episodes x 50 steps
    "eval_every": 25,
}
