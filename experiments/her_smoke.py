"""Trains a baseline learner (HER, hybrid or HPG) directly, several seeds under vmap, and prints
greedy success on 1,000 fresh goals per seed against env steps (budget per seed).

    python experiments/her_smoke.py --env=bitflip --algo=her --seeds=3 --iterations=1000 \
        --chunk=100 --set num_bits=25 --set hidden_sizes="(256,)" --set num_envs=2 \
        --set updates_per_iteration=20

Every `--set NAME=VALUE` is a config field or env argument (VALUE is a Python literal). This is
the learner alone, without the driver's checkpoints and logs (`hem.run` adds those).
"""

from __future__ import annotations

import argparse
import ast
import time

import jax
import numpy as np

import envs
from hemjax.config import default_config
from hemjax.learners import her, hpg


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="bitflip")
    parser.add_argument("--algo", default="her", choices=["her", "hybrid", "hpg"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=10, help="iterations between evaluations")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    config = default_config(
        args.env, algo=args.algo, **{k: _literal(v) for k, v in overrides.items()}
    )
    env = envs.make(args.env, **dict(config.env_kwargs))
    module = hpg if args.algo == "hpg" else her
    learner = module.make_learner(config, env, num_devices=1, axis_name=None)
    seeds = np.arange(args.seeds)
    keys = lambda stream: jax.vmap(  # noqa: E731
        lambda s: jax.random.fold_in(jax.random.PRNGKey(s), stream)
    )(seeds)
    state = jax.jit(jax.vmap(learner.init))(keys(0), keys(1))
    chunk = jax.jit(
        jax.vmap(
            lambda s: jax.lax.scan(
                lambda s, _: learner.iteration_step(s), s, None, length=args.chunk
            )
        )
    )
    evaluate = jax.jit(jax.vmap(lambda p, k: learner.evaluate(p, k, 1000)))
    print(f"# {args.algo} on {args.env} {dict(config.env_kwargs)}; overrides {overrides}")
    print("iteration,env_steps,simulated_steps,success_mean,success_min,per_seed,wall_s")
    start, simulated = time.perf_counter(), 0.0
    for index in range(args.iterations // args.chunk):
        state, metrics = chunk(state)
        simulated += float(np.mean(np.sum(metrics["episode_length"], axis=1))) * config.num_envs
        success = np.asarray(evaluate(state.params, keys(1000 + index)))
        iteration = (index + 1) * args.chunk
        print(
            f"{iteration},{iteration * config.num_envs * env.max_steps},{simulated:.0f},"
            f"{success.mean():.3f},{success.min():.3f},"
            f"{'/'.join(f'{s:.3f}' for s in success)},{time.perf_counter() - start:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
