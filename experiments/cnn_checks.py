"""Why the CNN torso is built as it is: two measurements on 48 x 48 point mass images.

    python experiments/cnn_checks.py [--out=experiments/results/cnn]

1. Speed: 16 Adam steps inside one `lax.scan` (as the update loop runs them) of the appendix
   C.2 torso + a (256, 256) head at batch 128, with XLA's convolution (`nn.Conv`) against ours
   (`PatchConv`, im2col + matmul). Seconds per step, after compiling.
2. Learnability: regress the agent's (x, y) from its image (4,096 random states, 1,000 Adam
   steps of 128). "literal": unpadded (VALID) layers on pixels in [0, 1]; "ours": SAME padding
   on pixels in [-0.5, 0.5]. Final mean squared error against the targets' variance.
3. Sawyer's camera: regress the hand's (x, y, z) from 48 x 48 frames of the hand posed at
   random points of its space (5,120 to train, 1,024 held out, 1,000 Adam steps of 128 with
   our torso). Held-out error in cm, along and across the camera's line of sight, and the
   share within the 5 cm success radius: can the torso read what Sawyer's image goals ask?
Writes speed.csv, regression.csv and sawyer_hand.csv to --out (--checks picks which run).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import app, flags

import envs
from envs.camera import Camera
from hemjax.logger import write_csv
from hemjax.networks import CONV_LAYERS, PatchConv

_OUT = flags.DEFINE_string("out", "experiments/results/cnn", "Output directory.")
_CHECKS = flags.DEFINE_multi_enum(
    "checks", ["speed", "regression", "sawyer"], ["speed", "regression", "sawyer"], "Which run."
)
BATCH = 128


class _Regressor(nn.Module):
    """Image [N, 48, 48, 3] uint8 -> [N, outputs]: the torso (variant by name) and a (256, 256)
    head."""

    variant: str  # "xla_conv", "literal" or "ours"
    outputs: int = 2

    @nn.compact
    def __call__(self, image: jax.Array) -> jax.Array:
        x = image.astype(jnp.float32) / 255.0
        x = x - 0.5 if self.variant == "ours" else x
        for features, kernel, stride in CONV_LAYERS:
            if self.variant == "ours":
                x = PatchConv(features, kernel, stride)(x)
            else:
                padding = "SAME" if self.variant == "xla_conv" else "VALID"
                x = nn.Conv(features, (kernel, kernel), (stride, stride), padding=padding)(x)
            x = nn.relu(x)
        x = x.reshape(x.shape[0], -1)
        for _ in range(2):
            x = nn.relu(nn.Dense(256)(x))
        return nn.Dense(self.outputs)(x)


def _states(count: int) -> tuple[jax.Array, jax.Array]:
    env = envs.make("pointmass", obs_type="image", image_size=48)
    states = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.PRNGKey(0), count))
    return states.obs, states.achieved_goal


def _trainer(net: nn.Module, images: jax.Array, targets: jax.Array, steps: int) -> Callable:
    """jit(scan of `steps` Adam steps on random batches): (params, opt_state, key) -> ..."""
    optimizer = optax.adam(1e-3)

    def loss(params, index):
        return jnp.mean((net.apply(params, images[index]) - targets[index]) ** 2)

    def step(carry, key):
        params, opt_state = carry
        index = jax.random.randint(key, (BATCH,), 0, images.shape[0])
        value, grads = jax.value_and_grad(loss)(params, index)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), value

    def run(params, key):
        carry = (params, optimizer.init(params))
        return jax.lax.scan(step, carry, jax.random.split(key, steps))

    return jax.jit(run)


def speed(images: jax.Array, targets: jax.Array) -> list[dict]:
    rows = []
    for variant in ("xla_conv", "ours"):
        net = _Regressor(variant)
        params = net.init(jax.random.PRNGKey(1), images[:2])
        run = _trainer(net, images, targets, 16)
        jax.block_until_ready(run(params, jax.random.PRNGKey(2)))
        start = time.perf_counter()
        jax.block_until_ready(run(params, jax.random.PRNGKey(3)))
        seconds = (time.perf_counter() - start) / 16
        rows.append({"torso": variant, "seconds_per_step": round(seconds, 4)})
        print(rows[-1], flush=True)
    return rows


def regression(images: jax.Array, targets: jax.Array) -> list[dict]:
    rows = []
    for variant in ("literal", "ours"):
        net = _Regressor(variant)
        params = net.init(jax.random.PRNGKey(1), images[:2])
        (params, _), losses = _trainer(net, images, targets, 1000)(params, jax.random.PRNGKey(4))
        rows.append(
            {
                "torso": variant,
                "mse_first_100": round(float(losses[:100].mean()), 4),
                "mse_last_100": round(float(losses[-100:].mean()), 5),
                "target_variance": round(float(jnp.var(targets, axis=0).sum() / 2), 4),
            }
        )
        print(rows[-1], flush=True)
    return rows


def sawyer_hand(train: int = 5120, held_out: int = 1024) -> list[dict]:
    """Check 3: held-out hand-position error every 250 Adam steps."""
    env = envs.make("sawyer_reach", obs_type="image", goal_type="image", image_size=48)
    low, high = env.hand_low, env.hand_high
    hands = jax.random.uniform(
        jax.random.PRNGKey(5), (train + held_out, 3), minval=low, maxval=high
    )
    images = jax.jit(jax.vmap(env.goal_image))(hands)
    scaled = (hands - (low + high) / 2) / ((high - low) / 2)  # [-1, 1] per axis
    net = _Regressor("ours", outputs=3)
    params = net.init(jax.random.PRNGKey(1), images[:2])
    view = Camera.for_env(env, size=48).view
    sight = np.subtract(view.target, view.position) / np.linalg.norm(
        np.subtract(view.target, view.position)
    )
    rows = []
    for block in range(4):
        run = _trainer(net, images[:train], scaled[:train], 250)
        (params, _), _ = run(params, jax.random.PRNGKey(10 + block))
        predicted = net.apply(params, images[train:]) * (high - low) / 2 + (low + high) / 2
        error = np.asarray(predicted - hands[train:])
        along = error @ sight
        across = np.linalg.norm(error - along[:, None] * sight, axis=1)
        distance = np.linalg.norm(error, axis=1)
        rows.append(
            {
                "adam_steps": 250 * (block + 1),
                "median_error_cm": round(float(np.median(distance)) * 100, 2),
                "mean_along_sight_cm": round(float(np.abs(along).mean()) * 100, 2),
                "mean_across_sight_cm": round(float(across.mean()) * 100, 2),
                "within_5cm": round(float(np.mean(distance < 0.05)), 4),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main(argv: Sequence[str]) -> None:
    del argv
    os.makedirs(_OUT.value, exist_ok=True)
    if {"speed", "regression"} & set(_CHECKS.value):
        images, targets = _states(4096)
        if "speed" in _CHECKS.value:
            write_csv(os.path.join(_OUT.value, "speed.csv"), speed(images, targets))
        if "regression" in _CHECKS.value:
            write_csv(os.path.join(_OUT.value, "regression.csv"), regression(images, targets))
    if "sawyer" in _CHECKS.value:
        write_csv(os.path.join(_OUT.value, "sawyer_hand.csv"), sawyer_hand())


if __name__ == "__main__":
    app.run(main)
