"""Image observations and image goals (envs/image_obs.py) on point mass and the MJX reaching
tasks: shapes and dtypes under jit + vmap, images that follow the scene, rewards identical to
the state env's, argument checks, the config route, and a tiny end-to-end hEM run."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import envs
import hemjax as hem
from envs.image_obs import GoalPhysics, goal_vector
from hemjax.buffer import add_episodes, init_buffer
from hemjax.hindsight import sample_batch
from hemjax.rollout import rollout

SIZE = 16  # small images keep the camera cheap; the envs accept any size >= 4
NUM_ENVS = 3
STEPS = 4
IMAGE_ENVS = ["pointmass", "reacher", "fetch_reach", "sawyer_reach"]


def _rollout(env, key_seed: int = 0, steps: int = STEPS):
    """States after reset and each of `steps` fixed random actions: list of [NUM_ENVS] states."""
    reset = jax.jit(jax.vmap(env.reset))
    step = jax.jit(jax.vmap(env.step))
    state = reset(jax.random.split(jax.random.key(key_seed), NUM_ENVS))
    action_key = jax.random.key(key_seed + 1)
    states = [state]
    for _ in range(steps):
        action_key, key = jax.random.split(action_key)
        actions = jax.vmap(env.sample_action)(jax.random.split(key, NUM_ENVS))
        state = step(state, actions)
        states.append(state)
    return states


@pytest.mark.parametrize("name", IMAGE_ENVS)
def test_image_obs_and_goals_have_image_shapes_and_the_same_rewards(name):
    state_env = envs.make(name)
    image_env = envs.make(name, obs_type="image", goal_type="image", image_size=SIZE)
    assert image_env.obs_shape == (SIZE, SIZE, 3) == image_env.goal_shape
    assert state_env.obs_shape == (state_env.obs_size,)
    plain, images = _rollout(state_env), _rollout(image_env)
    for a, b in zip(plain, images, strict=True):
        assert b.obs.shape == (NUM_ENVS, SIZE, SIZE, 3) and b.obs.dtype == jnp.uint8
        assert b.desired_goal.shape == (NUM_ENVS, SIZE, SIZE, 3)
        assert b.desired_goal.dtype == jnp.uint8
        assert isinstance(b.physics, GoalPhysics)
        np.testing.assert_array_equal(a.achieved_goal, b.achieved_goal)
        np.testing.assert_array_equal(a.desired_goal, goal_vector(b))
        np.testing.assert_array_equal(a.reward, b.reward)
        np.testing.assert_array_equal(a.success, b.success)
        np.testing.assert_array_equal(a.done, b.done)
        # The goal image is drawn once per episode and carried unchanged.
        np.testing.assert_array_equal(b.desired_goal, images[0].desired_goal)


@pytest.mark.parametrize("name", IMAGE_ENVS)
def test_the_image_changes_when_the_scene_does(name):
    # Sawyer's 4 cm hand falls between the pixel centres of a 16 x 16 view of its hand space.
    size = 32 if name == "sawyer_reach" else SIZE
    env = envs.make(name, obs_type="image", image_size=size)
    assert env.goal_shape == (env.goal_size,)
    states = _rollout(env, steps=STEPS)
    first, last = np.asarray(states[0].obs), np.asarray(states[-1].obs)
    assert np.any(first != last)
    # Same state, same image: rendering is deterministic.
    np.testing.assert_array_equal(last, _rollout(env, steps=STEPS)[-1].obs)
    # Two goal poses far apart give different images; one pose gives one image.
    render = jax.jit(jax.vmap(env.goal_image))
    goals = states[0].achieved_goal
    far = goals.at[:, 1].add(0.5 if name == "pointmass" else 0.1)
    near_images, far_images = np.asarray(render(goals)), np.asarray(render(far))
    assert np.all(np.any(near_images != far_images, axis=(1, 2, 3)))
    np.testing.assert_array_equal(near_images, render(goals))


def test_goal_images_of_pointmass_and_sawyer_equal_the_scene_at_the_goal():
    """For point mass and Sawyer the whole scene is posed by the goal: the goal image of an
    achieved goal equals that step's observation image (what relabelling can rely on)."""
    for name in ("pointmass", "sawyer_reach"):
        env = envs.make(name, obs_type="image", goal_type="image", image_size=SIZE)
        state = _rollout(env, steps=2)[-1]
        drawn = jax.jit(jax.vmap(env.goal_image))(state.achieved_goal)
        assert drawn.dtype == jnp.uint8
        np.testing.assert_array_equal(drawn, state.obs)


