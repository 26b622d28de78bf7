"""Sawyer reach (multiworld's SawyerReachXYZEnv; hEM appendix C.1) in MJX: a mocap-driven hand."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco
from mujoco import mjx

from envs.checks import check_choice, check_integer, check_positive
from envs.core import Box, EpisodeStart, GoalEnv, Transition, within_distance
from envs.image_obs import GoalFn, ImageInputs, SceneFn, camera_renderers
from envs.mjx import sim

# multiworld's SawyerXYZEnv defaults: the hand (and mocap) space, in metres.
HAND_LOW = (-0.2, 0.55, 0.05)
HAND_HIGH = (0.2, 0.75, 0.3)
# Success rules and their default thresholds (metres). The paper states no threshold. "l2"
# (||hand - goal||_2 < 0.05) is this project's own choice and the default; "multiworld_l1"
# is multiworld's SawyerReachXYZEnv success (norm_order=1, indicator_threshold=0.06).
SUCCESS_THRESHOLDS = {"l2": 0.05, "multiworld_l1": 0.06}


class SawyerReach(ImageInputs, GoalEnv):
    """Move the end effector to a 3-D goal; |S| = |G| = |A| = 3; T = 50, ends at the first success.

    action: [3] float32 in [-1, 1]; the mocap target moves by `action_scale * action` (metres)
        per env step, clipped to the hand space, and the welded hand follows it over
        `n_substeps` physics steps of 0.01 s.
    obs = achieved goal: [3] hand position xyz.
    goal: [3] uniform in the hand space [HAND_LOW, HAND_HIGH].
    Success (`success_rule`): "l2", ||hand - goal||_2 < `threshold` (default 0.05 m), or
        "multiworld_l1", ||hand - goal||_1 < `threshold` (default 0.06 m, multiworld's).
    Start: hand and mocap at (0, 0.55, 0.05), multiworld's reset position (0, 0.5, 0.02)
    clipped into the hand space (where multiworld's first action puts the mocap).
    obs_type / goal_type "image" (envs.image_obs): uint8 [image_size, image_size, 3] from the
    camera at the robot (envs.camera); a goal image shows the hand at the goal, which is
    exactly the observation image of a state whose hand is there.
    """

    goal_poses_scene = True  # the goal is the whole pose: goal images are observations
    stochastic = False  # deterministic dynamics: no per-step key

    def __init__(
        self,
        max_steps: int = 50,
        action_scale: float = 0.01,
        threshold: float | None = None,
        n_substeps: int = 2,
        success_rule: str = "l2",
        obs_type: str = "state",
        goal_type: str = "state",
        image_size: int = 48,
    ):
        """threshold: None takes the success rule's (SUCCESS_THRESHOLDS)."""
        self.obs_size = 3
        self.goal_size = 3
        self.action_space = Box(size=3, low=-1.0, high=1.0)
        self.max_steps = check_integer("max_steps", max_steps)
        self.action_scale = check_positive("action_scale", action_scale)
        self.success_rule = check_choice("success_rule", success_rule, list(SUCCESS_THRESHOLDS))
        if threshold is None:
            threshold = SUCCESS_THRESHOLDS[success_rule]
        self.threshold = check_positive("threshold", threshold)
        self.n_substeps = check_integer("n_substeps", n_substeps)
        self.mj_model = sim.load_mj_model("sawyer.xml")
        self.model = sim.put_model(self.mj_model)
        self.hand = mujoco.mj_name2id(self.mj_model, mujoco.mjtObj.mjOBJ_BODY, "hand")
        self.hand_low = jnp.asarray(HAND_LOW, jnp.float32)
        self.hand_high = jnp.asarray(HAND_HIGH, jnp.float32)
        self._setup_images(obs_type, goal_type, image_size)

    def _image_renderers(self, size: int) -> tuple[SceneFn, GoalFn]:
        return camera_renderers(self, size)

    def init_episode(self, key: jax.Array) -> EpisodeStart:
        data = sim.kinematics(self.model, sim.make_data(self.model))
        hand = data.xpos[self.hand].astype(jnp.float32)
        goal = jax.random.uniform(key, (3,), jnp.float32, self.hand_low, self.hand_high)
        return EpisodeStart(obs=hand, achieved_goal=hand, desired_goal=goal, physics=data)

    def advance(self, data: mjx.Data, action: jax.Array, key: jax.Array) -> Transition:
        del key
        delta = self.action_scale * action
        mocap = jnp.clip(data.mocap_pos[0] + delta, self.hand_low, self.hand_high)
        data = data.replace(mocap_pos=mocap[None].astype(data.mocap_pos.dtype))
        data = sim.step(self.model, data, self.n_substeps)
        hand = data.xpos[self.hand].astype(jnp.float32)
        return Transition(obs=hand, achieved_goal=hand, physics=data)

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        if self.success_rule == "l2":
            return within_distance(achieved_goal, desired_goal, self.threshold)
        distance = jnp.sum(jnp.abs(achieved_goal - desired_goal), axis=-1)
        return (distance < self.threshold).astype(jnp.float32)
