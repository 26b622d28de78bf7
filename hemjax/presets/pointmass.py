"""Point-mass defaults, tuned on a 2-core CPU (see BUILD_NOTES.md, "point mass tuning").

Goals on the same side of the wall are learnt within a few hundred iterations; the rest of the
budget goes to goals behind the wall, where a greedy policy can get pinned against the wall
just below the gap or in a corner. Exploration noise 0.2 (not 0.5) keeps the relabelled actions
close to the policy's own and roughly halves the iterations to 0.95; from ~2,000 iterations on,
greedy success stays >= 0.97 (evaluation noise is +-0.01 at 1,000 episodes).
"""

OVERRIDES = {
    "num_envs": 64,
    "batch_size": 512,
    "updates_per_iteration": 16,
    "learning_rate": 1e-3,
    "hidden_sizes": (256, 256),
    "action_noise": 0.2,
    "policy_std": 0.3,
    "buffer_episodes": 4096,
    "total_env_steps": 8_000_000,  # 2,500 iterations of 64 episodes x 50 steps
    "eval_every": 250,
}
