"""The MJX camera: the same geom per pixel as MuJoCo's C ray caster and its OpenGL renderer,
the agent where a known state puts it, determinism, and images that change only with the scene."""

from __future__ import annotations

import importlib.resources
import json
import math
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

import envs
from envs.camera import Camera, View

SIZE = 16
# Env name -> (its MJCF file in envs/mjx/assets, the geom that shows where the agent is).
SCENES = {
    "reacher": ("reacher.xml", "fingertip"),
    "sawyer_reach": ("sawyer.xml", "hand"),
    "fetch_push": ("fetch_push.xml", "fingers"),
}


@pytest.fixture(scope="module", params=sorted(SCENES))
def scene(request):
    """(name, env, camera with the goal shown, jitted geom-id tracer, a reset state)."""
    env = envs.make(request.param)
    camera = Camera.for_env(env, SIZE, show_goal=True)
    state = jax.jit(env.reset)(jax.random.PRNGKey(0))
    return request.param, env, camera, jax.jit(camera.geom_ids), state


def _random_qpos(env, key: jax.Array, physics) -> jax.Array:
    """A random pose of every joint; a free joint gets a position jitter and a unit quaternion."""
    qpos = np.array(physics.qpos, np.float64)
    noise = np.asarray(jax.random.uniform(key, qpos.shape, minval=-1.0, maxval=1.0))
    model = env.mj_model
    for joint in range(model.njnt):
        start = model.jnt_qposadr[joint]
        kind = model.jnt_type[joint]
        if kind == mujoco.mjtJoint.mjJNT_FREE:
            qpos[start : start + 3] += 0.05 * noise[start : start + 3]
            quat = noise[start + 3 : start + 7] + np.array([0.5, 0, 0, 0])
            qpos[start + 3 : start + 7] = quat / np.linalg.norm(quat)
        elif kind == mujoco.mjtJoint.mjJNT_HINGE:
            qpos[start] = 2.5 * noise[start]
        else:  # slide joints: a few centimetres around the current position
            qpos[start] += 0.08 * noise[start]
    return jnp.asarray(qpos, physics.qpos.dtype)


def _c_ray_geom_ids(env, view: View, qpos: np.ndarray) -> np.ndarray:
    """int32 [SIZE, SIZE]: the geom mujoco.mj_ray hits through every pixel centre (-1: none)."""
    model = env.mj_model
    data = mujoco.MjData(model)
    data.qpos[:] = qpos
    mujoco.mj_kinematics(model, data)
    ids = np.full(SIZE * SIZE, -1, np.int32)
    geom = np.zeros(1, np.int32)
    origin = np.asarray(view.position, np.float64)
    for pixel, direction in enumerate(view.ray_directions(SIZE).astype(np.float64)):
        if mujoco.mj_ray(model, data, origin, direction, None, 1, -1, geom) >= 0:
            ids[pixel] = geom[0]
    return ids.reshape(SIZE, SIZE)


def test_same_geom_per_pixel_as_mujocos_c_ray_caster(scene):
    _, env, camera, geom_ids, state = scene
    for i in range(3):
        qpos = _random_qpos(env, jax.random.PRNGKey(i), state.physics)
        ours = np.asarray(geom_ids(state.physics.replace(qpos=qpos)))
        theirs = _c_ray_geom_ids(env, camera.view, np.asarray(qpos, np.float64))
        agreement = np.mean(ours == theirs)
        assert agreement >= 0.98, (i, agreement, ours, theirs)
        assert len(np.unique(theirs)) >= 2  # the frame shows more than one thing


