"""The M-step loss against hand-computed values."""

import math

import jax
import jax.numpy as jnp
import numpy as np

import envs
from hemjax.hindsight import Batch
from hemjax.losses import nll_loss
from hemjax.networks import Policy


def test_categorical_nll_hand_computed():
    policy = Policy(envs.make("bitflip", num_bits=3), hidden_sizes=())
    params = policy.init(jax.random.PRNGKey(0))
    kernel = jnp.zeros((6, 3))
    params = {"params": {"Dense_0": {"kernel": kernel, "bias": jnp.array([0.0, 1.0, 2.0])}}}
    batch = Batch(
        obs=jnp.zeros((3, 3)),
        goal=jnp.zeros((3, 3)),
        action=jnp.array([0, 2, 1], jnp.int32),
        weight=jnp.array([1.0, 1.0, 0.0]),
    )
    log_z = math.log(1 + math.e + math.e**2)
    expected = -((0 - log_z) + (2 - log_z)) / 2  # the zero-weight sample does not count
    np.testing.assert_allclose(nll_loss(policy, params, batch), expected, rtol=1e-6)


def test_gaussian_nll_hand_computed():
    policy = Policy(envs.make("navigation", dim=2), hidden_sizes=(), initial_std=0.5)
    params = policy.init(jax.random.PRNGKey(0))
    params["params"]["Dense_0"]["kernel"] = jnp.zeros((4, 2))
    params["params"]["Dense_0"]["bias"] = jnp.array([0.0, math.atanh(0.5)])  # mean (0, 0.5)
    batch = Batch(
        obs=jnp.zeros((1, 2)),
        goal=jnp.zeros((1, 2)),
        action=jnp.array([[0.5, 0.0]]),
        weight=jnp.ones((1,)),
    )
    sigma = 0.5
    per_dim = 0.5 * (0.5 / sigma) ** 2 + math.log(sigma) + 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(nll_loss(policy, params, batch), 2 * per_dim, rtol=1e-5)


def test_env_action_scaling_maps_unit_box_to_env_box():
    policy = Policy(envs.make("navigation", dim=2), hidden_sizes=())
    np.testing.assert_allclose(policy.to_env_action(jnp.array([-1.0, 1.0])), [-0.2, 0.2])
    np.testing.assert_allclose(policy.to_env_action(jnp.array([0.0, 0.5])), [0.0, 0.1], atol=1e-7)
