"""Rolling out a policy in E parallel envs for one episode each, under `lax.scan`."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from envs import EnvState, GoalEnv
from hemjax.buffer import Episodes

# (obs [E, O], goal [E, G], key) -> actions [E] or [E, A] in the policy's (normalised) space
ActFn = Callable[[jax.Array, jax.Array, jax.Array], jax.Array]


def rollout(
    env: GoalEnv,
    act: ActFn,
    to_env_action: Callable[[jax.Array], jax.Array],
    key: jax.Array,
    num_envs: int,
    training: bool = False,
) -> tuple[Episodes, jax.Array]:
    """Runs `num_envs` fresh episodes of at most env.max_steps steps; training=True starts them
    from the env's training start distribution (`GoalEnv.init_training_episode`).

    Returns the episodes (policy-space actions) and success [E] bool: whether each episode
    reached its own goal. Steps after an episode's first success or time limit are masked out:
    its length stops counting and its state stops changing.
    """
    reset_key, step_key = jax.random.split(key)
    state = jax.vmap(lambda k: env.reset(k, training))(jax.random.split(reset_key, num_envs))

    def one_step(state: EnvState, key: jax.Array):
        action = act(state.obs, state.desired_goal, key)
        stepped = jax.vmap(env.step)(state, to_env_action(action))
        frozen = jax.tree.map(
            lambda old, new: jnp.where(
                state.done.reshape(state.done.shape + (1,) * (old.ndim - 1)), old, new
            ),
            state,
            stepped,
        )
        return frozen, (state.obs, state.achieved_goal, action, ~state.done)

    final, (obs, achieved, action, alive) = jax.lax.scan(
        one_step, state, jax.random.split(step_key, env.max_steps)
    )
    batch_first = lambda x: jnp.swapaxes(x, 0, 1)  # noqa: E731
    episodes = Episodes(
        obs=jnp.concatenate([batch_first(obs), final.obs[:, None]], axis=1),
        achieved_goal=jnp.concatenate(
            [batch_first(achieved), final.achieved_goal[:, None]], axis=1
        ),
        desired_goal=state.desired_goal,
        action=batch_first(action),
        length=jnp.sum(alive, axis=0).astype(jnp.int32),
    )
    return episodes, final.success
