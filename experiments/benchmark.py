"""Throughput and compile time.

    python experiments/benchmark.py --out=experiments/results/benchmark [--envs=bitflip,navigation]

1. Env steps/s with uniform random actions, `lax.scan` over `vmap(env.step)` through `envs.make`,
   at several batch sizes, beside a bare hand-written scan of the same XOR update (bit-flip).
2. End-to-end training env steps/s (collect + insert + relabel + Adam, one jitted chunk of
   --train_iterations iterations, its greedy evaluation cut to one episode per device), and the
   compile time of the first chunk.
3. With --startup=RECIPE,...: where a cold start goes (import, backend, trace, lower, compile,
   training to the first evaluation >= 0.99), cold and with a warm compilation cache.
Writes env_throughput.csv, training.csv (and startup.csv) to --out and prints the tables;
--envs= or --train_recipes= (empty) skips that table and keeps the file an earlier run wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
from absl import app, flags
from flag_checks import checked_config, define_choice_list, define_int_list

import envs
from hemjax.config import ALGOS, recipe_config
from hemjax.logger import write_csv
from hemjax.recipes import RECIPES
from hemjax.train import Trainer

_OUT = flags.DEFINE_string("out", "experiments/results/benchmark", "Output directory.")
_ENVS = define_choice_list(
    "envs", envs.names(), envs.names(), "Envs to benchmark ('' for none).", allow_empty=True
)
_BATCHES = define_int_list(
    "batches", [64, 256, 1024, 4096, 16384, 65536], "Parallel pure-JAX envs."
)
_MJX_BATCHES = define_int_list("mjx_batches", [64, 256, 1024, 4096], "Parallel MJX envs.")
_TRAIN_RECIPES = define_choice_list(
    "train_recipes",
    ["bitflip", "navigation"],
    RECIPES,
    "Recipes (hemjax/recipes.py) to time training ('' for none).",
    allow_empty=True,
)
_TRAIN_ALGOS = define_choice_list(
    "train_algos",
    ["hem"],
    ALGOS,
    "Learners timed on each training recipe, all else equal (e.g. hem,her).",
)
_STEPS = flags.DEFINE_integer("steps", 50, "Steps per timed scan.", lower_bound=1)
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed repeats (the best is kept).", lower_bound=1)
_TRAIN_ITERATIONS = flags.DEFINE_integer(
    "train_iterations", 20, "Iterations per timed chunk.", lower_bound=1
)
_STARTUP = define_choice_list(
    "startup",
    [],
    RECIPES,
    "Recipes whose start-up (cold, then warm cache) is timed in fresh processes.",
    allow_empty=True,
)
_STARTUP_ONLY = flags.DEFINE_bool("startup_only", False, "Only time start-up.")
flags.register_multi_flags_validator(
    ["startup_only", "startup"],
    lambda values: not values["startup_only"] or bool(values["startup"]),
    "--startup_only needs --startup=RECIPE,... (the recipes whose start-up to time)",
)

# (recipe, algo, config) of a training throughput measurement.
TrainingRun = tuple[str, str, ml_collections.ConfigDict]


def _time(fn: Callable[..., Any], *args: Any) -> tuple[float, float]:
    """(compile + first run seconds, best of repeats seconds)."""
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    first = time.perf_counter() - start
    best = float("inf")
    for _ in range(_REPEATS.value):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - start)
    return first, best


def env_rollout_fn(env: envs.GoalEnv, batch: int) -> Callable[[jax.Array], jax.Array]:
    """jit(key -> final states) stepping `batch` envs for --steps random actions."""

    @jax.jit
    def rollout(key):
        state = jax.vmap(env.reset)(jax.random.split(key, batch))

        def step(state, key):
            return jax.vmap(env.step)(state, random_actions(env.action_space, key, batch)), None

        return jax.lax.scan(step, state, jax.random.split(key, _STEPS.value))[0].obs

    return rollout


def random_actions(space: envs.Discrete | envs.Box, key: jax.Array, batch: int) -> jax.Array:
    """[batch] or [batch, A] uniform actions drawn in one call (as the bare loop draws them)."""
    if isinstance(space, envs.Discrete):
        return jax.random.randint(key, (batch,), 0, space.num_actions, jnp.int32)
    return jax.random.uniform(key, (batch, space.size), jnp.float32, space.low, space.high)


def bare_xor_fn(num_bits: int, batch: int) -> Callable[[jax.Array], jax.Array]:
    """The same bit-flip dynamics written by hand: one XOR per step, no env abstraction."""

    @jax.jit
    def rollout(key):
        bits = jax.random.bernoulli(key, 0.5, (batch, num_bits)).astype(jnp.float32)
        goal = jax.random.bernoulli(jax.random.fold_in(key, 1), 0.5, (batch, num_bits))

        def step(carry, key):
            bits, reward = carry
            action = jax.random.randint(key, (batch,), 0, num_bits, jnp.int32)
            bits = jnp.abs(bits - jax.nn.one_hot(action, num_bits))
            return (bits, jnp.all(bits == goal, axis=-1).astype(jnp.float32)), None

        init = (bits, jnp.zeros((batch,)))
        return jax.lax.scan(step, init, jax.random.split(key, _STEPS.value))[0][0]

    return rollout


def env_throughput() -> list[dict]:
    rows = []
    key = jax.random.PRNGKey(0)
    for name in _ENVS.value:
        env = envs.make(name, **recipe_config(name).env_kwargs)  # the env as its recipe sets it
        mjx = type(env).__module__.startswith("envs.mjx")
        for batch in _MJX_BATCHES.value if mjx else _BATCHES.value:
            variants = [("envs.make", env_rollout_fn(env, batch))]
            if name == "bitflip":
                variants.append(("bare lax.scan XOR", bare_xor_fn(env.num_bits, batch)))
            for variant, fn in variants:
                first, best = _time(fn, key)
                rows.append(
                    {
                        "env": name,
                        "variant": variant,
                        "num_envs": batch,
                        "steps_per_s": round(batch * _STEPS.value / best),
                        "compile_s": round(first - best, 2),
                    }
                )
                print(rows[-1], flush=True)
    return rows


def plan() -> list[TrainingRun]:
    """(recipe, algo, config) of every --train_recipes and --train_algos (none with
    --startup_only), each config built and validated, as are the --startup recipes' configs;
    raises app.UsageError naming the flags of the first mistake."""
    for recipe in _STARTUP.value:  # the probe's config: the recipe's, cache and target aside
        checked_config(f"--startup={recipe}", recipe, progress_bar=False)
    if _STARTUP_ONLY.value:
        return []
    runs = []
    for name in _TRAIN_RECIPES.value:
        for algo in _TRAIN_ALGOS.value:
            label = f"--train_recipes={name} --train_algos={algo}"
            runs.append((name, algo, checked_config(label, name, eval_episodes=1, algo=algo)))
    return runs


def training_throughput(runs: list[TrainingRun]) -> list[dict]:
    rows = []
    for name, algo, config in runs:
        trainer = Trainer(config)
        iterations = _TRAIN_ITERATIONS.value
        state = trainer.init(trainer.seeds)
        start = time.perf_counter()
        state, metrics, _ = trainer.run_iterations(state, iterations, 0)
        jax.block_until_ready(metrics)
        first = time.perf_counter() - start
        start = time.perf_counter()
        state, metrics, _ = trainer.run_iterations(state, iterations, 1)
        jax.block_until_ready(metrics)
        seconds = time.perf_counter() - start
        steps = float(metrics["env_steps"].mean())  # simulated
        rows.append(
            {
                "recipe": name,
                "algo": algo,
                "num_envs": config.num_envs,
                "batch_size": config.batch_size,
                "updates_per_iteration": config.updates_per_iteration,
                "train_env_steps_per_s": round(steps / seconds),
                "iterations_per_s": round(iterations / seconds, 3),
                "first_chunk_compile_s": round(first - seconds, 2),
            }
        )
        print(rows[-1], flush=True)
    return rows


def startup() -> list[dict]:
    """Where a cold start goes: import, backend, tracing, lowering, XLA compile and training to
    the first evaluation >= 0.99, per recipe, in fresh processes with the persistent compilation
    cache empty (cold), then filled by that run (warm)."""
    rows = []
    probe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "startup_probe.py")
    for recipe in _STARTUP.value:
        with tempfile.TemporaryDirectory() as cache:
            for _ in ("cold", "warm"):
                result = subprocess.run(
                    [sys.executable, probe, recipe, cache], capture_output=True, text=True
                )
                if result.returncode != 0:
                    raise RuntimeError(f"startup probe failed: {result.stderr[-2000:]}")
                rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
                print(rows[-1], flush=True)
    return rows


def main(argv: Sequence[str]) -> None:
    del argv
    runs = plan()
    os.makedirs(_OUT.value, exist_ok=True)
    print(f"backend: {jax.default_backend()}, devices: {jax.devices()}")
    if _STARTUP.value:
        write_csv(os.path.join(_OUT.value, "startup.csv"), startup())
    # A table nothing was asked for keeps what an earlier run wrote.
    if not _STARTUP_ONLY.value and _ENVS.value:
        write_csv(os.path.join(_OUT.value, "env_throughput.csv"), env_throughput())
    if runs:
        write_csv(os.path.join(_OUT.value, "training.csv"), training_throughput(runs))


if __name__ == "__main__":
    app.run(main)
