"""Image observations and image goals (hEM appendix C) for the state envs, as one mixin.

An env that mixes in `ImageInputs` (before GoalEnv) takes three constructor arguments:

    obs_type   = "state" | "image"   EnvState.obs is the env's vector, or uint8 [w, w, 3]
    goal_type  = "state" | "image"   EnvState.desired_goal is the goal vector, or uint8 [w, w, 3]
    image_size = 48                  w, the image side in pixels

With both types "state" nothing changes: `reset` and `step` are GoalEnv's, bit for bit.

`achieved_goal` always stays the low-dimensional quantity success is judged on, and
`compute_reward(achieved_goal, desired_goal)` always takes two low-dimensional goals [..., G].

Image goals. The policy sees the goal image, but rewards and relabelling need the goal vector,
so an image-goal env keeps both: `EnvState.desired_goal` is the goal image (what the rollout
feeds the policy), and `EnvState.physics` is `GoalPhysics(sim=<the env's own physics>,
goal=<the goal vector [G]>)`; `step` judges success on `physics.goal`. `goal_vector(state)`
returns the vector for either kind of env. The goal image is the scene posed at the goal
configuration (`render_goal`), drawn like an observation and without a goal marker, so for
point mass and Sawyer (whose whole pose is its goal; `goal_poses_scene`) the goal image of an
achieved goal equals the observation image of the step that achieved it.

Learners with image goals: hindsight relabelling draws new goals from the buffer's
`achieved_goal` (vectors); hEM's E-step turns them into the policy's input by taking the
stored observation frame of the step that reached the goal where that is exact
(`goal_images_are_observations`), else with `env.goal_image(goal_vector)` (pure,
jit/vmap-able; rendered from a fixed template of the scene). HER and the hybrid read image
observations through their own CNNs; their goals stay vectors, so `hemjax.config.validate`
refuses them with image goals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
from flax import struct

from envs.checks import check_choice, check_integer
from envs.core import EnvState

INPUT_TYPES = ("state", "image")
MIN_IMAGE_SIZE = 4
CHANNELS = 3

# (physics, achieved_goal [G]) -> uint8 [w, w, 3]: the scene as the policy sees it.
SceneFn = Callable[[Any, jax.Array], jax.Array]
# (goal [G], physics) -> uint8 [w, w, 3]: the scene posed at the goal configuration.
GoalFn = Callable[[jax.Array, Any], jax.Array]


@struct.dataclass(kw_only=True)
class GoalPhysics:
    """EnvState.physics of an image-goal env: `sim`, the env's own physics (a pytree), and
    `goal`, the episode's goal vector [G] float32 (desired_goal holds its image)."""

    sim: Any
    goal: jax.Array


def goal_vector(state: EnvState) -> jax.Array:
    """The low-dimensional desired goal [..., G] of any env's state (image goals or not)."""
    if isinstance(state.physics, GoalPhysics):
        return state.physics.goal
    return state.desired_goal


def sim_physics(state: EnvState) -> Any:
    """The env's own physics of any env's state (unwraps GoalPhysics)."""
    if isinstance(state.physics, GoalPhysics):
        return state.physics.sim
    return state.physics


