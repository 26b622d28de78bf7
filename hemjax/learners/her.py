"""HER (Andrychowicz et al. 2017) on hEM's machinery: DDPG + HER for Box actions, double DQN +
HER for Discrete ones, and the HER + hEM hybrid (appendix C.5) as a flag of the DDPG agent.

One iteration, as a cycle of OpenAI baselines' HER: collect `num_envs` episodes (random action
with probability `random_action_probability`, else the actor's action plus Gaussian noise, or
epsilon-greedy for DQN), write them into the episode buffer, merge them into the running
observation/goal statistics, take `updates_per_iteration` Adam steps on `future`-relabelled
transitions, then move the target networks once by Polyak averaging.

Bootstrapping. Every env here ends an episode at its first success, so a transition that
reaches its (possibly relabelled) goal is terminal: its target is the reward alone. Baselines
does not mask because its Fetch episodes run on after success; with termination, masking is what
makes Q the value of the task the policy is evaluated on. Timeouts are not terminal (the time
left is not in the state). Hence the return ranges used to clip targets: -1/0 rewards give
returns in [-1/(1-gamma), 0]; 0/1 rewards give at most one 1, so returns lie in [0, 1].

Hybrid. The hEM term is the log-likelihood of hEM's relabelled (s, a, g) samples (the config's
`hindsight` strategy, same buffer) under N(pi(s, g), sigma^2) with sigma = exploration_noise:
the buffer's actions are, 70% of the time, the actor's output plus noise of exactly that std, so
this is the behaviour density around the actor and the term stays on the scale of the noise.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import optax
from flax import struct

from envs import Box, Discrete, GoalEnv
from hemjax import buffer as replay
from hemjax.actor_critic import Actor, Critic, QNetwork
from hemjax.hindsight import (
    REWARD_CONVENTIONS,
    Batch,
    Transitions,
    sample_batch,
    sample_transitions,
)
from hemjax.learners.base import device_mean, greedy_success, make_optimizer
from hemjax.normalizer import RunningStats, init_stats, normalize, update_stats
from hemjax.rollout import rollout


@struct.dataclass(kw_only=True)
class HERParams:
    """Everything needed to act and to continue: online and target networks, normaliser."""

    online: dict[str, Any]  # {"actor", "critic"} (DDPG) or {"q"} (DQN)
    target: dict[str, Any]  # the same networks, Polyak-averaged
    obs_stats: RunningStats
    goal_stats: RunningStats


@struct.dataclass(kw_only=True)
class HERState:
    """Everything one HER learner needs to continue exactly."""

    params: HERParams
    opt_state: optax.OptState
    buffer: replay.ReplayBuffer
    key: jax.Array  # uint32 [2]
    iteration: jax.Array  # [] int32, iterations done


def return_range(convention: str, gamma: float) -> tuple[float, float]:
    """The values a discounted return can take with termination at success."""
    if convention == "-1/0":
        return -1.0 / (1.0 - gamma), 0.0
    if convention == "0/1":
        return 0.0, 1.0
    raise ValueError(f"her_reward={convention!r} is not allowed: one of {list(REWARD_CONVENTIONS)}")


def critic_target(
    reward: jax.Array, terminal: jax.Array, next_q: jax.Array, gamma: float, convention: str
) -> jax.Array:
    """r + gamma (1 - terminal) Q'(s', a', g), clipped to the return range: [B]."""
    low, high = return_range(convention, gamma)
    target = reward + gamma * (1.0 - terminal.astype(jnp.float32)) * next_q
    return jax.lax.stop_gradient(jnp.clip(target, low, high))


def _masked_mean(x: jax.Array, valid: jax.Array) -> jax.Array:
    return jnp.sum(valid * x) / jnp.maximum(jnp.sum(valid), 1.0)