_GL_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import mujoco, numpy as np
    args = json.loads(sys.argv[1])
    spec = mujoco.MjSpec.from_string(args["xml"])
    spec.worldbody.add_camera(
        name="view", pos=args["position"], xyaxes=args["xyaxes"], fovy=args["fovy"]
    )
    model = spec.compile()
    data = mujoco.MjData(model)
    data.qpos[:] = args["qpos"]
    mujoco.mj_forward(model, data)
    option = mujoco.MjvOption()
    option.sitegroup[:] = 0
    with mujoco.Renderer(model, args["size"], args["size"]) as renderer:
        renderer.enable_segmentation_rendering()
        renderer.update_scene(data, camera="view", scene_option=option)
        segmentation = renderer.render()
    ids = np.where(segmentation[..., 1] == int(mujoco.mjtObj.mjOBJ_GEOM), segmentation[..., 0], -1)
    print(json.dumps(ids.tolist()))
    """
)


def test_same_geom_per_pixel_as_mujocos_opengl_renderer(scene):
    """MuJoCo's own renderer (EGL, headless) from the same camera; skipped without OpenGL."""
    name, env, camera, _, state = scene
    size = 32
    view = camera.view
    right, up, _ = view.axes()
    qpos = _random_qpos(env, jax.random.PRNGKey(7), state.physics)
    assets = importlib.resources.files("envs.mjx").joinpath("assets")
    args = {
        "xml": assets.joinpath(SCENES[name][0]).read_text(),
        "position": list(view.position),
        "xyaxes": [*right.tolist(), *up.tolist()],
        "fovy": view.fovy,
        "qpos": np.asarray(qpos, np.float64).tolist(),
        "size": size,
    }
    result = subprocess.run(
        [sys.executable, "-c", _GL_SCRIPT, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MUJOCO_GL": "egl"},
    )
    if result.returncode != 0:
        pytest.skip(f"MuJoCo's renderer does not run here: {result.stderr.strip()[-200:]}")
    theirs = np.asarray(json.loads(result.stdout.strip().splitlines()[-1]), np.int32)
    big = Camera.for_env(env, size)
    ours = np.asarray(jax.jit(big.geom_ids)(state.physics.replace(qpos=qpos)))
    agreement = np.mean(ours == theirs)
    assert agreement >= 0.95, (agreement, ours, theirs)


def _pixel_of(view: View, point, size: int) -> tuple[int, int]:
    """(row, col) of the pixel a world point projects to."""
    right, up, backward = view.axes()
    relative = np.subtract(point, view.position)
    depth = -relative @ backward
    half = math.tan(math.radians(view.fovy) / 2)
    u, v = relative @ right / depth / half, relative @ up / depth / half
    return int((1 - v) / 2 * size), int((u + 1) / 2 * size)


def test_known_state_puts_the_agent_and_the_goal_where_they_belong(scene):
    name, env, camera, geom_ids, state = scene
    model = env.mj_model
    data = mujoco.MjData(model)
    data.qpos[:] = np.asarray(state.physics.qpos)
    mujoco.mj_kinematics(model, data)
    geom = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, SCENES[name][1])
    size = 48  # the Fetch gripper is narrower than a pixel at 16 x 16
    geom_ids = jax.jit(Camera.for_env(env, size).geom_ids)
    ids = np.asarray(geom_ids(state.physics))
    row, col = _pixel_of(camera.view, data.geom_xpos[geom], size)
    assert ids[row, col] == geom
    with_goal = np.asarray(geom_ids(state.physics, state.desired_goal))
    goal = np.asarray(camera.goal_point(state.desired_goal))
    row, col = _pixel_of(camera.view, goal, size)
    assert with_goal[row, col] == model.ngeom  # the marker's id
    assert not np.any(ids == model.ngeom)


def test_deterministic_and_changes_exactly_when_the_scene_does():
    env = envs.make("reacher")
    plain = Camera.for_env(env, SIZE)
    marked = Camera.for_env(env, SIZE, show_goal=True)
    render = jax.jit(jax.vmap(plain.render))
    render_marked = jax.jit(jax.vmap(marked.render))
    states = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.PRNGKey(2), 4))
    first = np.asarray(render(states))
    assert first.shape == (4, SIZE, SIZE, 3) and first.dtype == np.uint8
    assert np.array_equal(np.asarray(render(states)), first)
    single = np.asarray(jax.jit(plain.render)(jax.tree.map(lambda x: x[1], states)))
    assert np.array_equal(single, first[1])
    # Bookkeeping and the goal (not drawn) change, the scene does not: the same images.
    unseen = states.replace(
        t=states.t + 5, obs=states.obs * 0, desired_goal=states.desired_goal[::-1]
    )
    assert np.array_equal(np.asarray(render(unseen)), first)
    # The arm moves: every image changes. The drawn goal moves: every image changes.
    moved = states.replace(physics=states.physics.replace(qpos=states.physics.qpos + 1.0))
    assert all(not np.array_equal(a, b) for a, b in zip(render(moved), first, strict=True))
    with_goal = np.asarray(render_marked(states))
    goal_moved = states.replace(desired_goal=-states.desired_goal)
    assert all(
        not np.array_equal(a, b) for a, b in zip(render_marked(goal_moved), with_goal, strict=True)
    )


