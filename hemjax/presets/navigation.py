"""Navigation defaults: a linear-tanh Gaussian policy with annealed lr and exploration noise,
tuned at K=40 on a 2-core CPU (see BUILD_NOTES.md, "navigation tuning").

The ideal controller is a = clip((g - s) / 0.2) per coordinate, which tanh(W [s, g] + b) can
represent exactly; an MLP adds approximation bias. Success in K dimensions needs each
coordinate's fixed point within about 0.1 / sqrt(K) of the goal, so the greedy policy's bias
at s = g must be tiny. Two things keep it from getting there with constant settings: Adam's
step-to-step jitter at a fixed learning rate, and broad exploration that keeps pushing states into
the walls. So the run starts with the paper's sigma_a = 0.5 and a large learning rate, and
decays both linearly over 300 iterations (lr 1e-2 -> 2e-4, noise 0.5 -> 0.05); the Gaussian's
global std is held at 0.05 rather than fitted, since the fitted std tracks the regression error
and would keep exploration wide.
"""

OVERRIDES = {
    "env_kwargs": {"dim": 40},
    "hidden_sizes": (),
    "learning_rate": 1e-2,
    "anneal_iterations": 300,
    "final_lr_fraction": 0.02,
    "action_noise": 0.5,
    "final_noise_fraction": 0.1,
    "learn_std": False,
    "policy_std": 0.05,
    "num_envs": 64,
    "batch_size": 512,
    "updates_per_iteration": 16,
    "buffer_episodes": 4096,
    "total_env_steps": 1_120_000,  # 350 iterations of 64 episodes x 50 steps
    "eval_every": 25,
}
