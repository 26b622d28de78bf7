"""HPG: the weighted per-decision estimator against hand values and its closed form on a
one-step MDP, goal truncation, data parallelism, and learning bit-flip."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cpu_devices import run_check
from test_her import train_and_evaluate

import envs
import hemjax as hem
from hemjax.buffer import Episodes
from hemjax.config import ConfigError, default_config
from hemjax.learners import hpg


def _tabular_log_prob(theta, obs, goal, action):
    """pi(a | g) = softmax(theta[g]) for one-hot goals; the observation is ignored."""
    del obs
    log_pi = jax.nn.log_softmax(goal @ theta)  # [..., 2]
    return jnp.take_along_axis(log_pi, action[..., None], axis=-1)[..., 0]


def _equal(achieved, desired):
    return jnp.all(achieved == desired, axis=-1).astype(jnp.float32)


def _one_step_episodes(own_goals, actions):
    """T = 1: action a reaches goal one_hot(a); the start achieves neither goal."""
    own_goals, actions = np.asarray(own_goals), np.asarray(actions)
    count = len(actions)
    achieved = np.zeros((count, 2, 2), np.float32)
    achieved[np.arange(count), 1, actions] = 1.0
    return Episodes(
        obs=jnp.zeros((count, 2, 1)),
        achieved_goal=jnp.asarray(achieved),
        desired_goal=jax.nn.one_hot(own_goals, 2),
        action=jnp.asarray(actions[:, None], jnp.int32),
        length=jnp.ones((count,), jnp.int32),
    )


def _estimator_gradient(theta, episodes, baseline_value, horizon=None):
    goals = jnp.eye(2)
    baseline = lambda goal: jnp.full(episodes.action.shape, baseline_value)  # noqa: E731
    surrogate = lambda t: hpg.hpg_surrogate(  # noqa: E731
        _tabular_log_prob,
        t,
        episodes,
        goals,
        jnp.ones(2),
        baseline,
        _equal,
        goal_chunk=1,
        horizon=horizon,
    )
    return np.asarray(jax.grad(surrogate)(theta), np.float64)


THETA = np.array([[0.5, -0.5], [0.2, 0.1]])


@pytest.mark.parametrize("horizon, pay", [(None, 1.0), (3, 3.0)])
def test_estimator_against_hand_values_on_a_one_step_mdp(horizon, pay):
    """Reaching with the only action (t = 0) pays 1, or the horizon T - 0 = 3."""
    own, actions, b = [0, 0, 1, 1], [0, 1, 1, 0], 0.3
    episodes = _one_step_episodes(own, actions)
    got = _estimator_gradient(jnp.asarray(THETA, jnp.float32), episodes, b, horizon)
    pi = np.exp(THETA) / np.exp(THETA).sum(1, keepdims=True)  # pi[g, a]
    want = np.zeros((2, 2))
    for g in range(2):
        rho = np.array([pi[g, a] / pi[o, a] for o, a in zip(own, actions)])
        w = rho / rho.sum()
        for i, a in enumerate(actions):
            score = np.eye(2)[a] - pi[g]  # d log pi(a | g) / d theta[g]
            want[g] += w[i] * (pay * (a == g) - b) * score
    np.testing.assert_allclose(got, want / 2, rtol=1e-5, atol=1e-7)  # mean over the 2 goals


def test_estimator_converges_to_the_true_gradient():
    """With many episodes the estimate is the gradient of the mean success over goals,
    d/dtheta 1/2 sum_g pi(g | g), whatever the baseline."""
    rng = np.random.default_rng(0)
    count = 40_000
    pi = np.exp(THETA) / np.exp(THETA).sum(1, keepdims=True)
    own = rng.integers(0, 2, count)
    actions = (rng.random(count) < pi[own, 1]).astype(int)  # a ~ pi(. | own goal)
    got = _estimator_gradient(
        jnp.asarray(THETA, jnp.float32), _one_step_episodes(own, actions), 0.4
    )
    want = np.stack([pi[g, g] * (np.eye(2)[g] - pi[g]) for g in range(2)]) / 2
    np.testing.assert_allclose(got, want, atol=0.01)


def test_goal_returns_cut_the_episode_at_the_first_reach_and_at_its_end():
    achieved = jnp.array([[[0.0], [1.0], [2.0], [1.0], [3.0]], [[0.0], [1.0], [9.0], [9.0], [9.0]]])
    episodes = Episodes(
        obs=achieved,
        achieved_goal=achieved,
        desired_goal=jnp.array([[7.0], [7.0]]),
        action=jnp.zeros((2, 4), jnp.int32),
        length=jnp.array([4, 2], jnp.int32),
    )
    alive, reward = hpg.goal_returns(episodes, jnp.array([2.0]), _equal)
    np.testing.assert_array_equal(alive, [[1, 1, 0, 0], [1, 1, 0, 0]])
    np.testing.assert_array_equal(reward, [[0, 1, 0, 0], [0, 0, 0, 0]])
    alive, reward = hpg.goal_returns(episodes, jnp.array([1.0]), _equal)
    np.testing.assert_array_equal(alive, [[1, 0, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(reward, [[1, 0, 0, 0], [1, 0, 0, 0]])
    alive, _ = hpg.goal_returns(episodes, jnp.array([0.0]), _equal)  # solved at the start
    assert not np.asarray(alive).any()
    # The authors' reward: reaching with action t pays the steps left, T - t.
    _, reward = hpg.goal_returns(episodes, jnp.array([2.0]), _equal, horizon=4)
    np.testing.assert_array_equal(reward, [[0, 3, 0, 0], [0, 0, 0, 0]])
    _, reward = hpg.goal_returns(episodes, jnp.array([1.0]), _equal, horizon=4)
    np.testing.assert_array_equal(reward, [[4, 0, 0, 0], [4, 0, 0, 0]])


@pytest.mark.parametrize(
    "hpg_reward, want", [("success", [1.0, 0.0]), ("remaining_steps", [4.0, 0.0])]
)
def test_baseline_is_fitted_to_the_own_goals_return(hpg_reward, want):
    """Episode 0 reaches its goal with its second action of T = 5 (return 5 - 1 = 4 under the
    authors' reward), episode 1 never does; with a zero value net the baseline loss is the mean
    squared return over the alive steps."""
    config = default_config(
        "bitflip", algo="hpg", num_bits=2, max_steps=5, hidden_sizes=(4,), hpg_reward=hpg_reward
    )
    learner = hpg.make_learner(config, envs.make("bitflip", num_bits=2, max_steps=5), 1, None)
    state = learner.init(jax.random.PRNGKey(0), jax.random.PRNGKey(1))
    zero_value = jax.tree.map(jnp.zeros_like, state.params.baseline)
    params = hpg.HPGParams(policy=state.params.policy, baseline=zero_value)
    achieved = jnp.array(
        [
            [[0, 0], [1, 0], [1, 1], [1, 1], [1, 1], [1, 1]],
            [[0, 0], [1, 0], [0, 0], [1, 0], [0, 0], [1, 0]],
        ],
        jnp.float32,
    )
    episodes = Episodes(
        obs=achieved,
        achieved_goal=achieved,
        desired_goal=jnp.array([[1.0, 1.0], [0.0, 1.0]]),
        action=jnp.zeros((2, 5), jnp.int32),
        length=jnp.array([2, 5], jnp.int32),
    )
    _, (_, baseline_loss) = learner.loss(params, episodes, jnp.zeros((1, 2)), jnp.zeros(1))
    want_loss = (2 * want[0] ** 2 + 5 * want[1] ** 2) / 7
    np.testing.assert_allclose(float(baseline_loss), want_loss, rtol=1e-6)


def test_split_gradient_equals_single_device_gradient():
    result = run_check("learner_multidevice_checks.py", 2, "hpg")
    assert result["devices"] == 2
    assert result["max_grad_diff"] < 1e-5 * max(1.0, result["grad_scale"]), result


def test_continuous_actions_are_refused_by_name():
    config = default_config("pointmass", algo="hpg")
    with pytest.raises(ValueError, match="algo='hpg'"):
        hpg.make_learner(config, envs.make("pointmass"), 1, None)


@pytest.mark.slow
def test_hpg_learns_bitflip_6():
    config = default_config(
        "bitflip", algo="hpg", num_bits=6, hidden_sizes=(256,), num_envs=16, learning_rate=1e-3
    )
    learner = hpg.make_learner(config, envs.make("bitflip", num_bits=6), 1, None)
    assert train_and_evaluate(learner, iterations=600, chunk=50) >= 0.9  # 57,600 env steps


def test_alternative_goals_are_the_distinct_goals_reached_after_the_start():
    config = default_config("bitflip", algo="hpg", num_bits=3, num_envs=2, hidden_sizes=(8,))
    learner = hpg.make_learner(config, envs.make("bitflip", num_bits=3), 1, None)
    achieved = jnp.array(
        [
            [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 0, 0]],
            [[0, 0, 1], [1, 0, 0], [0, 1, 1], [0, 1, 1]],
        ],
        jnp.float32,
    )
    episodes = Episodes(
        obs=achieved,
        achieved_goal=achieved,
        desired_goal=jnp.zeros((2, 3)),
        action=jnp.zeros((2, 3), jnp.int32),
        length=jnp.array([3, 1], jnp.int32),
    )
    goals, valid = learner._alternative_goals(episodes, jax.random.PRNGKey(0))
    distinct = {tuple(g) for g, v in zip(np.asarray(goals).tolist(), np.asarray(valid)) if v}
    assert distinct == {(1, 0, 0), (1, 1, 0)}  # s_0 and steps after L are not goals
    assert float(valid.sum()) == 2  # each distinct goal counts once


def test_a_run_whose_rollouts_cannot_fit_in_memory_is_refused():
    """HPG keeps no buffer; its rollouts' episodes are what is sized (about 0.6 TB here)."""
    config = default_config(
        "bitflip",
        algo="hpg",
        num_bits=2000,
        num_envs=4096,
        total_env_steps=10**7,
        progress_bar=False,
    )
    with pytest.raises(ConfigError, match=r"num_envs=4096.*rollouts .* GiB"):
        hem.run(config)