def test_goal_image_shows_the_goal_configuration():
    """A goal image is the scene posed at the goal: the same image as a state posed there."""
    env = envs.make("sawyer_reach")
    camera = Camera.for_env(env, SIZE)
    state = jax.jit(env.reset)(jax.random.PRNGKey(3))

    def render_goal(physics, goal):
        return camera.render_physics(camera.pose_at_goal(physics, goal))

    goal_image = np.asarray(jax.jit(render_goal)(state.physics, state.desired_goal))
    hand_start = env.mj_model.body_pos[env.hand]
    posed = state.physics.replace(qpos=state.desired_goal - hand_start)
    assert np.array_equal(goal_image, np.asarray(jax.jit(camera.render_physics)(posed)))
    assert not np.array_equal(goal_image, np.asarray(jax.jit(camera.render)(state)))


def test_sawyer_hand_shadow_shows_depth_along_a_camera_ray():
    """Sawyer has no arm: moved along a camera ray, the hand keeps its pixels. Its shadow on the
    table (a light overhead) is what moves, so each 6 cm step changes many pixels clearly."""
    env = envs.make("sawyer_reach")
    camera = Camera.for_env(env, 48)  # the shadow is about 2 x 1 pixels at 48 x 48
    physics = jax.jit(env.reset)(jax.random.PRNGKey(4)).physics
    origin, target = np.asarray(camera.view.position), np.asarray(camera.view.target)
    ray = (target - origin) / np.linalg.norm(target - origin)
    goals = np.array([0.0, 0.65, 0.175]) + np.array([-0.06, 0.0, 0.06])[:, None] * ray
    goals = np.concatenate([goals, [[5.0, 0.65, 0.175]]])  # far to the side: out of view
    posed = jax.vmap(lambda g: camera.pose_at_goal(physics, g))(jnp.asarray(goals, jnp.float32))
    images = np.asarray(jax.jit(jax.vmap(camera.render_physics))(posed)).astype(int)
    ids = np.asarray(jax.jit(jax.vmap(camera.geom_ids))(posed))
    table = ids == env.mj_model.geom("table").id
    brightness = images.sum(-1)
    dark = table & (brightness < 0.7 * brightness[3])  # against the table with no hand above
    assert all(dark[i].sum() > 0 for i in range(3))
    assert len({tuple(np.argwhere(dark[i]).ravel()) for i in range(3)}) == 3  # it moves
    for a, b in ((0, 1), (1, 2)):
        assert (np.abs(images[a] - images[b]).sum(-1) > 20).sum() >= 10


def test_sawyer_camera_sees_the_whole_hand_space():
    """At every corner of the hand space (every goal is in it) the hand shows whole at 48 x 48:
    several pixels, none on the image border. An earlier view cut it off at the near corners."""
    env = envs.make("sawyer_reach")
    camera = Camera.for_env(env, 48)
    physics = jax.jit(env.reset)(jax.random.PRNGKey(5)).physics
    low, high = np.asarray(env.hand_low), np.asarray(env.hand_high)
    corners = np.array(
        [[(low, high)[bit][axis] for axis, bit in enumerate(bits)] for bits in np.ndindex(2, 2, 2)]
    )
    posed = jax.vmap(lambda g: camera.pose_at_goal(physics, g))(jnp.asarray(corners, jnp.float32))
    hand = np.asarray(jax.jit(jax.vmap(camera.geom_ids))(posed)) == env.mj_model.geom("hand").id
    assert hand.sum(axis=(1, 2)).min() >= 4
    border = hand[:, [0, -1], :].any(axis=(1, 2)) | hand[:, :, [0, -1]].any(axis=(1, 2))
    assert not border.any()


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="size"):
        Camera.for_env(envs.make("reacher"), size=0)
    with pytest.raises(ValueError, match="env=PointMass"):
        Camera.for_env(envs.make("pointmass"))


def test_pose_at_goal_achieves_the_goal(scene):
    """MuJoCo's C kinematics of the posed qpos put the goal quantity on the goal."""
    name, env, camera, _, state = scene
    goal = np.asarray(state.desired_goal)
    posed = camera.pose_at_goal(state.physics, state.desired_goal)
    model = env.mj_model
    data = mujoco.MjData(model)
    data.qpos[:] = np.asarray(posed.qpos)
    mujoco.mj_kinematics(model, data)
    if name == "reacher":
        achieved = data.site("fingertip").xpos[:2]
    elif name == "sawyer_reach":
        achieved = data.body("hand").xpos
    else:  # fetch_push: the object's centre
        achieved = data.body("object").xpos
    np.testing.assert_allclose(achieved, goal, atol=1e-5)