def gaussian_nll(mean: jax.Array, std: float, batch: Batch) -> jax.Array:
    """hEM's M-step loss for a Gaussian of fixed std around `mean` [B, A]: -sum_i w_i
    log N(a_i; mean_i, std^2) / max(sum_i w_i, 1), as `losses.nll_loss` weights it."""
    z = (batch.action - mean) / std
    log_prob = jnp.sum(-0.5 * z**2 - math.log(std) - 0.5 * math.log(2 * math.pi), axis=-1)
    return -jnp.sum(batch.weight * log_prob) / jnp.maximum(jnp.sum(batch.weight), 1.0)


@dataclasses.dataclass(frozen=True)
class DDPG:
    """DDPG on normalised inputs and actions in [-1, 1]^A; with `hybrid_eta` > 0 the actor also
    fits hEM's relabelled actions under N(pi(s, g), `hybrid_std`^2) (the HER + hEM hybrid)."""

    actor: Actor
    critic: Critic
    gamma: float
    convention: str
    action_l2: float
    random_action_probability: float
    exploration_noise: float
    hybrid_eta: float = 0.0
    hybrid_std: float = 0.2

    def init(self, key: jax.Array, obs: jax.Array, goal: jax.Array) -> dict[str, Any]:
        """Online networks for one example obs [O] (or an image) and goal [G]."""
        actor_key, critic_key = jax.random.split(key)
        action = jnp.zeros((self.actor.action_size,))
        return {
            "actor": self.actor.init(actor_key, obs, goal),
            "critic": self.critic.init(critic_key, obs, action, goal),
        }

    def greedy(self, online: dict[str, Any], obs: jax.Array, goal: jax.Array) -> jax.Array:
        return self.actor.apply(online["actor"], obs, goal)

    def explore(
        self, online: dict[str, Any], obs: jax.Array, goal: jax.Array, key: jax.Array
    ) -> jax.Array:
        """A uniform action with probability random_action_probability, else pi(s, g) plus
        N(0, exploration_noise^2) (the box is [-1, 1], so the noise is a fraction of it)."""
        coin_key, uniform_key, noise_key = jax.random.split(key, 3)
        action = self.greedy(online, obs, goal)
        noisy = action + self.exploration_noise * jax.random.normal(noise_key, action.shape)
        uniform = jax.random.uniform(uniform_key, action.shape, minval=-1.0, maxval=1.0)
        use_uniform = (
            jax.random.uniform(coin_key, action.shape[:-1]) < self.random_action_probability
        )
        return jnp.where(use_uniform[..., None], uniform, jnp.clip(noisy, -1.0, 1.0))

    def losses(
        self,
        online: dict[str, Any],
        target: dict[str, Any],
        batch: Transitions,
        demos: Batch | None,
    ) -> dict[str, jax.Array]:
        """critic_loss, actor_loss (and hem_nll); the actor's terms do not move the critic."""
        next_action = self.actor.apply(target["actor"], batch.next_obs, batch.goal)
        next_q = self.critic.apply(target["critic"], batch.next_obs, next_action, batch.goal)
        y = critic_target(batch.reward, batch.terminal, next_q, self.gamma, self.convention)
        q = self.critic.apply(online["critic"], batch.obs, batch.action, batch.goal)
        pi = self.actor.apply(online["actor"], batch.obs, batch.goal)
        q_pi = self.critic.apply(jax.lax.stop_gradient(online["critic"]), batch.obs, pi, batch.goal)
        actor_loss = _masked_mean(-q_pi + self.action_l2 * jnp.mean(pi**2, axis=-1), batch.valid)
        out = {
            "critic_loss": _masked_mean((q - y) ** 2, batch.valid),
            "q": _masked_mean(q, batch.valid),
        }
        if demos is not None:
            mean = self.actor.apply(online["actor"], demos.obs, demos.goal)
            out["hem_nll"] = gaussian_nll(mean, self.hybrid_std, demos)
            actor_loss = actor_loss + self.hybrid_eta * out["hem_nll"]
        out["actor_loss"] = actor_loss
        return out


