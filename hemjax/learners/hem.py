"""The hEM learner (one seed on one device): its state, its training iteration, its evaluation.

The iteration is Algorithm 1 of the paper: collect N episodes with exploration, write them into
the replay buffer, then a few Adam steps on relabelled samples (partial E- and M-steps). When
`axis_name` is given, gradients and metrics are averaged over that mapped device axis.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import ml_collections
import optax
from flax import struct

from envs import GoalEnv
from hemjax import buffer as replay
from hemjax.hindsight import Batch, sample_batch
from hemjax.learners.base import device_mean, greedy_success, make_optimizer
from hemjax.losses import nll_loss
from hemjax.networks import Params, Policy
from hemjax.rollout import rollout


@struct.dataclass(kw_only=True)
class LearnerState:
    """Everything one learner needs to continue exactly."""

    params: Params
    opt_state: optax.OptState
    buffer: replay.ReplayBuffer
    key: jax.Array  # uint32 [2]
    iteration: jax.Array  # [] int32, iterations done


@dataclasses.dataclass(frozen=True)
class Learner:
    """Pure functions of a LearnerState; `num_envs`, `batch_size` and `buffer_episodes` are the
    per-device shares of the config's global numbers."""

    env: GoalEnv
    policy: Policy
    optimizer: optax.GradientTransformation
    num_envs: int
    batch_size: int
    buffer_episodes: int
    updates_per_iteration: int
    hindsight: str
    sample_weighting: str  # "episode" or "transition" (hindsight.WEIGHTINGS)
    epsilon: float
    action_noise: float
    anneal_iterations: int = 0
    final_noise_fraction: float = 1.0
    axis_name: str | None = None

    def init(self, params_key: jax.Array, data_key: jax.Array) -> LearnerState:
        """params_key: shared by every device of a seed; data_key: this device's own."""
        params = self.policy.init(params_key)
        example = jax.eval_shape(self._collect, params, data_key)[0]
        return LearnerState(
            params=params,
            opt_state=self.optimizer.init(params),
            buffer=replay.init_buffer(example, self.buffer_episodes),
            key=data_key,
            iteration=jnp.zeros((), jnp.int32),
        )

    def noise_scale(self, iteration: jax.Array) -> jax.Array:
        """action_noise at `iteration`, annealed linearly over anneal_iterations: []."""
        if self.anneal_iterations == 0:
            return jnp.asarray(self.action_noise, jnp.float32)
        progress = jnp.minimum(iteration / self.anneal_iterations, 1.0)
        return self.action_noise * (1.0 - (1.0 - self.final_noise_fraction) * progress)

    def _collect(self, params: Params, key: jax.Array, iteration: jax.Array | int = 0):
        noise = self.noise_scale(jnp.asarray(iteration, jnp.float32))

        def act(obs: jax.Array, goal: jax.Array, key: jax.Array) -> jax.Array:
            return self.policy.explore(params, obs, goal, key, self.epsilon, noise)

        return rollout(self.env, act, self.policy.to_env_action, key, self.num_envs, training=True)

    def _mean(self, x: jax.Array) -> jax.Array:
        return device_mean(x, self.axis_name)

    def update(
        self, params: Params, opt_state: optax.OptState, batch: Batch
    ) -> tuple[Params, optax.OptState, jax.Array]:
        """One Adam step on the NLL of `batch`; returns (params, opt_state, loss)."""
        loss, grads = jax.value_and_grad(lambda p: nll_loss(self.policy, p, batch))(params)
        grads, loss = self._mean(grads), self._mean(loss)
        updates, opt_state = self.optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def _goal_input(self) -> dict:
        """How relabelled goal vectors become the policy's goal input (`sample_batch`'s
        goal_input / goal_from_obs): as they are, their stored frames, or drawn images."""
        if getattr(self.env, "goal_images_are_observations", False):
            return {"goal_from_obs": True}
        if getattr(self.env, "goal_type", "state") == "image":
            return {"goal_input": jax.vmap(self.env.goal_image)}
        return {}

    def iteration_step(self, state: LearnerState) -> tuple[LearnerState, dict[str, jax.Array]]:
        """Collect, insert, then `updates_per_iteration` relabelled Adam steps."""
        key, collect_key, update_key = jax.random.split(state.key, 3)
        episodes, success = self._collect(state.params, collect_key, state.iteration)
        buffer = replay.add_episodes(state.buffer, episodes)

        def one_update(
            carry: tuple[Params, optax.OptState], key: jax.Array
        ) -> tuple[tuple[Params, optax.OptState], jax.Array]:
            params, opt_state = carry
            batch = sample_batch(
                buffer,
                key,
                self.batch_size,
                self.hindsight,
                self.env.compute_reward,
                self.sample_weighting,
                **self._goal_input(),
            )
            params, opt_state, loss = self.update(params, opt_state, batch)
            return (params, opt_state), loss

        (params, opt_state), losses = jax.lax.scan(
            one_update,
            (state.params, state.opt_state),
            jax.random.split(update_key, self.updates_per_iteration),
        )
        metrics = {
            "loss": losses[-1],
            "train_success": self._mean(jnp.mean(success.astype(jnp.float32))),
            "episode_length": self._mean(jnp.mean(episodes.length.astype(jnp.float32))),
        }
        new_state = LearnerState(
            params=params,
            opt_state=opt_state,
            buffer=buffer,
            key=key,
            iteration=state.iteration + 1,
        )
        return new_state, metrics

    def greedy_action(self, params: Params, obs: jax.Array, goal: jax.Array) -> jax.Array:
        """The policy's most likely action, in the env's action space."""
        return self.policy.to_env_action(self.policy.greedy(params, obs, goal))

    def evaluate(self, params: Params, key: jax.Array, num_episodes: int) -> jax.Array:
        """Greedy success rate on `num_episodes` fresh goals (averaged over devices): []."""
        return greedy_success(self, params, key, num_episodes)


def make_learner(
    config: ml_collections.ConfigDict, env: GoalEnv, num_devices: int, axis_name: str | None
) -> Learner:
    """The learner for one device's share of a validated config."""
    return Learner(
        env=env,
        policy=Policy(
            env=env,
            hidden_sizes=tuple(config.hidden_sizes),
            initial_std=config.policy_std,
            learn_std=config.learn_std,
        ),
        optimizer=make_optimizer(config, config.updates_per_iteration),
        num_envs=config.num_envs // num_devices,
        batch_size=config.batch_size // num_devices,
        buffer_episodes=config.buffer_episodes // num_devices,
        updates_per_iteration=config.updates_per_iteration,
        hindsight=config.hindsight,
        sample_weighting=config.sample_weighting,
        epsilon=config.epsilon,
        action_noise=config.action_noise,
        anneal_iterations=config.anneal_iterations,
        final_noise_fraction=config.final_noise_fraction,
        axis_name=axis_name,
    )
