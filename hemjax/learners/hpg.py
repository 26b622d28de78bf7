"""Hindsight policy gradients (Rauber et al. 2019): the weighted per-decision estimator with a
baseline, for Discrete action spaces, on-policy (appendix C.4 of the hEM paper).

Each iteration collects `num_envs` episodes by sampling the policy (no epsilon: the estimator's
importance ratios need the behaviour policy to be pi itself), takes as alternative goals G the
distinct goals those episodes achieved at s_1..s_L (all of them, as the authors' default does,
or `goals_per_episode` drawn per episode), and takes one Adam step on

  grad J = 1/|G| sum_g sum_i sum_t grad log pi(a_t^i | s_t^i, g)
           * [ sum_{t' >= t} w_t'^i(g) r_t'^i(g)  -  w_t^i(g) b(s_t^i, g, t) ],
  w_t^i(g) = rho_t^i(g) / sum_j rho_t^j(g),
  rho_t^i(g) = prod_{k <= t} pi(a_k | s_k, g) / pi(a_k | s_k, g^i)

(sums over j run over every device's episodes). r_t(g) = 1 if action t reaches g first, and
the episode is cut there, as the env would have ended it; data after an episode's own end at
L does not exist, so its steps count as absent. `hpg_reward` picks r: "success" pays 1 (this
project's binary reward), "remaining_steps" pays T - t for 0-based t, the steps left, as the
authors' bit-flip does (T - t + 1 for their 1-based t). The baseline b is a value network
V(s, g, t/T) fitted to the Monte Carlo return of each episode's own goal, as the authors fit
theirs to their own goals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import ml_collections
import optax
from flax import struct

from envs import Discrete, GoalEnv
from hemjax.actor_critic import MLP
from hemjax.buffer import Episodes
from hemjax.learners.base import device_mean, greedy_success, make_optimizer
from hemjax.networks import Params, Policy
from hemjax.rollout import rollout

LogProbFn = Callable[[Params, jax.Array, jax.Array, jax.Array], jax.Array]


@struct.dataclass(kw_only=True)
class HPGParams:
    policy: Params  # categorical policy pi(a | s, g)
    baseline: Params  # value network V(s, g, t/T)


@struct.dataclass(kw_only=True)
class HPGState:
    params: HPGParams
    opt_state: optax.OptState
    key: jax.Array  # uint32 [2]
    iteration: jax.Array  # [] int32, iterations done


def _axis_sum(x: jax.Array, axis_name: str | None) -> jax.Array:
    return x if axis_name is None else jax.lax.psum(x, axis_name)


def goal_returns(
    episodes: Episodes, goal: jax.Array, compute_reward: Callable, horizon: int | None = None
) -> tuple[jax.Array, jax.Array]:
    """For one goal g [G]: alive [E, T] (action t would be taken under g) and reward [E, T]
    (nonzero where action t reaches g for the first time: 1, or horizon - t if a horizon is
    given)."""
    steps = jnp.arange(episodes.action.shape[1])
    reached = compute_reward(episodes.achieved_goal, goal) > 0  # [E, T+1]
    reached_before = jnp.cumsum(reached, axis=1)[:, :-1] > 0  # g reached at some s_k, k <= t
    alive = (steps[None, :] < episodes.length[:, None]) & ~reached_before
    pay = 1.0 if horizon is None else (horizon - steps).astype(jnp.float32)
    return alive, (alive & reached[:, 1:]) * pay


def hpg_surrogate(
    log_prob: LogProbFn,
    params: Params,
    episodes: Episodes,
    goals: jax.Array,
    goal_valid: jax.Array,
    baseline: Callable[[jax.Array], jax.Array],
    compute_reward: Callable,
    axis_name: str | None = None,
    goal_chunk: int = 64,
    horizon: int | None = None,
) -> jax.Array:
    """A scalar whose gradient in `params` is this device's share of the estimator above.

    episodes: E on-policy episodes of this device; goals [M, G] with goal_valid [M] (the same on
    every device); baseline(g [G]) -> b(s_t, g, t) [E, T], held fixed; horizon as in
    `goal_returns`. Goals are processed
    `goal_chunk` at a time and recomputed in the backward pass, so memory does not grow with M.
    """
    obs, act = episodes.obs[:, :-1], episodes.action  # [E, T, O], [E, T]
    own_goal = jnp.broadcast_to(episodes.desired_goal[:, None], (*act.shape, goals.shape[-1]))
    behaviour = jax.lax.stop_gradient(log_prob(params, obs, own_goal, act))  # [E, T]

    @jax.checkpoint
    def one_goal(goal_and_valid: tuple[jax.Array, jax.Array]) -> jax.Array:
        goal, valid = goal_and_valid
        alive, reward = goal_returns(episodes, goal, compute_reward, horizon)
        log_pi = log_prob(params, obs, jnp.broadcast_to(goal, own_goal.shape), act)  # [E, T]
        log_rho = jnp.cumsum(jnp.where(alive, jax.lax.stop_gradient(log_pi) - behaviour, 0), 1)
        log_rho = jnp.where(alive, log_rho, -jnp.inf)
        top = jnp.max(log_rho, axis=0)  # [T], for a stable exp
        if axis_name is not None:
            top = jax.lax.pmax(top, axis_name)
        top = jnp.where(jnp.isfinite(top), top, 0.0)
        rho = jnp.exp(log_rho - top)  # 0 where not alive
        weight = rho / jnp.maximum(_axis_sum(jnp.sum(rho, axis=0), axis_name), 1e-30)
        to_go = jnp.cumsum((weight * reward)[:, ::-1], axis=1)[:, ::-1]
        advantage = jax.lax.stop_gradient(to_go - weight * baseline(goal))
        return valid * jnp.sum(jnp.where(alive, log_pi * advantage, 0.0))

    per_goal = jax.lax.map(one_goal, (goals, goal_valid), batch_size=goal_chunk)  # [M]
    return jnp.sum(per_goal) / jnp.maximum(jnp.sum(goal_valid), 1.0)


@dataclasses.dataclass(frozen=True)
class HPGLearner:
    """Pure functions of an HPGState; `num_envs` is the per-device share."""

    env: GoalEnv
    policy: Policy
    value: MLP  # V([s, g, t/T]) -> [1]
    optimizer: optax.GradientTransformation
    num_envs: int
    goals_per_episode: int = 0  # 0: every goal the episodes achieved
    reward_horizon: int | None = None  # None: reward 1; T: reaching with action t pays T - t
    axis_name: str | None = None

    def init(self, params_key: jax.Array, data_key: jax.Array) -> HPGState:
        """params_key: shared by every device of a seed; data_key: this device's own."""
        policy_key, value_key = jax.random.split(params_key)
        inputs = jnp.zeros((self.env.obs_size + self.env.goal_size + 1,))
        params = HPGParams(
            policy=self.policy.init(policy_key), baseline=self.value.init(value_key, inputs)
        )
        return HPGState(
            params=params,
            opt_state=self.optimizer.init(params),
            key=data_key,
            iteration=jnp.zeros((), jnp.int32),
        )

    def values(self, baseline: Params, obs: jax.Array, goal: jax.Array) -> jax.Array:
        """V(s_t, g, t/T) for obs [..., T, O] and goal [..., T, G]: [..., T]."""
        steps = obs.shape[-2]
        time = jnp.broadcast_to(jnp.arange(steps) / self.env.max_steps, obs.shape[:-1])
        inputs = jnp.concatenate([obs, goal, time[..., None]], axis=-1)
        return self.value.apply(baseline, inputs)[..., 0]

    def _alternative_goals(self, episodes: Episodes, key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Goals achieved at s_1..s_L (all, or `goals_per_episode` uniform draws per episode),
        gathered over devices, duplicates masked out: goals [M, G], valid [M]."""
        length = episodes.length[:, None]
        if self.goals_per_episode == 0:
            steps = jnp.arange(1, episodes.obs.shape[1])[None, :]  # [1, T]
            valid = steps <= length
        else:
            u = jax.random.uniform(key, (length.shape[0], self.goals_per_episode))
            steps = jnp.minimum(1 + jnp.floor(u * length).astype(jnp.int32), jnp.maximum(length, 1))
            valid = jnp.broadcast_to(length > 0, steps.shape)
        goals = jnp.take_along_axis(episodes.achieved_goal, steps[..., None], axis=1)
        goals, valid = goals.reshape(-1, goals.shape[-1]), valid.reshape(-1)
        if self.axis_name is not None:
            goals = jax.lax.all_gather(goals, self.axis_name, tiled=True)
            valid = jax.lax.all_gather(valid, self.axis_name, tiled=True)
        index = jnp.arange(goals.shape[0])

        def seen_before(m: jax.Array) -> jax.Array:  # an equal valid goal at an earlier index
            return jnp.any(jnp.all(goals == goals[m], axis=-1) & valid & (index < m))

        duplicate = jax.lax.map(seen_before, index, batch_size=64)  # row by row: no [M, M, G]
        return goals, (valid & ~duplicate).astype(jnp.float32)

    def loss(
        self, params: HPGParams, episodes: Episodes, goals: jax.Array, goal_valid: jax.Array
    ) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
        """-surrogate + this device's share of the baseline's squared error (both sum over
        devices to the single-device loss)."""
        obs = episodes.obs[:, :-1]
        steps = jnp.arange(obs.shape[1])
        alive = steps[None, :] < episodes.length[:, None]  # [E, T]
        own_goal = jnp.broadcast_to(episodes.desired_goal[:, None], (*alive.shape, goals.shape[-1]))
        success = self.env.compute_reward(
            episodes.achieved_goal[jnp.arange(alive.shape[0]), episodes.length],
            episodes.desired_goal,
        )  # [E]
        # The own goal's Monte Carlo return from every step: paid once, by action L - 1.
        if self.reward_horizon is None:
            returns = success
        else:
            returns = success * (self.reward_horizon - episodes.length + 1)
        error = (self.values(params.baseline, obs, own_goal) - returns[:, None]) ** 2
        count = _axis_sum(jnp.sum(alive), self.axis_name)
        baseline_loss = jnp.sum(jnp.where(alive, error, 0.0)) / jnp.maximum(count, 1)
        surrogate = hpg_surrogate(
            self.policy.log_prob,
            params.policy,
            episodes,
            goals,
            goal_valid,
            lambda g: self.values(params.baseline, obs, jnp.broadcast_to(g, own_goal.shape)),
            self.env.compute_reward,
            self.axis_name,
            horizon=self.reward_horizon,
        )
        return baseline_loss - surrogate, (surrogate, baseline_loss)

    def iteration_step(self, state: HPGState) -> tuple[HPGState, dict[str, jax.Array]]:
        """Collect on-policy episodes, then one Adam step on the estimator and the baseline."""
        key, collect_key, goal_key = jax.random.split(state.key, 3)

        def act(obs: jax.Array, goal: jax.Array, key: jax.Array) -> jax.Array:
            return self.policy.explore(state.params.policy, obs, goal, key, 0.0, 0.0)

        episodes, success = rollout(
            self.env, act, lambda a: a, collect_key, self.num_envs, training=True
        )
        goals, goal_valid = self._alternative_goals(episodes, goal_key)
        grads, (surrogate, baseline_loss) = jax.grad(self.loss, has_aux=True)(
            state.params, episodes, goals, goal_valid
        )
        grads = _axis_sum(grads, self.axis_name)
        updates, opt_state = self.optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics = {
            "loss": _axis_sum(baseline_loss - surrogate, self.axis_name),
            "surrogate": _axis_sum(surrogate, self.axis_name),
            "baseline_loss": _axis_sum(baseline_loss, self.axis_name),
            "train_success": device_mean(jnp.mean(success.astype(jnp.float32)), self.axis_name),
            "episode_length": device_mean(
                jnp.mean(episodes.length.astype(jnp.float32)), self.axis_name
            ),
        }
        new_state = HPGState(
            params=params, opt_state=opt_state, key=key, iteration=state.iteration + 1
        )
        return new_state, metrics

    def greedy_action(self, params: HPGParams, obs: jax.Array, goal: jax.Array) -> jax.Array:
        """The most likely action under pi(. | s, g): int32 [B]."""
        return self.policy.greedy(params.policy, obs, goal)

    def evaluate(self, params: HPGParams, key: jax.Array, num_episodes: int) -> jax.Array:
        """Greedy success rate on `num_episodes` fresh goals (averaged over devices): []."""
        return greedy_success(self, params, key, num_episodes)


def make_learner(
    config: ml_collections.ConfigDict, env: GoalEnv, num_devices: int, axis_name: str | None
) -> HPGLearner:
    """HPG for one device's share of a validated config (Discrete action spaces only)."""
    if not isinstance(env.action_space, Discrete):
        raise ValueError(
            "algo='hpg' is not allowed for continuous actions: one of hem, her, hybrid"
        )
    hidden = tuple(config.hidden_sizes)
    return HPGLearner(
        env=env,
        policy=Policy(env=env, hidden_sizes=hidden),
        value=MLP(hidden_sizes=hidden, output_size=1),
        optimizer=make_optimizer(config, 1),
        num_envs=config.num_envs // num_devices,
        goals_per_episode=config.hpg_goals_per_episode,
        reward_horizon=env.max_steps if config.hpg_reward == "remaining_steps" else None,
        axis_name=axis_name,
    )