@dataclasses.dataclass(frozen=True)
class DQN:
    """Double DQN: the online network picks a', the target network values it."""

    q_network: QNetwork
    gamma: float
    convention: str
    random_action_probability: float
    hybrid_eta: float = 0.0  # no hybrid for discrete actions

    def init(self, key: jax.Array, obs: jax.Array, goal: jax.Array) -> dict[str, Any]:
        """The online network for one example obs [O] (or an image) and goal [G]."""
        return {"q": self.q_network.init(key, obs, goal)}

    def greedy(self, online: dict[str, Any], obs: jax.Array, goal: jax.Array) -> jax.Array:
        return jnp.argmax(self.q_network.apply(online["q"], obs, goal), axis=-1).astype(jnp.int32)

    def explore(
        self, online: dict[str, Any], obs: jax.Array, goal: jax.Array, key: jax.Array
    ) -> jax.Array:
        """Epsilon-greedy with epsilon = random_action_probability."""
        coin_key, uniform_key = jax.random.split(key)
        action = self.greedy(online, obs, goal)
        uniform = jax.random.randint(
            uniform_key, action.shape, 0, self.q_network.num_actions, jnp.int32
        )
        use_uniform = jax.random.uniform(coin_key, action.shape) < self.random_action_probability
        return jnp.where(use_uniform, uniform, action)

    def losses(
        self,
        online: dict[str, Any],
        target: dict[str, Any],
        batch: Transitions,
        demos: Batch | None,
    ) -> dict[str, jax.Array]:
        del demos
        next_action = self.greedy(online, batch.next_obs, batch.goal)
        next_values = self.q_network.apply(target["q"], batch.next_obs, batch.goal)
        next_q = jnp.take_along_axis(next_values, next_action[:, None], axis=-1)[:, 0]
        y = critic_target(batch.reward, batch.terminal, next_q, self.gamma, self.convention)
        values = self.q_network.apply(online["q"], batch.obs, batch.goal)
        q = jnp.take_along_axis(values, batch.action[:, None], axis=-1)[:, 0]
        return {
            "critic_loss": _masked_mean((q - y) ** 2, batch.valid),
            "q": _masked_mean(q, batch.valid),
            "actor_loss": jnp.zeros(()),
        }


