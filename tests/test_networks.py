"""Policies: state policies unchanged by the CNN torso; image inputs go through the CNN."""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import envs
from hemjax.networks import CONV_LAYERS, ConvTorso, PatchConv, Policy

# Recorded with hemjax/networks.py as of commit fe5f30d (before the CNN torso existed):
# Policy(env, (16, 8)).init(PRNGKey(3)), the float64 sum of every parameter leaf, and the
# network's outputs on obs / goal = linspace(-1, 1) / linspace(1, -1) reshaped to [2, size].
BEFORE = {
    "bitflip": {
        "sums": {
            "['params']['Dense_0']['bias']": 0.0,
            "['params']['Dense_0']['kernel']": 1.0854606959037483,
            "['params']['_Torso_0']['Dense_0']['bias']": 0.0,
            "['params']['_Torso_0']['Dense_0']['kernel']": 4.477945243474096,
            "['params']['_Torso_0']['Dense_1']['bias']": 0.0,
            "['params']['_Torso_0']['Dense_1']['kernel']": 5.320931253023446,
        },
        "outputs": [
            [
                -1.1479332447052002,
                0.7361447811126709,
                -1.1113052368164062,
                -0.13953843712806702,
                -0.5617694854736328,
                0.33246222138404846,
                -0.20044521987438202,
                0.2849949598312378,
                0.5143868327140808,
                -0.24029339849948883,
            ],
            [
                -0.5217882990837097,
                0.12481846660375595,
                0.024386554956436157,
                -0.08363448828458786,
                -0.3220466077327728,
                0.15278349816799164,
                0.03680846840143204,
                0.40267106890678406,
                0.589108943939209,
                -0.1838470697402954,
            ],
        ],
    },
    "pointmass": {
        "sums": {
            "['params']['Dense_0']['bias']": 0.0,
            "['params']['Dense_0']['kernel']": 1.5770441703498363,
            "['params']['_Torso_0']['Dense_0']['bias']": 0.0,
            "['params']['_Torso_0']['Dense_0']['kernel']": 1.6885482398793101,
            "['params']['_Torso_0']['Dense_1']['bias']": 0.0,
            "['params']['_Torso_0']['Dense_1']['kernel']": 5.320931253023446,
            "['params']['log_std']": -2.4079456329345703,
        },
        "outputs": [
            [[0.24636559188365936, 0.137944757938385], [0.33553797006607056, 0.11290031671524048]],
            [[-1.2039728164672852, -1.2039728164672852], [-1.2039728164672852] * 2],
        ],
    },
}


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_state_policies_are_unchanged(name):
    """Same key, same parameters and the same outputs as before the CNN torso (bitwise on CPU)."""
    env = envs.make(name)
    policy = Policy(env, (16, 8))
    params = policy.init(jax.random.PRNGKey(3))
    sums = {
        jax.tree_util.keystr(path): float(np.asarray(leaf, np.float64).sum())
        for path, leaf in jax.tree_util.tree_leaves_with_path(params)
    }
    assert sorted(sums) == sorted(BEFORE[name]["sums"])
    # Exact on the CPU, where the values were recorded; other backends may round differently.
    tolerance = 0.0 if jax.default_backend() == "cpu" else 1e-5
    np.testing.assert_allclose(
        [sums[k] for k in sorted(sums)], [BEFORE[name]["sums"][k] for k in sorted(sums)], tolerance
    )
    obs = jnp.linspace(-1, 1, env.obs_size * 2).reshape(2, -1)
    goal = jnp.linspace(1, -1, env.goal_size * 2).reshape(2, -1)
    outputs = jax.tree.map(np.asarray, policy._net.apply(params, obs, goal))
    single = not isinstance(outputs, tuple)
    got = (outputs,) if single else outputs
    want = [BEFORE[name]["outputs"]] if single else BEFORE[name]["outputs"]
    for got_part, want_part in zip(got, want, strict=True):
        np.testing.assert_allclose(got_part, np.asarray(want_part, np.float32), rtol=tolerance)


