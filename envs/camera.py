"""A pinhole camera for the MJX tasks, in pure JAX: one ray per pixel against the model's geoms.

    camera = Camera.for_env(envs.make("reacher"), size=48)
    image = camera.render(state)                      # uint8 [48, 48, 3]
    images = jax.jit(jax.vmap(camera.render))(states) # uint8 [B, 48, 48, 3]

Inside an env, before an EnvState exists: `camera.render_physics(data)`; a goal image is
`camera.render_physics(camera.pose_at_goal(data, goal))`, the scene with the goal achieved.

The camera is fixed in the world (appendix C: top-down over Reacher, at the robot looking at
the workspace for Fetch and Sawyer), so the ray directions are constants computed once. Each
frame refreshes the geom poses with `mjx.kinematics`, intersects every ray with every geom in
the geom's own frame (planes, spheres, capsules and boxes: the primitives these models use),
keeps the nearest hit and colours it by the geom's rgba with Lambert shading (a head light and
a light from above) and a mild depth falloff, so height and depth read. Sawyer's moving geoms
also cast shadows straight down onto the fixed ones: its model has no arm, so without them a
hand moved 6 cm along a camera ray changed 20 pixels by about 2 levels each, and goals closer
than that along a ray could not be told apart. The goal, which is not part of the models, is
drawn as a red sphere only when `show_goal=True`. Sites are not drawn.

Own intersection code rather than `mujoco.mjx.ray`: it yields the hit normal for shading, draws
the goal marker without editing the model, and needs no dummy material row. The geom each
pixel shows is checked against `mujoco.mj_ray` and MuJoCo's OpenGL renderer (tests/test_camera.py).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
from mujoco import mjx

from envs.core import EnvState, GoalEnv

BACKGROUND = (25, 25, 35)
GOAL_RGB = (0.9, 0.1, 0.1)
MIN_SIZE = 2
MISS = jnp.inf
_EPS = 1e-9
SHADOW = 0.55  # brightness left in a shadow
_SHADOW_LIFT = 1e-4  # metres: shadow rays start this far above the surface they leave

PLANE = int(mujoco.mjtGeom.mjGEOM_PLANE)
SPHERE = int(mujoco.mjtGeom.mjGEOM_SPHERE)
CAPSULE = int(mujoco.mjtGeom.mjGEOM_CAPSULE)
BOX = int(mujoco.mjtGeom.mjGEOM_BOX)
SUPPORTED = {PLANE: "plane", SPHERE: "sphere", CAPSULE: "capsule", BOX: "box"}


@dataclasses.dataclass(frozen=True)
class View:
    """Where a camera sits (world metres) and what it sees; fovy: vertical angle in degrees."""

    position: tuple[float, float, float]
    target: tuple[float, float, float]
    up: tuple[float, float, float]
    fovy: float

    def axes(self) -> np.ndarray:
        """[3, 3] rows: right, up, backward (MuJoCo's camera frame: it looks along -z)."""
        forward = np.subtract(self.target, self.position).astype(np.float64)
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, self.up)
        right /= np.linalg.norm(right)
        return np.stack([right, np.cross(right, forward), -forward])

    def ray_directions(self, size: int) -> np.ndarray:
        """Unit directions [size * size, 3] of the rays through the pixel centres, row-major
        from the top-left pixel."""
        right, up, backward = self.axes()
        half = math.tan(math.radians(self.fovy) / 2)
        ticks = ((np.arange(size) + 0.5) / size * 2 - 1) * half
        v, u = np.meshgrid(-ticks, ticks, indexing="ij")  # row 0 at the top
        directions = u[..., None] * right + v[..., None] * up - backward
        directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
        return directions.reshape(-1, 3).astype(np.float32)


# Vectors in the intersection code are (x, y, z) tuples of arrays: a last axis of 3 vectorises
# poorly on CPU, [P, G] arrays per component do well.
Vec = tuple[jax.Array, jax.Array, jax.Array]


def _local(origin: jax.Array, directions: jax.Array, pos: jax.Array, mat: jax.Array):
    """Rays in each geom's frame: origins ([G],) * 3 and directions ([P, G],) * 3."""
    relative = origin[None] - pos  # [G, 3]
    o = tuple(jnp.sum(relative * mat[:, :, j], axis=-1) for j in range(3))
    d = tuple(directions @ mat[:, :, j].T for j in range(3))  # [P, 3] @ [3, G]
    return o, d


def _dot(a: Vec, b: Vec) -> jax.Array:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _safe(x: jax.Array) -> jax.Array:
    return jnp.where(jnp.abs(x) < _EPS, jnp.where(x < 0, -_EPS, _EPS), x)