@dataclasses.dataclass(frozen=True)
class HERLearner:
    """Pure functions of a HERState; `num_envs`, `batch_size` and `buffer_episodes` are the
    per-device shares of the config's global numbers."""

    env: GoalEnv
    agent: DDPG | DQN
    optimizer: optax.GradientTransformation
    num_envs: int
    batch_size: int
    buffer_episodes: int
    updates_per_iteration: int
    relabel_probability: float
    convention: str
    polyak: float
    obs_clip: float
    hem_hindsight: str = "future"  # the hybrid's hEM samples
    sample_weighting: str = "episode"  # replay draw (hindsight.WEIGHTINGS)
    image_obs: bool = False  # uint8 image observations: a CNN reads them, no statistics
    axis_name: str | None = None

    def init(self, params_key: jax.Array, data_key: jax.Array) -> HERState:
        """params_key: shared by every device of a seed; data_key: this device's own."""
        obs = jnp.zeros(self.env.obs_shape, jnp.uint8 if self.image_obs else jnp.float32)
        online = self.agent.init(params_key, obs, jnp.zeros((self.env.goal_size,)))
        params = HERParams(
            online=online,
            target=online,
            obs_stats=init_stats(0 if self.image_obs else self.env.obs_size),
            goal_stats=init_stats(self.env.goal_size),
        )
        example = jax.eval_shape(self._collect, params, data_key)[0]
        return HERState(
            params=params,
            opt_state=self.optimizer.init(online),
            buffer=replay.init_buffer(example, self.buffer_episodes),
            key=data_key,
            iteration=jnp.zeros((), jnp.int32),
        )

    def _obs_input(self, params: HERParams, obs: jax.Array) -> jax.Array:
        """Normalised vector observations; images pass unchanged (the CNN scales them)."""
        return obs if self.image_obs else normalize(params.obs_stats, obs, self.obs_clip)

    def _inputs(
        self, params: HERParams, obs: jax.Array, goal: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        return self._obs_input(params, obs), normalize(params.goal_stats, goal, self.obs_clip)

    def _to_env_action(self, action: jax.Array) -> jax.Array:
        space = self.env.action_space
        if isinstance(space, Box):
            return space.low + (action + 1.0) * 0.5 * (space.high - space.low)
        return action

    def _collect(self, params: HERParams, key: jax.Array):
        def act(obs: jax.Array, goal: jax.Array, key: jax.Array) -> jax.Array:
            return self.agent.explore(params.online, *self._inputs(params, obs, goal), key)

        return rollout(self.env, act, self._to_env_action, key, self.num_envs, training=True)

    def _update_stats(self, params: HERParams, episodes: replay.Episodes) -> HERParams:
        """Observations s_0..s_L (vectors only) and goals (achieved ones s_1..s_L, and the
        desired ones)."""
        steps = jnp.arange(episodes.obs.shape[1])
        upto = steps[None, :] <= episodes.length[:, None]  # [E, T+1]
        reached = upto & (steps[None, :] >= 1)
        goals = jnp.concatenate(
            [episodes.achieved_goal.reshape(-1, self.env.goal_size), episodes.desired_goal]
        )
        goal_mask = jnp.concatenate([reached.reshape(-1), jnp.ones(episodes.length.shape, bool)])
        params = params.replace(
            goal_stats=update_stats(params.goal_stats, goals, goal_mask, self.axis_name)
        )
        if self.image_obs:
            return params
        obs = episodes.obs.reshape(-1, self.env.obs_size)
        return params.replace(
            obs_stats=update_stats(params.obs_stats, obs, upto.reshape(-1), self.axis_name)
        )

    def loss(
        self,
        online: dict[str, Any],
        params: HERParams,
        batch: Transitions,
        demos: Batch | None,
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """The summed losses of normalised batches (actor and critic terms touch disjoint
        parameters, so one Adam over both equals two), and every term for the metrics."""
        obs, goal = self._inputs(params, batch.obs, batch.goal)
        next_obs = self._obs_input(params, batch.next_obs)
        batch = batch.replace(obs=obs, goal=goal, next_obs=next_obs)
        if demos is not None:
            demo_obs, demo_goal = self._inputs(params, demos.obs, demos.goal)
            demos = demos.replace(obs=demo_obs, goal=demo_goal)
        terms = self.agent.losses(online, params.target, batch, demos)
        return terms["critic_loss"] + terms["actor_loss"], terms

    def update(
        self,
        params: HERParams,
        opt_state: optax.OptState,
        batch: Transitions,
        demos: Batch | None,
    ) -> tuple[HERParams, optax.OptState, dict[str, jax.Array]]:
        """One Adam step on the device-averaged gradient; returns (params, opt_state, terms)."""
        grads, terms = jax.grad(self.loss, has_aux=True)(params.online, params, batch, demos)
        grads, terms = device_mean(grads, self.axis_name), device_mean(terms, self.axis_name)
        updates, opt_state = self.optimizer.update(grads, opt_state, params.online)
        return params.replace(online=optax.apply_updates(params.online, updates)), opt_state, terms

    def iteration_step(self, state: HERState) -> tuple[HERState, dict[str, jax.Array]]:
        """Collect, insert, update the statistics, Adam steps, then one Polyak step."""
        key, collect_key, update_key = jax.random.split(state.key, 3)
        episodes, success = self._collect(state.params, collect_key)
        buffer = replay.add_episodes(state.buffer, episodes)
        params = self._update_stats(state.params, episodes)

        def one_update(
            carry: tuple[HERParams, optax.OptState], key: jax.Array
        ) -> tuple[tuple[HERParams, optax.OptState], dict[str, jax.Array]]:
            params, opt_state = carry
            transition_key, demo_key = jax.random.split(key)
            batch = sample_transitions(
                buffer,
                transition_key,
                self.batch_size,
                self.relabel_probability,
                self.convention,
                self.env.compute_reward,
                self.sample_weighting,
            )
            demos = None
            if self.agent.hybrid_eta > 0:
                demos = sample_batch(
                    buffer,
                    demo_key,
                    self.batch_size,
                    self.hem_hindsight,
                    self.env.compute_reward,
                    self.sample_weighting,
                )
            params, opt_state, terms = self.update(params, opt_state, batch, demos)
            return (params, opt_state), terms

        (params, opt_state), terms = jax.lax.scan(
            one_update,
            (params, state.opt_state),
            jax.random.split(update_key, self.updates_per_iteration),
        )
        target = jax.tree.map(
            lambda t, o: self.polyak * t + (1.0 - self.polyak) * o, params.target, params.online
        )
        metrics = {
            "loss": terms["critic_loss"][-1] + terms["actor_loss"][-1],
            **{name: value[-1] for name, value in terms.items()},
            "train_success": device_mean(jnp.mean(success.astype(jnp.float32)), self.axis_name),
            "episode_length": device_mean(
                jnp.mean(episodes.length.astype(jnp.float32)), self.axis_name
            ),
        }
        new_state = HERState(
            params=params.replace(target=target),
            opt_state=opt_state,
            buffer=buffer,
            key=key,
            iteration=state.iteration + 1,
        )
        return new_state, metrics

    def greedy_action(self, params: HERParams, obs: jax.Array, goal: jax.Array) -> jax.Array:
        """The actor's action (DDPG) or argmax_a Q (DQN), in the env's action space."""
        return self._to_env_action(
            self.agent.greedy(params.online, *self._inputs(params, obs, goal))
        )

    def evaluate(self, params: HERParams, key: jax.Array, num_episodes: int) -> jax.Array:
        """Greedy success rate on `num_episodes` fresh goals (averaged over devices): []."""
        return greedy_success(self, params, key, num_episodes)


def make_learner(
    config: ml_collections.ConfigDict, env: GoalEnv, num_devices: int, axis_name: str | None
) -> HERLearner:
    """HER (algo "her") or the HER + hEM hybrid (algo "hybrid", Box actions only) for one
    device's share of a validated config."""
    algo = config.algo
    hidden = tuple(config.hidden_sizes)
    gamma = config.gamma
    convention = config.her_reward
    return_range(convention, gamma)  # rejects an unknown convention before tracing
    random_prob = config.random_action_probability
    space = env.action_space
    images = getattr(env, "obs_type", "state") == "image"
    if isinstance(space, Discrete):
        if algo == "hybrid":
            raise ValueError("algo='hybrid' is not allowed for discrete actions: use 'her'")
        agent: DDPG | DQN = DQN(
            q_network=QNetwork(
                hidden_sizes=hidden, num_actions=space.num_actions, image_obs=images
            ),
            gamma=gamma,
            convention=convention,
            random_action_probability=random_prob,
        )
    else:
        noise = config.exploration_noise
        agent = DDPG(
            actor=Actor(hidden_sizes=hidden, action_size=space.size, image_obs=images),
            critic=Critic(hidden_sizes=hidden, image_obs=images),
            gamma=gamma,
            convention=convention,
            action_l2=config.action_l2,
            random_action_probability=random_prob,
            exploration_noise=noise,
            hybrid_eta=config.hybrid_eta if algo == "hybrid" else 0.0,
            hybrid_std=noise,
        )
    return HERLearner(
        env=env,
        agent=agent,
        optimizer=make_optimizer(config, config.updates_per_iteration),
        num_envs=config.num_envs // num_devices,
        batch_size=config.batch_size // num_devices,
        buffer_episodes=config.buffer_episodes // num_devices,
        updates_per_iteration=config.updates_per_iteration,
        relabel_probability=config.relabel_probability,
        convention=convention,
        polyak=config.polyak,
        obs_clip=config.obs_clip,
        hem_hindsight=config.hindsight,
        sample_weighting=config.sample_weighting,
        image_obs=images,
        axis_name=axis_name,
    )