def test_conv_torso_layers_follow_appendix_c2():
    """48x48 -> 12 -> 6 -> 3 (576 features); 84x84 -> 21 -> 11 -> 6 (2,304); kernels as
    listed; every pixel, the far corner included, reaches the features."""
    torso = ConvTorso()
    for size, features in ((48, 576), (84, 2304)):
        images = jnp.zeros((2, size, size, 3), jnp.uint8)
        params = torso.init(jax.random.PRNGKey(0), images)
        kernels = [params["params"][f"Conv_{i}"]["kernel"].shape for i in range(3)]
        assert kernels == [(8, 8, 3, 32), (4, 4, 32, 64), (3, 3, 64, 64)]
        assert torso.apply(params, images).shape == (2, features)
        pixels = jax.grad(lambda x, p=params: torso.apply(p, x).sum())(images.astype(jnp.float32))
        assert bool(jnp.all(jnp.abs(pixels[0]).sum(-1) > 0))


@pytest.mark.parametrize("size", [48, 84])
def test_patch_convolution_equals_xla_convolution(size):
    """Each appendix C.2 layer as im2col + matmul gives nn.Conv's (SAME) outputs and gradients."""
    x = jax.random.uniform(jax.random.PRNGKey(1), (3, size, size, 3))
    for features, kernel, stride in CONV_LAYERS:
        reference = nn.Conv(features, (kernel, kernel), (stride, stride), padding="SAME")
        params = reference.init(jax.random.PRNGKey(2), x)
        ours = PatchConv(features, kernel, stride)
        want, got = reference.apply(params, x), ours.apply(params, x)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        grads = [
            jax.grad(lambda p, net=net, x=x: jnp.sum(net.apply(p, x) ** 2))(params)
            for net in (reference, ours)
        ]
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4), *grads)
        x = jax.nn.relu(want)


@dataclasses.dataclass(frozen=True)
class _ImageEnvShapes:
    """Wraps an env and pretends its obs (and goal) are images, for the network only."""

    env: envs.GoalEnv
    obs_shape: tuple[int, ...]
    goal_shape: tuple[int, ...]

    def __getattr__(self, name):
        return getattr(self.env, name)


@pytest.mark.parametrize("image_goal", [False, True])
def test_image_policy_encodes_uint8_images_and_depends_on_them(image_goal):
    env = envs.make("pointmass")
    goal_shape = (36, 36, 3) if image_goal else (2,)
    shaped = _ImageEnvShapes(env, (36, 36, 3), goal_shape)
    policy = Policy(shaped, (16,))
    params = policy.init(jax.random.PRNGKey(0))
    assert "ConvTorso_0" in params["params"]["_Inputs_0"]  # one CNN, shared by obs and goal
    key_obs, key_goal = jax.random.split(jax.random.PRNGKey(1))
    obs = jax.random.randint(key_obs, (4, *shaped.obs_shape), 0, 256).astype(jnp.uint8)
    goal = jax.random.uniform(key_goal, (4, *goal_shape)) * (255.0 if image_goal else 1.0)
    goal = goal.astype(jnp.uint8) if image_goal else goal
    mean = np.asarray(policy.greedy(params, obs, goal))
    assert mean.shape == (4, 2) and np.all(np.isfinite(mean))
    # uint8 pixels and the same values as float32 pixels give the same action (x / 255 inside).
    same = policy.greedy(params, obs.astype(jnp.float32), goal.astype(jnp.float32))
    np.testing.assert_allclose(np.asarray(same), mean, rtol=1e-6, atol=1e-7)
    # Different images, different actions; log_prob differentiates through the CNN.
    assert not np.allclose(np.asarray(policy.greedy(params, obs[::-1], goal)), mean)
    grads = jax.grad(lambda p: policy.log_prob(p, obs, goal, jnp.zeros((4, 2))).sum())(params)
    conv_grad = grads["params"]["_Inputs_0"]["ConvTorso_0"]["Conv_0"]["kernel"]
    assert float(jnp.abs(conv_grad).sum()) > 0


def test_inputs_of_other_ranks_fail_with_the_field_named():
    env = envs.make("pointmass")
    policy = Policy(_ImageEnvShapes(env, (16, 16), (2,)), (16,))
    with pytest.raises(ValueError, match=r"obs_shape=\(16, 16\) is not allowed"):
        policy.init(jax.random.PRNGKey(0))
