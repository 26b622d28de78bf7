"""Goal-conditioned policies pi(a | s, g): an MLP on [obs, goal], categorical or Gaussian head.

Continuous policies act in a normalised space [-1, 1]^A; `to_env_action` maps to the env's box.
Image observations or goals (an env `obs_shape` / `goal_shape` of rank 3, [H, W, C]) first
pass through a CNN (appendix C.2); flat ones reach the MLP unchanged, so a state-based policy
has exactly the parameters and outputs it had before images existed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from envs import Box, Discrete, GoalEnv

Params = dict

# Appendix C.2: (features, kernel, stride) of each conv layer, each followed by a relu. The
# paper does not give the padding; we pad ("SAME"), since unpadded layers map a 48 x 48 image to
# one 1 x 1 cell that sees only its top-left 36 x 36 pixels.
CONV_LAYERS = ((32, 8, 4), (64, 4, 2), (64, 3, 2))


def _check_image_shape(field: str, shape: tuple[int, ...]) -> None:
    if len(shape) not in (1, 3):
        raise ValueError(f"{field}={shape} is not allowed: [size] or an image [H, W, C]")


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) zero padding that gives ceil(size / stride) outputs, as XLA's SAME."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class PatchConv(nn.Module):
    """A SAME-padded, strided 2-D convolution as one matmul over gathered patches (im2col).

    [N, H, W, C] -> [N, ceil(H / s), ceil(W / s), features], with nn.Conv's parameters (kernel
    [k, k, C, features], bias [features]). XLA's CPU convolutions are slow inside a loop body
    (the update scan): an update step with nn.Conv took 15x as long as with this layer
    (experiments/results/cnn/speed.csv); strided slices and a matmul are not.
    """

    features: int
    kernel: int
    stride: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        k, s, channels = self.kernel, self.stride, x.shape[-1]
        kernel = self.param(
            "kernel", nn.initializers.lecun_normal(), (k, k, channels, self.features)
        )
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        rows, cols = -(-x.shape[-3] // s), -(-x.shape[-2] // s)
        pad = (same_padding(x.shape[-3], k, s), same_padding(x.shape[-2], k, s), (0, 0))
        x = jnp.pad(x, ((0, 0),) * (x.ndim - 3) + pad)
        patches = jnp.concatenate(
            [
                x[..., i : i + s * (rows - 1) + 1 : s, j : j + s * (cols - 1) + 1 : s, :]
                for i in range(k)
                for j in range(k)
            ],
            axis=-1,
        )  # [N, rows, cols, k * k * C], ordered as the kernel's (i, j, c)
        return patches @ kernel.reshape(k * k * channels, self.features) + bias


class ConvTorso(nn.Module):
    """Images [..., H, W, C] (pixel values 0..255, any dtype) -> features [..., F] float32.

    Pixels are scaled to [-0.5, 0.5]: with [0, 1] a small object on a bright background moved
    the features too little to be learned (a position regression did not train at all)."""

    @nn.compact
    def __call__(self, image: jax.Array) -> jax.Array:
        batch_shape = image.shape[:-3]
        x = image.reshape((-1,) + image.shape[-3:]).astype(jnp.float32) / 255.0 - 0.5
        for index, (features, kernel, stride) in enumerate(CONV_LAYERS):
            x = nn.relu(
                PatchConv(features=features, kernel=kernel, stride=stride, name=f"Conv_{index}")(x)
            )
        return x.reshape(batch_shape + (-1,))


class _Inputs(nn.Module):
    """[obs, goal] as one flat vector; image parts go through one shared ConvTorso."""

    image_obs: bool
    image_goal: bool

    @nn.compact
    def __call__(self, obs: jax.Array, goal: jax.Array) -> jax.Array:
        if self.image_obs or self.image_goal:
            encoder = ConvTorso()
            obs = encoder(obs) if self.image_obs else obs
            goal = encoder(goal) if self.image_goal else goal
        return jnp.concatenate([obs, goal], axis=-1)


class _Torso(nn.Module):
    hidden_sizes: Sequence[int]

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for size in self.hidden_sizes:
            x = nn.relu(nn.Dense(size)(x))
        return x


class _CategoricalNet(nn.Module):
    hidden_sizes: Sequence[int]
    num_actions: int
    image_obs: bool = False
    image_goal: bool = False

    @nn.compact
    def __call__(self, obs: jax.Array, goal: jax.Array) -> jax.Array:
        x = _Torso(self.hidden_sizes)(
            _Inputs(image_obs=self.image_obs, image_goal=self.image_goal)(obs, goal)
        )
        return nn.Dense(self.num_actions)(x)  # logits [..., num_actions]


class _GaussianNet(nn.Module):
    hidden_sizes: Sequence[int]
    action_size: int
    initial_std: float
    learn_std: bool
    image_obs: bool = False
    image_goal: bool = False

    @nn.compact
    def __call__(self, obs: jax.Array, goal: jax.Array) -> tuple[jax.Array, jax.Array]:
        x = _Torso(self.hidden_sizes)(
            _Inputs(image_obs=self.image_obs, image_goal=self.image_goal)(obs, goal)
        )
        mean = jnp.tanh(nn.Dense(self.action_size)(x))
        log_std = jnp.full((self.action_size,), math.log(self.initial_std))
        if self.learn_std:
            log_std = self.param("log_std", nn.initializers.constant(log_std[0]), log_std.shape)
        return mean, jnp.broadcast_to(log_std, mean.shape)  # [..., A] each


@dataclasses.dataclass(frozen=True)
class Policy:
    """Pure functions of (params, obs [..., *obs_shape], goal [..., *goal_shape]) for one env.

    obs_shape / goal_shape are [O] / [G] for state envs; an image [H, W, C] (uint8 pixels)
    switches on the CNN torso for that input.
    """

    env: GoalEnv
    hidden_sizes: tuple[int, ...]
    initial_std: float = 0.3
    learn_std: bool = True

    @property
    def discrete(self) -> bool:
        return isinstance(self.env.action_space, Discrete)

    @property
    def _net(self) -> nn.Module:
        space = self.env.action_space
        obs_shape, goal_shape = tuple(self.env.obs_shape), tuple(self.env.goal_shape)
        _check_image_shape("obs_shape", obs_shape)
        _check_image_shape("goal_shape", goal_shape)
        images = {"image_obs": len(obs_shape) == 3, "image_goal": len(goal_shape) == 3}
        if isinstance(space, Discrete):
            return _CategoricalNet(self.hidden_sizes, space.num_actions, **images)
        return _GaussianNet(
            self.hidden_sizes, space.size, self.initial_std, self.learn_std, **images
        )

    def init(self, key: jax.Array) -> Params:
        obs = jnp.zeros(self.env.obs_shape, jnp.float32)
        goal = jnp.zeros(self.env.goal_shape, jnp.float32)
        return self._net.init(key, obs, goal)

    def log_prob(
        self, params: Params, obs: jax.Array, goal: jax.Array, action: jax.Array
    ) -> jax.Array:
        """log pi(action | obs, goal) [...]; continuous actions are normalised [..., A]."""
        if self.discrete:
            logits = self._net.apply(params, obs, goal)
            log_probs = jax.nn.log_softmax(logits)
            return jnp.take_along_axis(log_probs, action[..., None], axis=-1)[..., 0]
        mean, log_std = self._net.apply(params, obs, goal)
        z = (action - mean) * jnp.exp(-log_std)
        return jnp.sum(-0.5 * z**2 - log_std - 0.5 * math.log(2 * math.pi), axis=-1)

    def greedy(self, params: Params, obs: jax.Array, goal: jax.Array) -> jax.Array:
        """The most likely action: argmax int32 [...] or the normalised mean [..., A]."""
        if self.discrete:
            return jnp.argmax(self._net.apply(params, obs, goal), axis=-1).astype(jnp.int32)
        return self._net.apply(params, obs, goal)[0]

    def explore(
        self,
        params: Params,
        obs: jax.Array,
        goal: jax.Array,
        key: jax.Array,
        epsilon: float,
        action_noise: float,
    ) -> jax.Array:
        """The paper's exploration: discrete, a uniform action with probability epsilon, else a
        policy sample; continuous, a policy sample plus N(0, action_noise^2), clipped to [-1, 1]."""
        sample_key, noise_key = jax.random.split(key)
        if self.discrete:
            logits = self._net.apply(params, obs, goal)
            sampled = jax.random.categorical(sample_key, logits).astype(jnp.int32)
            uniform = jax.random.randint(noise_key, sampled.shape, 0, logits.shape[-1], jnp.int32)
            use_uniform = jax.random.uniform(jax.random.fold_in(key, 1), sampled.shape) < epsilon
            return jnp.where(use_uniform, uniform, sampled)
        mean, log_std = self._net.apply(params, obs, goal)
        sample = mean + jnp.exp(log_std) * jax.random.normal(sample_key, mean.shape)
        noisy = sample + action_noise * jax.random.normal(noise_key, mean.shape)
        return jnp.clip(noisy, -1.0, 1.0)

    def to_env_action(self, action: jax.Array) -> jax.Array:
        """Normalised [-1, 1] actions to the env's box; discrete actions pass through."""
        space = self.env.action_space
        if isinstance(space, Box):
            return space.low + (action + 1.0) * 0.5 * (space.high - space.low)
        return action
