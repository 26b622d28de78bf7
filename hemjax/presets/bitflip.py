"""Bit-flip defaults, tuned for K=50 on a 2-core CPU (see BUILD_NOTES.md, "bit-flip tuning").

The policy must learn, per bit, whether state and goal differ (an XOR): one wide ReLU layer
learns it much faster than two narrower ones, and 16 Adam steps of 512 samples per iteration
keep the learner up with the 3,200 transitions each iteration collects.
"""

OVERRIDES = {
    "env_kwargs": {"num_bits": 50},
    "hidden_sizes": (512,),
    "learning_rate": 2e-3,
    "num_envs": 64,
    "batch_size": 512,
    "updates_per_iteration": 16,
    "epsilon": 0.2,
    "buffer_episodes": 4096,
    "total_env_steps": 512_000,
    "eval_every": 20,
}