@pytest.mark.parametrize(
    ("name", "from_frames"), [("pointmass", True), ("sawyer_reach", True), ("reacher", False)]
)
def test_relabelled_goal_images_from_stored_frames_equal_drawn_ones(name, from_frames):
    """hEM takes relabelled goal images from the buffer's observation frames exactly where the
    goal poses the whole scene: the frames then equal the images drawn from the goal vectors.
    Reacher's arm has two poses per fingertip position, so its goal images are drawn."""
    env = envs.make(name, obs_type="image", goal_type="image", image_size=SIZE)
    assert env.goal_images_are_observations == from_frames
    assert not envs.make(name, obs_type="state", goal_type="image").goal_images_are_observations
    if not from_frames:
        return

    def act(obs, goal, key):
        return jax.vmap(env.sample_action)(jax.random.split(key, NUM_ENVS))

    episodes, _ = rollout(env, act, lambda a: a, jax.random.key(0), NUM_ENVS)
    buffer = add_episodes(init_buffer(episodes, capacity=NUM_ENVS), episodes)
    key = jax.random.key(1)
    sample = functools.partial(sample_batch, buffer, key, 32, "future", env.compute_reward)
    frames = sample(goal_from_obs=True)
    drawn = sample(goal_input=jax.vmap(env.goal_image))
    assert frames.goal.dtype == jnp.uint8 and frames.goal.shape == (32, SIZE, SIZE, 3)
    np.testing.assert_array_equal(frames.goal, drawn.goal)
    np.testing.assert_array_equal(frames.weight, drawn.weight)


def test_bad_image_arguments_name_the_argument():
    for kwargs, name in (
        ({"obs_type": "pixels"}, "obs_type"),
        ({"goal_type": "rgb"}, "goal_type"),
        ({"image_size": 2}, "image_size"),
        ({"image_size": 48.0}, "image_size"),
    ):
        with pytest.raises(ValueError, match=f"^{name}=.* is not allowed: ") as error:
            envs.make("pointmass", **kwargs)
        assert "\n" not in str(error.value)


def test_config_routes_image_arguments_into_env_kwargs():
    config = hem.default_config("reacher", obs_type="image", image_size=84)
    assert config.env_kwargs.obs_type == "image"
    assert config.env_kwargs.image_size == 84
    assert config.env_kwargs.goal_type == "state"


def _tiny_image_pointmass(num_envs: int = 4, **overrides):
    """Point mass from images for two iterations of `num_envs` episodes, evaluated after each
    on `num_envs` goals; no progress bar, TensorBoard or compilation cache. `overrides` win."""
    fields = dict(
        obs_type="image",
        num_envs=num_envs,
        total_env_steps=2 * num_envs * 50,
        eval_every=1,
        eval_episodes=num_envs,
        progress_bar=False,
        log_tensorboard=False,
        compilation_cache="",
    )
    return hem.default_config("pointmass", **{**fields, **overrides})


def test_hem_runs_end_to_end_on_image_pointmass():
    config = _tiny_image_pointmass(
        image_size=36, batch_size=8, updates_per_iteration=1, buffer_episodes=8, hidden_sizes=(16,)
    )
    state = hem.run(config)
    assert state.iteration >= 2 and np.isfinite(state.history[-1]["loss"])
    assert np.all(np.isfinite(jax.tree.leaves(jax.tree.map(np.sum, state.params))))


@pytest.mark.parametrize("obs_type", ["image", "state"])
def test_hem_trains_with_image_goals_drawing_relabelled_goals_as_images(obs_type):
    """hEM's E-step gives the policy each relabelled goal as a goal image (the stored frame
    that reached it with image observations, else drawn from the goal vector), while the
    weights (rewards) are judged on the vectors; unsupported pairings fail in one line."""
    config = _tiny_image_pointmass(
        num_envs=8,
        obs_type=obs_type,
        goal_type="image",
        batch_size=16,
        buffer_episodes=32,
        updates_per_iteration=2,
    )
    env = envs.make("pointmass", **config.env_kwargs)
    assert env.goal_images_are_observations == (obs_type == "image")
    train_state = hem.run(config)
    assert train_state.iteration >= 2
    assert np.isfinite(train_state.history[-1]["loss"])
    with pytest.raises(hem.ConfigError, match="algo='her' is not allowed"):
        hem.validate(hem.default_config("pointmass", goal_type="image", algo="her"))
    with pytest.raises(hem.ConfigError, match="hindsight='none' is not allowed"):
        hem.validate(hem.default_config("pointmass", goal_type="image", hindsight="none"))


@pytest.mark.parametrize("algo", ["her", "hybrid"])
def test_her_trains_on_image_observations_through_cnns(algo):
    """HER and the hybrid read uint8 image observations through a CNN in the actor and in the
    critic; observations get no running statistics, goals keep theirs."""
    config = _tiny_image_pointmass(
        algo=algo, hidden_sizes=(32,), batch_size=16, buffer_episodes=16, updates_per_iteration=2
    )
    state = hem.run(config)
    assert state.iteration >= 2 and np.isfinite(state.history[-1]["loss"])
    online = state.params.online
    for network in ("actor", "critic"):
        kernel = online[network]["params"]["ConvTorso_0"]["Conv_0"]["kernel"]
        assert kernel.shape[-4:] == (8, 8, 3, 32)
    assert state.params.obs_stats.mean.shape[-1] == 0
    assert np.all(state.params.goal_stats.count > 0)
    assert np.all(np.isfinite(jax.tree.leaves(jax.tree.map(np.sum, state.params))))
