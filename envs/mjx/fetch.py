"""Fetch reach, push, slide and pick-and-place (gymnasium-robotics Fetch*-v4) on lean MJX models.

Each task keeps gym's definition: frame and positions (table top at z = 0.4 m, initial grip
point, object start and goal distributions), action scale (0.05 m per unit), 0.04 s per env
step, observation layout and 0.05 m success threshold. The robot is a position-servoed gripper
instead of the 7-DoF arm (see the MJCF files in envs/mjx/assets and BUILD_NOTES.md).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import mujoco
from mujoco import mjx

from envs.checks import check_integer, check_positive, check_real, reject
from envs.core import Box, EpisodeStart, GoalEnv, Transition, within_distance
from envs.image_obs import GoalFn, ImageInputs, SceneFn, camera_renderers
from envs.mjx import sim

ENV_DT = 0.04  # seconds per env step (gym: 20 substeps of 0.002 s)
ACTION_SCALE = 0.05  # metres of commanded grip displacement per unit action
DISTANCE_THRESHOLD = 0.05
MIN_OBJECT_DISTANCE = 0.1  # gym resamples object starts closer than this to the gripper (xy)
AIR_PROBABILITY = 0.5  # pick-and-place goals lifted off the table ...
AIR_HEIGHT = 0.45  # ... by U(0, AIR_HEIGHT) metres
FINGER_OPEN = 0.05  # finger joint range [0, FINGER_OPEN] (gym's)
# Finger opening at which both inner faces touch the 5 cm box held at the grip point (each
# finger's inner face sits 0.0009 m + q from the grip point's plane; the box's half-width 0.025).
FINGER_ON_BOX = 0.0241
_EPS4 = 4 * 2.220446049250313e-16  # gym's threshold in mat2euler
# MJX's box-box contact can blow up when the fingers meet the object's edge while slightly
# overlapping it: the object leaves at ~1,600 rad/s, its spin grows ~5x per env step and the
# state is NaN four steps later (once in the first ~4,100 slide training episodes). A step
# that leaves the object faster than these (or any state non-finite) is undone.
MAX_OBJECT_SPEED = 10.0  # m/s; the grip point moves at most 1.25 m/s
MAX_OBJECT_SPIN = 200.0  # rad/s


@dataclasses.dataclass(frozen=True)
class FetchTask:
    """One task's constants (gym's values; positions in gym's world frame, metres).

    initial_grip: grip point at reset.
    workspace_low/high: box the commanded grip point is clipped to: the table's extent (gym's
        arm reaches about that far), fingertips above the table top, and for slide the arm's
        reach at table height (x <= 1.16 with gym's robot base there).
    target_offset: added to the goal's centre; target_range / obj_range: half-widths of the
        uniform goal / object-start boxes around initial_grip.
    """

    xml: str
    initial_grip: tuple[float, float, float]
    workspace_low: tuple[float, float, float]
    workspace_high: tuple[float, float, float]
    target_range: float
    has_object: bool = False
    has_fingers: bool = False  # False: gym's block_gripper (fingers held closed)
    obj_range: float = 0.0
    target_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    target_in_the_air: bool = False


_GRIP = (1.3419, 0.7491, 0.5347)  # gym's grip point after its reset (gripper_extra_height 0.2)
_TABLE_GRIP = (1.3419, 0.7491, 0.42)  # the same with the fingertips resting on the table
_LOW = (1.05, 0.40, 0.42)
_HIGH = (1.55, 1.10, 0.90)

REACH = FetchTask(
    xml="fetch_reach.xml",
    initial_grip=_GRIP,
    workspace_low=_LOW,
    workspace_high=_HIGH,
    target_range=0.15,
)
PUSH = FetchTask(
    xml="fetch_push.xml",
    initial_grip=_TABLE_GRIP,
    workspace_low=_LOW,
    workspace_high=_HIGH,
    target_range=0.15,
    has_object=True,
    obj_range=0.15,
)
SLIDE = FetchTask(
    xml="fetch_slide.xml",
    initial_grip=(0.9869, 0.7491, 0.42),  # gym's robot base sits 0.355 m further back for slide
    workspace_low=(0.70, 0.30, 0.42),  # slide's table is longer and wider
    workspace_high=(1.16, 1.20, 0.90),
    target_range=0.3,
    has_object=True,
    obj_range=0.1,
    target_offset=(0.4, 0.0, 0.0),
)
PICK_AND_PLACE = FetchTask(
    xml="fetch_pick_and_place.xml",
    initial_grip=_GRIP,
    workspace_low=_LOW,
    workspace_high=_HIGH,
    target_range=0.15,
    has_object=True,
    has_fingers=True,
    obj_range=0.15,
    target_in_the_air=True,
)


def quat_to_mat(quat: jax.Array) -> jax.Array:
    """[4] unit quaternion (w, x, y, z) -> [3, 3] rotation matrix."""
    w, x, y, z = quat
    return jnp.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def mat_to_euler(mat: jax.Array) -> jax.Array:
    """[3, 3] rotation matrix -> [3] Euler angles in gym's convention (rotations.mat2euler)."""
    cy = jnp.sqrt(mat[2, 2] ** 2 + mat[1, 2] ** 2)
    regular = cy > _EPS4
    return jnp.stack(
        [
            jnp.where(regular, -jnp.arctan2(mat[1, 2], mat[2, 2]), 0.0),
            -jnp.arctan2(-mat[0, 2], cy),
            jnp.where(
                regular,
                -jnp.arctan2(mat[0, 1], mat[0, 0]),
                -jnp.arctan2(-mat[1, 0], mat[1, 1]),
            ),
        ]
    )


class FetchEnv(ImageInputs, GoalEnv):
    """A Fetch task on its lean MJX model; subclasses pick the task.

    action: [4] float32 in [-1, 1] (clipped): grip displacement (x 0.05 m, clipped to the
        workspace) and a finger command (gym's: finger target = q + a[3]); tasks without
        fingers ignore a[3].
    obs: reach [10] = grip_pos 3, gripper_state 2, grip_velp 3, gripper_vel 2; object tasks
        [25] = grip_pos 3, object_pos 3, object_rel_pos 3, gripper_state 2, object_rot 3,
        object_velp 3 (relative to the grip point), object_velr 3, grip_velp 3, gripper_vel 2.
        Velocities are multiplied by the env step 0.04 s, as in gym; gripper_state is the two
        finger joint positions (zero when the fingers are held closed).
    goal: [3] grip point (reach) or object centre (others); success within 0.05 m.
    physics: the mjx.Data of the model.
    obs_type / goal_type "image" (envs.image_obs): uint8 [image_size, image_size, 3] from the
    camera at the robot (envs.camera); a goal image shows the grip point (reach) or the object
    (others) placed at the goal, the rest of the scene as it is.
    """

    task: FetchTask
    stochastic = False  # deterministic dynamics: no per-step key

    def __init__(
        self,
        max_steps: int = 50,
        timestep: float | None = None,
        solver_iterations: int | None = None,
        obs_type: str = "state",
        goal_type: str = "state",
        image_size: int = 48,
        grasped_start_probability: float = 0.0,
    ):
        """timestep / solver_iterations: physics overrides (None: the model file's, 0.005 s and
        8 for the object tasks). Coarser settings run faster and agree less with MuJoCo's C
        simulator; BUILD_NOTES.md ("Fetch physics time step") measures the trade-off.
        grasped_start_probability (pick-and-place only): the share of *training* episodes that
        start with the box already between the closed fingers (the exploration aid of the HER
        paper, Andrychowicz et al. 2017, section 4); evaluation always starts from gym's reset."""
        task = self.task
        self.max_steps = check_integer("max_steps", max_steps)
        self.grasped_start_probability = check_real(
            "grasped_start_probability", grasped_start_probability, 0.0, 1.0
        )
        if self.grasped_start_probability > 0 and not task.has_fingers:
            raise reject(
                "grasped_start_probability",
                grasped_start_probability,
                "0.0 for a task without fingers (only fetch_pick_and_place can grasp)",
            )
        self.action_space = Box(size=4, low=-1.0, high=1.0)
        self.obs_size = 25 if task.has_object else 10
        self.goal_size = 3
        self.mj_model = sim.load_mj_model(task.xml)
        if timestep is not None:
            divisor = f"None or a positive divisor of the {ENV_DT} s env step (e.g. 0.002, 0.005)"
            try:
                substeps = ENV_DT / check_positive("timestep", timestep)
            except ValueError:
                raise reject("timestep", timestep, divisor) from None
            if substeps < 1 or abs(substeps - round(substeps)) > 1e-6:
                raise reject("timestep", timestep, divisor)
            self.mj_model.opt.timestep = timestep
        if solver_iterations is not None:
            solver_iterations = check_integer("solver_iterations", solver_iterations)
            self.mj_model.opt.iterations = solver_iterations
            self.mj_model.opt.ls_iterations = solver_iterations
        self.model = sim.put_model(self.mj_model)
        self.n_substeps = round(ENV_DT / self.mj_model.opt.timestep)
        self.initial_grip = jnp.array(task.initial_grip, jnp.float32)
        self.workspace_low = jnp.array(task.workspace_low, jnp.float32)
        self.workspace_high = jnp.array(task.workspace_high, jnp.float32)
        self.grip_qpos = self._qpos_slice("grip_x", 3)
        self.grip_qvel = self._qvel_slice("grip_x", 3)
        if task.has_fingers:
            self.finger_qpos = self._qpos_slice("finger_r", 2)
            self.finger_qvel = self._qvel_slice("finger_r", 2)
        if task.has_object:
            self.object_qpos = self._qpos_slice("object", 7)
            self.object_qvel = self._qvel_slice("object", 6)
            table = self.mj_model.geom("table")
            half_height = float(self.mj_model.geom("object").size[2])
            # The object's centre when it rests on the table (gym's height_offset).
            self.object_rest_z = float(table.pos[2]) + half_height
        self._setup_images(obs_type, goal_type, image_size)

    def _image_renderers(self, size: int) -> tuple[SceneFn, GoalFn]:
        return camera_renderers(self, size)

    def _joint(self, name: str) -> int:
        return mujoco.mj_name2id(self.mj_model, mujoco.mjtObj.mjOBJ_JOINT, name)

    def _qpos_slice(self, joint: str, size: int) -> slice:
        start = int(self.mj_model.jnt_qposadr[self._joint(joint)])
        return slice(start, start + size)

    def _qvel_slice(self, joint: str, size: int) -> slice:
        start = int(self.mj_model.jnt_dofadr[self._joint(joint)])
        return slice(start, start + size)

    # ----------------------------------------------------------------- observations

    def _observe(self, data: mjx.Data) -> tuple[jax.Array, jax.Array]:
        """(obs [obs_size], achieved goal [3]) read from qpos / qvel."""
        grip = data.qpos[self.grip_qpos]
        grip_velp = data.qvel[self.grip_qvel] * ENV_DT
        if self.task.has_fingers:
            fingers = data.qpos[self.finger_qpos]
            finger_vel = data.qvel[self.finger_qvel] * ENV_DT
        else:
            fingers = finger_vel = jnp.zeros(2)
        if not self.task.has_object:
            obs = jnp.concatenate([grip, fingers, grip_velp, finger_vel])
            return obs.astype(jnp.float32), grip.astype(jnp.float32)
        object_qpos = data.qpos[self.object_qpos]
        object_qvel = data.qvel[self.object_qvel]
        position = object_qpos[:3]
        rotation = quat_to_mat(object_qpos[3:])
        velp = object_qvel[:3] * ENV_DT - grip_velp
        # A free joint's angular velocity is in the body frame; gym reports it in the world's.
        velr = rotation @ object_qvel[3:] * ENV_DT
        obs = jnp.concatenate(
            [
                grip,
                position,
                position - grip,
                fingers,
                mat_to_euler(rotation),
                velp,
                velr,
                grip_velp,
                finger_vel,
            ]
        )
        return obs.astype(jnp.float32), position.astype(jnp.float32)

    # ----------------------------------------------------------------- sampling

    def sample_object_xy(self, key: jax.Array) -> jax.Array:
        """[2] object start: initial grip xy + U(-obj_range, obj_range)^2, at least 0.1 away."""

        def too_close(carry: tuple[jax.Array, jax.Array]) -> jax.Array:
            return jnp.linalg.norm(carry[1]) < MIN_OBJECT_DISTANCE

        def resample(carry: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
            key, _ = carry
            key, sample_key = jax.random.split(key)
            r = self.task.obj_range
            return key, jax.random.uniform(sample_key, (2,), jnp.float32, -r, r)

        _, offset = jax.lax.while_loop(too_close, resample, (key, jnp.zeros(2, jnp.float32)))
        return self.initial_grip[:2] + offset

    def sample_goal(self, key: jax.Array) -> jax.Array:
        """[3] goal: initial grip + offset + U(-target_range, target_range)^3; object goals on the
        table top, lifted by U(0, 0.45) with probability 0.5 when target_in_the_air."""
        task = self.task
        box_key, air_key, height_key = jax.random.split(key, 3)
        r = task.target_range
        goal = (
            self.initial_grip
            + jnp.array(task.target_offset, jnp.float32)
            + jax.random.uniform(box_key, (3,), jnp.float32, -r, r)
        )
        if not task.has_object:
            return goal
        height = jnp.float32(self.object_rest_z)
        if task.target_in_the_air:
            lift = jax.random.uniform(height_key, (), jnp.float32, 0.0, AIR_HEIGHT)
            height = height + jnp.where(jax.random.uniform(air_key) < AIR_PROBABILITY, lift, 0.0)
        return goal.at[2].set(height)

    # ----------------------------------------------------------------- contract

    def init_episode(self, key: jax.Array) -> EpisodeStart:
        object_key, goal_key = jax.random.split(key)
        qpos = (
            jnp.asarray(self.mj_model.qpos0, jnp.float32).at[self.grip_qpos].set(self.initial_grip)
        )
        if self.task.has_object:
            start = jnp.concatenate(
                [
                    self.sample_object_xy(object_key),
                    jnp.array([self.object_rest_z, 1.0, 0.0, 0.0, 0.0], jnp.float32),
                ]
            )
            qpos = qpos.at[self.object_qpos].set(start)
        ctrl = jnp.zeros(self.mj_model.nu, jnp.float32).at[:3].set(self.initial_grip)
        data = sim.make_data(self.model).replace(qpos=qpos, ctrl=ctrl)
        obs, achieved = self._observe(data)
        goal = self.sample_goal(goal_key)
        return EpisodeStart(obs=obs, achieved_goal=achieved, desired_goal=goal, physics=data)

    def init_training_episode(self, key: jax.Array) -> EpisodeStart:
        """`init_episode`, or with probability grasped_start_probability the same draw with
        the grip point moved onto the box and the fingers closed on its sides."""
        start = self.init_episode(key)
        if self.grasped_start_probability == 0:
            return start
        data = start.physics
        box = data.qpos[self.object_qpos][:3]
        qpos = data.qpos.at[self.grip_qpos].set(box).at[self.finger_qpos].set(FINGER_ON_BOX)
        ctrl = data.ctrl.at[:3].set(box).at[3:].set(0.0)  # fingers commanded shut: a squeeze
        grasped_data = data.replace(qpos=qpos, ctrl=ctrl)
        obs, achieved = self._observe(grasped_data)
        grasped = EpisodeStart(
            obs=obs, achieved_goal=achieved, desired_goal=start.desired_goal, physics=grasped_data
        )
        take = jax.random.uniform(jax.random.fold_in(key, 1)) < self.grasped_start_probability
        return jax.tree.map(lambda g, s: jnp.where(take, g, s), grasped, start)

    def advance(self, data: mjx.Data, action: jax.Array, key: jax.Array) -> Transition:
        del key
        grip = data.qpos[self.grip_qpos]
        target = jnp.clip(grip + ACTION_SCALE * action[:3], self.workspace_low, self.workspace_high)
        ctrl = target
        if self.task.has_fingers:
            fingers = jnp.clip(data.qpos[self.finger_qpos] + action[3], 0.0, FINGER_OPEN)
            ctrl = jnp.concatenate([target, fingers])
        stepped = sim.step(self.model, data.replace(ctrl=ctrl.astype(jnp.float32)), self.n_substeps)
        if self.task.has_object:
            stepped = self._undo_blow_up(data, stepped)
        obs, achieved = self._observe(stepped)
        return Transition(obs=obs, achieved_goal=achieved, physics=stepped)

    def _undo_blow_up(self, before: mjx.Data, after: mjx.Data) -> mjx.Data:
        """`after`, or `before` where the step blew up (see MAX_OBJECT_SPEED)."""
        velocity = after.qvel[self.object_qvel]
        sane = (
            jnp.all(jnp.isfinite(after.qpos))
            & jnp.all(jnp.isfinite(after.qvel))
            & (jnp.linalg.norm(velocity[:3]) < MAX_OBJECT_SPEED)
            & (jnp.linalg.norm(velocity[3:]) < MAX_OBJECT_SPIN)
        )
        return jax.tree.map(lambda a, b: jnp.where(sane, a, b), after, before)

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        return within_distance(achieved_goal, desired_goal, DISTANCE_THRESHOLD)


class FetchReach(FetchEnv):
    """Move the grip point to a goal within +-0.15 m of its start (gym FetchReach)."""

    task = REACH


class FetchPush(FetchEnv):
    """Push a 5 cm box to a goal on the table, fingers held closed (gym FetchPush)."""

    task = PUSH


class FetchSlide(FetchEnv):
    """Strike a low-friction puck to a goal on the table, mostly out of the arm's reach
    (gym FetchSlide)."""

    task = SLIDE


class FetchPickAndPlace(FetchEnv):
    """Grasp a 5 cm box and carry it to a goal, in the air half of the time
    (gym FetchPickAndPlace)."""

    task = PICK_AND_PLACE