def _sphere(o: Vec, d: Vec, radius: jax.Array) -> jax.Array:
    """Nearest positive hit distance [P, G] of unit rays o + t d with spheres at the origin."""
    b = _dot(o, d)
    c = _dot(o, o) - radius**2
    disc = b * b - c
    root = jnp.sqrt(jnp.maximum(disc, 0.0))
    near, far = -b - root, -b + root
    t = jnp.where(near > 0, near, far)
    return jnp.where((disc >= 0) & (t > 0), t, MISS)


def _hit_plane(o: Vec, d: Vec, size: jax.Array) -> jax.Array:
    """Planes (finite, size[0] x size[1] half-extents, front face only, as mj_ray)."""
    t = -o[2] / _safe(d[2])
    x, y = o[0] + t * d[0], o[1] + t * d[1]
    inside = ((size[:, 0] <= 0) | (jnp.abs(x) <= size[:, 0])) & (
        (size[:, 1] <= 0) | (jnp.abs(y) <= size[:, 1])
    )
    return jnp.where((d[2] < 0) & (t > 0) & inside, t, MISS)


def _hit_sphere(o: Vec, d: Vec, size: jax.Array) -> jax.Array:
    return _sphere(o, d, size[:, 0])


def _hit_capsule(o: Vec, d: Vec, size: jax.Array) -> jax.Array:
    """Capsules along local z: radius size[0], half-length size[1]."""
    radius, half = size[:, 0], size[:, 1]
    # Side: the infinite cylinder x^2 + y^2 = r^2, kept where |z| <= half.
    a = _safe(d[0] ** 2 + d[1] ** 2)
    b = o[0] * d[0] + o[1] * d[1]
    c = o[0] ** 2 + o[1] ** 2 - radius**2
    disc = b * b - a * c
    root = jnp.sqrt(jnp.maximum(disc, 0.0))
    near, far = (-b - root) / a, (-b + root) / a
    t_side = jnp.where(near > 0, near, far)
    z = o[2] + t_side * d[2]
    t_side = jnp.where((disc >= 0) & (t_side > 0) & (jnp.abs(z) <= half), t_side, MISS)
    # Caps: spheres at z = +-half.
    top = _sphere((o[0], o[1], o[2] - half), d, radius)
    bottom = _sphere((o[0], o[1], o[2] + half), d, radius)
    return jnp.minimum(t_side, jnp.minimum(top, bottom))


def _hit_box(o: Vec, d: Vec, size: jax.Array) -> jax.Array:
    """Boxes of half-extents size[0:3] (slab test)."""
    near, far = -MISS, MISS
    for axis in range(3):
        inverse = 1.0 / _safe(d[axis])
        t1 = (-size[:, axis] - o[axis]) * inverse
        t2 = (size[:, axis] - o[axis]) * inverse
        near = jnp.maximum(near, jnp.minimum(t1, t2))
        far = jnp.minimum(far, jnp.maximum(t1, t2))
    t = jnp.where(near > 0, near, far)
    return jnp.where((near <= far) & (t > 0), t, MISS)


_HITS = {PLANE: _hit_plane, SPHERE: _hit_sphere, CAPSULE: _hit_capsule, BOX: _hit_box}


def _local_normal(kind: int, point: Vec, size: jax.Array) -> Vec:
    """Outward normal (unnormalised) at surface points ([P, G],) * 3 of geoms of one type,
    in their own frames; size: [G, 3]."""
    x, y, z = point
    if kind == PLANE:
        return jnp.zeros_like(x), jnp.zeros_like(y), jnp.ones_like(z)
    if kind == CAPSULE:
        return x, y, z - jnp.clip(z, -size[:, 1], size[:, 1])
    if kind == BOX:
        scaled = [jnp.abs(c) / jnp.maximum(size[:, j], _EPS) for j, c in enumerate(point)]
        face_x = (scaled[0] >= scaled[1]) & (scaled[0] >= scaled[2])
        face_y = ~face_x & (scaled[1] >= scaled[2])
        faces = (face_x, face_y, ~face_x & ~face_y)
        return tuple(jnp.where(f, jnp.sign(c), 0.0) for f, c in zip(faces, point, strict=True))
    return point  # sphere


def _reacher_pose(env: GoalEnv, data: mjx.Data, goal: jax.Array) -> mjx.Data:
    """Joint angles that put the fingertip on the goal (elbow-positive inverse kinematics)."""
    upper, fore = env.upper_length, env.fore_length
    cos_elbow = (jnp.sum(goal**2) - upper**2 - fore**2) / (2 * upper * fore)
    elbow = jnp.arccos(jnp.clip(cos_elbow, -1.0, 1.0))
    shoulder = jnp.arctan2(goal[1], goal[0]) - jnp.arctan2(
        fore * jnp.sin(elbow), upper + fore * jnp.cos(elbow)
    )
    return data.replace(qpos=jnp.stack([shoulder, elbow]).astype(data.qpos.dtype))


