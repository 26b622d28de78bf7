"""HER (DDPG / double DQN), the hybrid and the normaliser: losses against hand-computed values,
data parallelism, and learning on tiny problems with greedy success on fresh goals."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cpu_devices import run_check

import envs
from hemjax.actor_critic import Actor, Critic, QNetwork
from hemjax.config import default_config
from hemjax.hindsight import Batch, Transitions
from hemjax.learners import her
from hemjax.normalizer import init_stats, normalize, update_stats

GAMMA = 0.98


def _transitions(key, size=6, obs=3, goal=2, action=None):
    keys = jax.random.split(key, 6)
    return Transitions(
        obs=jax.random.normal(keys[0], (size, obs)),
        action=action if action is not None else jax.random.uniform(keys[1], (size, 2), minval=-1),
        next_obs=jax.random.normal(keys[2], (size, obs)),
        goal=jax.random.normal(keys[3], (size, goal)),
        reward=jnp.array([-1.0, 0.0, -1.0, -1.0, 0.0, -1.0])[:size],
        terminal=jnp.array([False, True, False, False, True, False])[:size],
        valid=jnp.array([1.0, 1.0, 1.0, 0.0, 1.0, 1.0])[:size],
    )


def _linear(params):
    """(kernel, bias) of a flax MLP without hidden layers, as numpy."""
    dense = params["params"]["MLP_0"]["Dense_0"]
    return np.asarray(dense["kernel"], np.float64), np.asarray(dense["bias"], np.float64)


def _randomised(params, key):
    leaves, tree = jax.tree.flatten(params)
    keys = jax.random.split(key, len(leaves))
    return jax.tree.unflatten(
        tree, [0.5 * jax.random.normal(k, leaf.shape) for k, leaf in zip(keys, leaves)]
    )


@pytest.mark.parametrize(
    ("convention", "reward", "terminal", "next_q", "want"),
    [
        ("-1/0", -1.0, False, -3.0, -1.0 + GAMMA * -3.0),
        ("-1/0", -1.0, False, -60.0, -1.0 / (1.0 - GAMMA)),  # clipped below at -50
        ("-1/0", -1.0, False, 5.0, 0.0),  # clipped above at 0
        ("-1/0", 0.0, True, -7.0, 0.0),  # terminal: no bootstrap
        ("0/1", 0.0, False, 0.5, GAMMA * 0.5),
        ("0/1", 0.0, False, 2.0, 1.0),  # at most one reward of 1
        ("0/1", 0.0, False, -1.0, 0.0),
        ("0/1", 1.0, True, 0.7, 1.0),
    ],
)
def test_critic_target_against_hand_values(convention, reward, terminal, next_q, want):
    got = her.critic_target(
        jnp.array([reward]), jnp.array([terminal]), jnp.array([next_q]), GAMMA, convention
    )
    np.testing.assert_allclose(got, [want], rtol=1e-6)


def test_unknown_reward_convention_is_refused_by_name():
    with pytest.raises(ValueError, match="her_reward"):
        her.return_range("+1/0", GAMMA)


def _ddpg(hybrid_eta=0.0):
    return her.DDPG(
        actor=Actor((), 2),
        critic=Critic(()),
        gamma=GAMMA,
        convention="-1/0",
        action_l2=1.0,
        random_action_probability=0.3,
        exploration_noise=0.2,
        hybrid_eta=hybrid_eta,
        hybrid_std=0.2,
    )


def _ddpg_nets(agent, key):
    online = _randomised(agent.init(key, jnp.zeros(3), jnp.zeros(2)), jax.random.fold_in(key, 1))
    target = _randomised(online, jax.random.fold_in(key, 2))
    return online, target


def test_ddpg_losses_against_hand_values():
    agent = _ddpg()
    online, target = _ddpg_nets(agent, jax.random.PRNGKey(0))
    batch = _transitions(jax.random.PRNGKey(1))
    got = agent.losses(online, target, batch, None)
    (actor_w, actor_b), (critic_w, critic_b) = _linear(online["actor"]), _linear(online["critic"])
    (t_actor_w, t_actor_b), (t_critic_w, t_critic_b) = (
        _linear(target["actor"]),
        _linear(target["critic"]),
    )
    o, a, o2, g = (
        np.asarray(x, np.float64) for x in (batch.obs, batch.action, batch.next_obs, batch.goal)
    )
    r, done, valid = np.asarray(batch.reward), np.asarray(batch.terminal), np.asarray(batch.valid)
    next_a = np.tanh(np.concatenate([o2, g], 1) @ t_actor_w + t_actor_b)
    next_q = (np.concatenate([o2, next_a, g], 1) @ t_critic_w + t_critic_b)[:, 0]
    y = np.clip(r + GAMMA * (1 - done) * next_q, -50.0, 0.0)
    q = (np.concatenate([o, a, g], 1) @ critic_w + critic_b)[:, 0]
    pi = np.tanh(np.concatenate([o, g], 1) @ actor_w + actor_b)
    q_pi = (np.concatenate([o, pi, g], 1) @ critic_w + critic_b)[:, 0]
    mean = lambda x: np.sum(valid * x) / valid.sum()  # noqa: E731
    np.testing.assert_allclose(got["critic_loss"], mean((q - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(got["actor_loss"], mean(-q_pi + np.mean(pi**2, 1)), rtol=1e-5)


def test_actor_loss_does_not_move_the_critic_and_critic_loss_not_the_actor():
    agent = _ddpg()
    online, target = _ddpg_nets(agent, jax.random.PRNGKey(0))
    batch = _transitions(jax.random.PRNGKey(1))
    actor_grad = jax.grad(lambda p: agent.losses(p, target, batch, None)["actor_loss"])(online)
    critic_grad = jax.grad(lambda p: agent.losses(p, target, batch, None)["critic_loss"])(online)
    assert all(float(jnp.abs(x).max()) == 0 for x in jax.tree.leaves(actor_grad["critic"]))
    assert all(float(jnp.abs(x).max()) == 0 for x in jax.tree.leaves(critic_grad["actor"]))
    assert any(float(jnp.abs(x).max()) > 0 for x in jax.tree.leaves(actor_grad["actor"]))


def test_hybrid_adds_eta_times_the_hem_gaussian_nll():
    eta, std = 0.1, 0.2
    agent, plain = _ddpg(hybrid_eta=eta), _ddpg()
    online, target = _ddpg_nets(agent, jax.random.PRNGKey(0))
    batch = _transitions(jax.random.PRNGKey(1))
    keys = jax.random.split(jax.random.PRNGKey(2), 3)
    demos = Batch(
        obs=jax.random.normal(keys[0], (5, 3)),
        goal=jax.random.normal(keys[1], (5, 2)),
        action=jax.random.uniform(keys[2], (5, 2), minval=-1),
        weight=jnp.array([1.0, 1.0, 0.0, 1.0, 1.0]),
    )
    got = agent.losses(online, target, batch, demos)
    actor_w, actor_b = _linear(online["actor"])
    o, g, a = (np.asarray(x, np.float64) for x in (demos.obs, demos.goal, demos.action))
    mu = np.tanh(np.concatenate([o, g], 1) @ actor_w + actor_b)
    log_prob = np.sum(
        -0.5 * ((a - mu) / std) ** 2 - math.log(std) - 0.5 * math.log(2 * math.pi), axis=1
    )
    w = np.asarray(demos.weight)
    nll = -np.sum(w * log_prob) / w.sum()
    np.testing.assert_allclose(got["hem_nll"], nll, rtol=1e-5)
    her_term = plain.losses(online, target, batch, None)["actor_loss"]
    np.testing.assert_allclose(got["actor_loss"], her_term + eta * nll, rtol=1e-5)


def test_double_dqn_loss_against_hand_values():
    agent = her.DQN(
        q_network=QNetwork((), 4), gamma=GAMMA, convention="0/1", random_action_probability=0.3
    )
    key = jax.random.PRNGKey(3)
    online = _randomised(agent.init(key, jnp.zeros(3), jnp.zeros(2)), jax.random.fold_in(key, 1))
    target = _randomised(online, jax.random.fold_in(key, 2))
    batch = _transitions(jax.random.PRNGKey(4), action=jnp.array([0, 1, 2, 3, 1, 2]))
    batch = batch.replace(reward=batch.reward + 1.0)  # 0/1 rewards
    got = agent.losses(online, target, batch, None)
    (w, b), (tw, tb) = _linear(online["q"]), _linear(target["q"])
    o, o2, g = (np.asarray(x, np.float64) for x in (batch.obs, batch.next_obs, batch.goal))
    rows = np.arange(6)
    best = np.argmax(np.concatenate([o2, g], 1) @ w + b, axis=1)  # the online net picks
    next_q = (np.concatenate([o2, g], 1) @ tw + tb)[rows, best]  # the target net values
    r, done, valid = np.asarray(batch.reward), np.asarray(batch.terminal), np.asarray(batch.valid)
    y = np.clip(r + GAMMA * (1 - done) * next_q, 0.0, 1.0)
    q = (np.concatenate([o, g], 1) @ w + b)[rows, np.asarray(batch.action)]
    np.testing.assert_allclose(got["critic_loss"], np.sum(valid * (q - y) ** 2) / 5, rtol=1e-5)


def test_normaliser_merges_batches_into_the_statistics_of_their_union():
    key = jax.random.PRNGKey(0)
    x = 3.0 + 2.0 * jax.random.normal(key, (300, 4))
    mask = jnp.arange(300) % 3 != 0  # masked rows must not count
    stats = init_stats(4)
    for part in range(3):
        rows = slice(100 * part, 100 * part + 100)
        stats = update_stats(stats, x[rows], mask[rows])
    kept = np.asarray(x)[np.asarray(mask)]
    assert float(stats.count) == len(kept)
    np.testing.assert_allclose(stats.mean, kept.mean(0), rtol=1e-5)
    np.testing.assert_allclose(stats.var, kept.var(0), rtol=1e-4)
    z = normalize(stats, x, clip=5.0)
    np.testing.assert_allclose(z, np.clip((x - kept.mean(0)) / kept.std(0), -5, 5), atol=1e-4)


def test_normaliser_clips_and_floors_the_std():
    stats = update_stats(init_stats(2), jnp.array([[1.0, 0.0], [1.0, 0.0]]), jnp.ones(2))
    np.testing.assert_allclose(stats.var, [0.0, 0.0])
    z = normalize(stats, jnp.array([[1.001, 100.0], [0.999, -100.0]]), clip=5.0)
    np.testing.assert_allclose(z, [[0.1, 5.0], [-0.1, -5.0]], rtol=1e-3)
    untouched = update_stats(init_stats(2), jnp.ones((3, 2)), jnp.zeros(3))
    np.testing.assert_array_equal(untouched.var, [1.0, 1.0])


def _multidevice(name: str, devices: int = 2) -> dict:
    return run_check("learner_multidevice_checks.py", devices, name)


@pytest.mark.parametrize("name", ["her_dqn", "her_ddpg", "hybrid"])
def test_split_iteration_equals_single_device_iteration(name):
    result = _multidevice(name)
    assert result["devices"] == 2
    assert result["max_param_diff"] < 1e-5, result
    assert result["max_stats_diff"] < 1e-5, result


def train_and_evaluate(learner, iterations: int, chunk: int = 10, seed: int = 0) -> float:
    """Trains one seed with jit + scan (checking that the chunk compiles once) and returns
    greedy success on 1,000 fresh goals."""
    traces = []

    def run_chunk(state):
        traces.append(1)
        return jax.lax.scan(lambda s, _: learner.iteration_step(s), state, None, length=chunk)[0]

    step = jax.jit(run_chunk)
    state = learner.init(jax.random.PRNGKey(seed), jax.random.PRNGKey(seed + 1))
    for _ in range(iterations // chunk):
        state = step(state)
    assert len(traces) == 1, "the training chunk was traced more than once"
    evaluate = jax.jit(lambda p, k: learner.evaluate(p, k, 1000))
    return float(evaluate(state.params, jax.random.PRNGKey(10_000 + seed)))


def test_dqn_her_learns_bitflip_8():
    config = default_config(
        "bitflip",
        algo="her",
        num_bits=8,
        hidden_sizes=(256,),
        num_envs=16,
        batch_size=128,
        updates_per_iteration=8,
        learning_rate=1e-3,
        buffer_episodes=4096,
    )
    env = envs.make("bitflip", num_bits=8)
    learner = her.make_learner(config, env, num_devices=1, axis_name=None)
    assert train_and_evaluate(learner, iterations=100) >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["her", "hybrid"])
def test_ddpg_her_and_hybrid_learn_fetch_reach(algo):
    config = default_config(
        "fetch_reach",
        algo=algo,
        hidden_sizes=(256, 256, 256),
        num_envs=8,
        batch_size=256,
        updates_per_iteration=40,
        learning_rate=1e-3,
        buffer_episodes=1024,
    )
    env = envs.make("fetch_reach")
    learner = her.make_learner(config, env, num_devices=1, axis_name=None)
    assert learner.agent.hybrid_eta == (0.1 if algo == "hybrid" else 0.0)
    assert train_and_evaluate(learner, iterations=30) >= 0.9  # 12,000 env steps


def test_hybrid_with_discrete_actions_is_refused_by_name():
    config = default_config("bitflip", algo="hybrid", num_bits=4)
    with pytest.raises(ValueError, match="algo='hybrid'"):
        her.make_learner(config, envs.make("bitflip", num_bits=4), 1, None)


def test_greedy_ddpg_actions_are_in_the_env_box():
    """Navigation's box is [-0.2, 0.2]: the actor's tanh output in [-1, 1] must be rescaled."""
    config = default_config("navigation", algo="her", hidden_sizes=(16,), num_envs=2)
    env = envs.make("navigation")
    learner = her.make_learner(config, env, 1, None)
    state = learner.init(jax.random.PRNGKey(0), jax.random.PRNGKey(1))
    obs = 100.0 * jax.random.normal(jax.random.PRNGKey(2), (64, env.obs_size))
    goal = jax.random.normal(jax.random.PRNGKey(3), (64, env.goal_size))
    action = learner.greedy_action(state.params, obs, goal)
    assert action.shape == (64, env.action_space.size)
    low, high = env.action_space.low, env.action_space.high
    assert (low, high) == (-0.2, 0.2)
    assert bool(jnp.all((action >= low) & (action <= high)))
    assert float(jnp.max(jnp.abs(action))) > 0.1  # saturated inputs reach most of the box