class ImageInputs:
    """Mixin giving a GoalEnv subclass obs_type / goal_type / image_size (module docstring).

    The subclass calls `_setup_images(...)` at the end of its __init__ and defines
    `_image_renderers(size) -> (scene, goal)` (see SceneFn, GoalFn; `camera_renderers` for
    the MJX tasks).
    """

    obs_type: str = "state"
    goal_type: str = "state"
    image_size: int = 48
    # True where the achieved goal poses the whole scene (point mass, Sawyer): the goal image of
    # an achieved goal is then the observation image of the step that achieved it.
    goal_poses_scene: bool = False

    @property
    def goal_images_are_observations(self) -> bool:
        """True when relabelled goal images can be taken from stored observation frames."""
        return self.goal_poses_scene and self.obs_type == "image" and self.goal_type == "image"

    def _setup_images(self, obs_type: str, goal_type: str, image_size: int) -> None:
        self.obs_type = check_choice("obs_type", obs_type, INPUT_TYPES)
        self.goal_type = check_choice("goal_type", goal_type, INPUT_TYPES)
        self.image_size = check_integer("image_size", image_size, minimum=MIN_IMAGE_SIZE)
        self._scene = self._goal_render = None
        if self.uses_images:
            self._scene, self._goal_render = self._image_renderers(self.image_size)

    def _image_renderers(self, size: int) -> tuple[SceneFn, GoalFn]:
        raise NotImplementedError

    def _goal_template(self) -> Any:
        """The physics of a fixed episode start (PRNGKey(0)): the rest of the scene in a
        goal image drawn from a goal vector alone."""
        return self.init_episode(jax.random.PRNGKey(0)).physics

    @property
    def uses_images(self) -> bool:
        """True when observations or goals are images."""
        return self.obs_type == "image" or self.goal_type == "image"

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(w, w, 3), the shape of one image."""
        return (self.image_size, self.image_size, CHANNELS)

    @property
    def obs_shape(self) -> tuple[int, ...]:
        """(w, w, 3) for image observations, else (obs_size,)."""
        return self.image_shape if self.obs_type == "image" else (self.obs_size,)

    @property
    def goal_shape(self) -> tuple[int, ...]:
        """(w, w, 3) for image goals, else (goal_size,)."""
        return self.image_shape if self.goal_type == "image" else (self.goal_size,)

    def render_goal(self, goal: jax.Array, physics: Any) -> jax.Array:
        """uint8 [w, w, 3]: the scene of `physics` posed at goal vector [G] (no marker)."""
        if self._goal_render is None:
            raise ValueError("obs_type and goal_type are 'state': this env renders no images")
        return self._goal_render(goal, physics)

    def goal_image(self, goal: jax.Array) -> jax.Array:
        """uint8 [w, w, 3]: the goal image of a goal vector [G], posed from the fixed
        `_goal_template` (vmap for [B, G]); what relabelled image goals look like."""
        return self.render_goal(goal, self._goal_template())

    def _with_images(self, state: EnvState, goal_image: jax.Array | None) -> EnvState:
        """`state` (vector obs, goal vector) with images where asked; `goal_image` reuses
        the episode's already drawn goal image."""
        if self.obs_type == "image":
            state = state.replace(obs=self._scene(state.physics, state.achieved_goal))
        if self.goal_type == "image":
            goal = state.desired_goal
            if goal_image is None:
                goal_image = self._goal_render(goal, state.physics)
            state = state.replace(
                desired_goal=goal_image, physics=GoalPhysics(sim=state.physics, goal=goal)
            )
        return state

    def reset(self, key: jax.Array, training: bool = False) -> EnvState:
        state = super().reset(key, training)
        return self._with_images(state, None) if self.uses_images else state

    def step(self, state: EnvState, action: jax.Array) -> EnvState:
        if not self.uses_images:
            return super().step(state, action)
        goal_image = None
        if self.goal_type == "image":
            goal_image = state.desired_goal
            state = state.replace(desired_goal=state.physics.goal, physics=state.physics.sim)
        return self._with_images(super().step(state, action), goal_image)


def camera_renderers(env: Any, size: int) -> tuple[SceneFn, GoalFn]:
    """(scene, goal) renderers of an MJX task through its appendix-C camera (envs.camera):
    the scene as it is, and the scene posed at a goal by `Camera.pose_at_goal`."""
    from envs.camera import Camera

    camera = Camera.for_env(env, size=size)

    def scene(physics: Any, achieved_goal: jax.Array) -> jax.Array:
        del achieved_goal
        return camera.render_physics(physics)

    def goal(goal: jax.Array, physics: Any) -> jax.Array:
        return camera.render_physics(camera.pose_at_goal(physics, goal))

    return scene, goal