def _sawyer_pose(env: GoalEnv, data: mjx.Data, goal: jax.Array) -> mjx.Data:
    """Hand slide joints that put the hand on the goal."""
    start = jnp.asarray(env.mj_model.body_pos[env.hand], data.qpos.dtype)
    return data.replace(qpos=(goal - start).astype(data.qpos.dtype))


def _fetch_pose(env: GoalEnv, data: mjx.Data, goal: jax.Array) -> mjx.Data:
    """The grip point (reach) or the object's centre (other tasks) on the goal."""
    where = env.object_qpos if env.task.has_object else env.grip_qpos
    start = where.start
    return data.replace(qpos=data.qpos.at[start : start + 3].set(goal.astype(data.qpos.dtype)))


@dataclasses.dataclass(frozen=True)
class Setup:
    """Per-task camera view, goal marker and goal pose (see `for_env`)."""

    view: View
    goal_radius: float
    goal_height: float | None  # z of a 2-D goal; None for 3-D goals
    pose: Callable[[GoalEnv, mjx.Data, jax.Array], mjx.Data]
    shadows: bool = False  # moving geoms shade the fixed ones below them


def _setup(env: GoalEnv) -> Setup:
    from envs.mjx.fetch import FetchEnv
    from envs.mjx.reacher import Reacher
    from envs.mjx.sawyer import SawyerReach

    if isinstance(env, Reacher):
        top_down = View(position=(0.0, 0.0, 0.75), target=(0.0, 0.0, 0.0), up=(0, 1, 0), fovy=35)
        return Setup(view=top_down, goal_radius=0.012, goal_height=0.01, pose=_reacher_pose)
    if isinstance(env, SawyerReach):
        # High behind the hand space, looking down: every goal (the whole hand space) is in
        # view, and the hand's shadow falls on the table below it.
        at_robot = View(position=(0.0, 0.3, 0.95), target=(0.0, 0.6, 0.12), up=(0, 0, 1), fovy=40)
        return Setup(
            view=at_robot, goal_radius=0.02, goal_height=None, pose=_sawyer_pose, shadows=True
        )
    if isinstance(env, FetchEnv):
        table = env.mj_model.geom("table")
        x, y, z = (float(v) for v in table.pos)
        reach = float(table.size[0])  # the slide table is longer: step back further
        at_robot = View(
            position=(x - reach - 0.5, y, z + 0.65), target=(x, y, z + 0.1), up=(0, 0, 1), fovy=40
        )
        return Setup(view=at_robot, goal_radius=0.02, goal_height=None, pose=_fetch_pose)
    raise ValueError(
        f"env={type(env).__name__} is not allowed: Reacher, SawyerReach or a Fetch task"
    )


class Hits(NamedTuple):
    """Per pixel: geom id [w, w] int32 (-1 nothing, ngeom the goal marker), distance [w, w]
    (inf where nothing), unit normal facing the camera [w, w, 3], geom colour [w, w, 3],
    shadowed [w, w] bool (a fixed surface with a moving geom straight above it)."""

    geom: jax.Array
    distance: jax.Array
    normal: jax.Array
    colour: jax.Array
    shadowed: jax.Array


@dataclasses.dataclass(frozen=True, eq=False)  # hashed by identity: usable as a static arg
class Camera:
    """Renders MJX env states to uint8 [size, size, 3] (see the module docstring).

    model: the env's mjx.Model (for kinematics). view: the camera pose.
    directions: [size * size, 3] unit rays. groups: (geom type, geom ids) of each drawn type;
    casters: the same for the moving geoms that cast shadows (none unless setup.shadows).
    rgb: [ngeom, 3] geom colours in [0, 1]; geom_size: [ngeom, 3] geom sizes.
    goal_radius: the goal marker's radius, at least 0.75 pixel at the target's distance.
    """

    env: GoalEnv
    model: mjx.Model
    size: int
    view: View
    directions: np.ndarray
    groups: tuple[tuple[int, tuple[int, ...]], ...]
    casters: tuple[tuple[int, tuple[int, ...]], ...]
    rgb: np.ndarray
    geom_size: np.ndarray
    setup: Setup
    goal_radius: float
    show_goal: bool = False

    @classmethod
    def for_env(cls, env: GoalEnv, size: int = 48, show_goal: bool = False) -> Camera:
        """The appendix-C camera of a Reacher, SawyerReach or Fetch env."""
        if not isinstance(size, int) or size < MIN_SIZE:
            raise ValueError(f"size={size!r} is not allowed: an integer >= {MIN_SIZE}")
        setup = _setup(env)
        mj_model = env.mj_model
        visible = [i for i in range(mj_model.ngeom) if mj_model.geom_rgba[i, 3] > 0]
        for i in visible:
            if int(mj_model.geom_type[i]) not in SUPPORTED:
                raise ValueError(
                    f"geom {mj_model.geom(i).name or i} of type {int(mj_model.geom_type[i])} is "
                    f"not allowed: the camera draws {', '.join(SUPPORTED.values())}"
                )
        groups = tuple(
            (kind, tuple(i for i in visible if int(mj_model.geom_type[i]) == kind))
            for kind in SUPPORTED
        )
        moving = {i for i in visible if mj_model.body_weldid[mj_model.geom_bodyid[i]] != 0}
        casters = tuple((kind, tuple(i for i in ids if i in moving)) for kind, ids in groups)
        view = setup.view
        distance = float(np.linalg.norm(np.subtract(view.target, view.position)))
        pixel = 2 * math.tan(math.radians(view.fovy) / 2) * distance / size
        return cls(
            env=env,
            model=env.model,
            size=size,
            view=setup.view,
            directions=setup.view.ray_directions(size),
            groups=tuple((kind, ids) for kind, ids in groups if ids),
            casters=tuple((kind, ids) for kind, ids in casters if ids) if setup.shadows else (),
            rgb=np.asarray(mj_model.geom_rgba[:, :3], np.float32),
            geom_size=np.asarray(mj_model.geom_size, np.float32),
            setup=setup,
            goal_radius=max(setup.goal_radius, 0.75 * pixel),  # visible at small sizes too
            show_goal=show_goal,
        )

    def goal_point(self, goal: jax.Array) -> jax.Array:
        """The world point [3] a goal vector [G] marks (2-D goals at the marker height)."""
        if self.setup.goal_height is None:
            return goal[:3]
        return jnp.concatenate([goal[:2], jnp.full((1,), self.setup.goal_height, goal.dtype)])

    def geom_ids(self, data: mjx.Data, goal: jax.Array | None = None) -> jax.Array:
        """Which geom every pixel shows: int32 [size, size]; -1 nothing, ngeom the goal marker."""
        return self._trace(data, goal).geom

    def _trace(self, data: mjx.Data, goal: jax.Array | None):
        """What every pixel's ray hits first (see Hits)."""
        data = mjx.kinematics(self.model, data)
        origin = jnp.asarray(self.view.position, jnp.float32)
        directions = jnp.asarray(self.directions)
        geoms = []  # (type, geom ids, positions [G, 3], rotations [G, 3, 3], sizes [G, 3])
        for kind, group in self.groups:
            index = np.asarray(group)
            pos = data.geom_xpos[index].astype(jnp.float32)
            mat = data.geom_xmat[index].reshape(-1, 3, 3).astype(jnp.float32)
            geoms.append((kind, index, pos, mat, jnp.asarray(self.geom_size[index])))
        if goal is not None:
            centre = self.goal_point(goal).astype(jnp.float32)[None]
            size = jnp.full((1, 3), self.goal_radius, jnp.float32)
            ngeom = np.array([self.env.mj_model.ngeom])
            geoms.append((SPHERE, ngeom, centre, jnp.eye(3, dtype=jnp.float32)[None], size))
        distances = []
        for kind, _, pos, mat, size in geoms:
            o, d = _local(origin, directions, pos, mat)
            distances.append(_HITS[kind](o, d, size))
        distance = jnp.concatenate(distances, axis=1)  # [P, G']
        nearest = jnp.argmin(distance, axis=1)
        t = jnp.min(distance, axis=1)
        hit = jnp.isfinite(t)
        # Every candidate's normal at the hit point (elementwise over [P, G']), then the nearest
        # one's by a masked sum: cheaper on CPU than gathering per-pixel geom properties.
        point = [origin[i] + jnp.where(hit, t, 0.0) * directions[:, i] for i in range(3)]
        normals = []
        for kind, _, pos, mat, size in geoms:
            relative = [point[i][:, None] - pos[:, i] for i in range(3)]  # [P, G]
            local = tuple(sum(relative[i] * mat[:, i, j] for i in range(3)) for j in range(3))
            n = _local_normal(kind, local, size)
            normals.append([sum(mat[:, i, j] * n[j] for j in range(3)) for i in range(3)])
        chosen = jnp.arange(distance.shape[1]) == nearest[:, None]  # [P, G']
        normal = [
            jnp.sum(jnp.where(chosen, jnp.concatenate([n[i] for n in normals], 1), 0.0), 1)
            for i in range(3)
        ]
        length = jnp.maximum(jnp.sqrt(sum(c * c for c in normal)), _EPS)
        facing = -jnp.sign(sum(normal[i] * directions[:, i] for i in range(3)) + _EPS)
        normal = jnp.stack([c * facing / length for c in normal], axis=-1)
        all_ids = np.concatenate([index for _, index, *_ in geoms]).astype(np.int32)
        rgb = np.concatenate([self.rgb, np.asarray([GOAL_RGB], np.float32)])[all_ids]
        colour = jnp.stack(
            [jnp.sum(jnp.where(chosen, rgb[:, c], 0.0), axis=1) for c in range(3)], axis=-1
        )
        geom = jnp.where(hit, jnp.sum(jnp.where(chosen, all_ids, 0), axis=1), -1)
        shape = (self.size, self.size)
        return Hits(
            geom=geom.reshape(shape),
            distance=t.reshape(shape),
            normal=normal.reshape(shape + (3,)),
            colour=colour.reshape(shape + (3,)),
            shadowed=self._shadowed(data, point, geom).reshape(shape),
        )

    def _shadowed(self, data: mjx.Data, point: list[jax.Array], geom: jax.Array) -> jax.Array:
        """[P] bool: pixels showing a fixed geom at `point` ([P],) * 3 with a caster straight
        above (a light overhead). data: after kinematics; geom: [P] ids as in Hits."""
        if not self.casters:
            return jnp.zeros(geom.shape, bool)
        is_caster = np.zeros(self.env.mj_model.ngeom + 2, bool)  # index -1 (nothing): False
        for _, ids in self.casters:
            is_caster[list(ids)] = True
        shadowed = jnp.zeros(geom.shape, bool)
        for kind, group in self.casters:
            index = np.asarray(group)
            pos = data.geom_xpos[index].astype(jnp.float32)
            mat = data.geom_xmat[index].reshape(-1, 3, 3).astype(jnp.float32)
            lifted = (point[0], point[1], point[2] + _SHADOW_LIFT)
            relative = [lifted[i][:, None] - pos[:, i] for i in range(3)]  # [P, G]
            o = tuple(sum(relative[i] * mat[:, i, j] for i in range(3)) for j in range(3))
            d = tuple(mat[:, 2, j] for j in range(3))  # world up in each geom's frame: [G]
            t = _HITS[kind](o, d, jnp.asarray(self.geom_size[index]))
            shadowed |= jnp.any(jnp.isfinite(t), axis=1)
        return shadowed & (geom >= 0) & ~jnp.asarray(is_caster)[geom]

    def render_physics(self, data: mjx.Data, goal: jax.Array | None = None) -> jax.Array:
        """uint8 [w, w, 3] of the scene in `data`, with a goal marker at `goal` when given."""
        hits = self._trace(data, goal)
        normal, t = hits.normal, hits.distance
        towards_camera = -jnp.asarray(self.directions).reshape(normal.shape)
        head = jnp.maximum(jnp.sum(normal * towards_camera, axis=-1), 0.0)
        above = jnp.maximum(normal[..., 2], 0.0)
        reference = float(np.linalg.norm(np.subtract(self.view.target, self.view.position)))
        depth = jnp.clip(1.2 - 0.3 * t / reference, 0.6, 1.0)
        shade = (0.35 + 0.45 * head + 0.2 * above) * depth * jnp.where(hits.shadowed, SHADOW, 1.0)
        pixels = jnp.clip(hits.colour * shade[..., None] * 255.0 + 0.5, 0, 255).astype(jnp.uint8)
        return jnp.where((hits.geom >= 0)[..., None], pixels, jnp.asarray(BACKGROUND, jnp.uint8))

    def render(self, state: EnvState) -> jax.Array:
        """uint8 [w, w, 3] of one env state (vmap for a batch); the goal only if show_goal."""
        from envs.image_obs import goal_vector, sim_physics

        goal = goal_vector(state) if self.show_goal else None
        return self.render_physics(sim_physics(state), goal)

    def pose_at_goal(self, data: mjx.Data, goal: jax.Array) -> mjx.Data:
        """`data` moved to the configuration that achieves `goal` (the env's goal vector):
        Reacher by inverse kinematics, Sawyer's hand and Fetch's grip point or object placed on
        it. For envs rendering image goals: render_physics(pose_at_goal(data, goal))."""
        return self.setup.pose(self.env, data, goal)
