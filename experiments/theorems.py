r"""Monte Carlo check of Theorems 1 and 2 (hEM section 2.2, appendix B.2/B.3).

One-step MDP with k actions = k goals, reward r(b, g) = 1[b = g], uniform goal prior p(g) = 1/k,
policy pi(b | g) = softmax(L[:, g]) with all logits L[a, g] equal (so pi is uniform).

Estimators of the gradient component dJ/dL[a, g], J = E_{g ~ p, b ~ pi(.|g)} r(b, g):
  REINFORCE (Theorem 1): g' ~ p, b ~ pi(.|g'),  eta[a, g]   = r(b, g') d log pi(b | g') / dL[a, g].
  hindsight (Theorem 2): g ~ p, b ~ pi(.|g), relabel g' = b (the goal actually achieved, so
                         r = 1),            eta_h[a, g] = r(b, g') d log pi(b | g') / dL[a, g] / k.
The score d log pi / dL is taken by autodiff of log_softmax and tabulated per (g', b); actions
are drawn from pi by inverse CDF.

Interpretation of "MSE relative to E[eta]" (the theorems write sqrt(MSE / E[eta]); appendix B
makes clear the intended ratio is sqrt(MSE) / |E[eta]|): both estimators' MSE is measured against
the TRUE gradient E[eta[a, g]] = dJ/dL[a, g] of Theorem 1, computed here exactly by autodiff of J,
    MSE[x] = E[(x - dJ/dL[a, g])^2] = Var[x] + (E[x] - dJ/dL[a, g])^2,
so a biased hindsight estimator is charged for its bias. At this uniform policy the bias is exactly
zero: the relabelled goal g' = b is uniform, and the 1/k factor turns the hindsight pair's weight
1/k into p(g') pi(g' | g') = 1/k^2, so E[eta_h] = dJ/dL (for a non-uniform policy it is biased).
The script reports the Monte Carlo bias so this can be checked.

Exact values (derived from the two-point distributions of the estimators):
  dJ/dL[a, g] = delta_ag / k^2 - 1/k^3.
  REINFORCE: eta = delta_ag - 1/k with probability 1/k^2, else 0 -> rel. error k sqrt(1 - 1/k^2)
             for diagonal (a = g) and off-diagonal components; this equals appendix B.2's E and V.
  hindsight: eta_h = (delta_ag - 1/k) / k with probability 1/k, else 0 -> rel. error sqrt(k - 1)
             for both; appendix B.3 gives the leading order MSE/E^2 = (k^3 d + k) / (k^2 d + 1).

Monte Carlo: `num_samples` draws per k and estimator, in chunks, for the fixed components
L[0, 0] (diagonal) and L[1, 0] (off-diagonal). Both are non-zero on the same event (g' = 0 and
b = 0) and eta / E[eta] takes the same values on it, so their relative errors coincide sample by
sample and their biases mirror each other. Slopes are least-squares fits of log(rel. error) on
log(k) (paper: ~1 for REINFORCE, ~0.5 for hindsight).

    python experiments/theorems.py --out experiments/results/theorems
"""

from __future__ import annotations

import math
import os
import time

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
from absl import app, flags
from flag_checks import define_int_list

from hemjax.logger import write_csv

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

jax.config.update("jax_enable_x64", True)  # sample sums in float64; per-sample math stays float32

_OUT = flags.DEFINE_string("out", "experiments/results/theorems", "Output folder.")
# k = 1 has a zero gradient: no relative error to measure.
_KS = define_int_list("ks", [4, 8, 16, 32, 64, 128, 256], "Numbers of goals k.", minimum=2)
flags.register_validator(
    "ks", lambda ks: len(set(ks)) >= 2, "needs at least two different k (for the slope fits)"
)
_NUM_SAMPLES = flags.DEFINE_integer(
    "num_samples", 20_000_000, "Samples per k and estimator.", lower_bound=1
)
_CHUNK_SIZE = flags.DEFINE_integer(
    "chunk_size", 1 << 21, "Samples per chunk (bounds memory).", lower_bound=1
)
_LOGIT = flags.DEFINE_float("logit", 0.3, "The common value L of all logits.")
flags.register_validator("logit", math.isfinite, "a finite number")
_SEED = flags.DEFINE_integer("seed", 0, "PRNG seed.", lower_bound=0)

ESTIMATORS = ("reinforce", "hindsight")
COMPONENTS = ("diagonal", "off_diagonal")


def expected_return(logits: jax.Array) -> jax.Array:
    """J(L) = sum_g p(g) pi(g | g) for logits [k, k] (rows actions, columns goals)."""
    k = logits.shape[0]
    return jnp.sum(jnp.diag(jax.nn.softmax(logits, axis=0))) / k


def score(logits_column: jax.Array, action: jax.Array) -> jax.Array:
    """d log pi(action | g) / dL[:, g] for the goal's logit column [k] -> [k]."""
    return jax.grad(lambda column: jax.nn.log_softmax(column)[action])(logits_column)


def policy_tables(logits: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Sampling table [k * k] and scores [k, k, 2] of the policy with logits [k, k].

    Column g's CDF shifted by g is sorted across columns, so one searchsorted over the flattened
    table samples every goal's action by inverse CDF. scores[g', b] holds
    d log pi(b | g') / dL[a, g'] for a = 0, 1 (the score is zero in every other column of L).
    """
    k = logits.shape[0]
    cdf = jnp.cumsum(jax.nn.softmax(logits.astype(jnp.float64), axis=0), axis=0)
    shifted = (cdf + jnp.arange(k)[None, :]).T.reshape(-1)
    per_goal = jax.vmap(lambda column: jax.vmap(lambda b: score(column, b))(jnp.arange(k)))
    return shifted, per_goal(logits.T)[:, :, :2]


def chunk_sums(
    key: jax.Array, shifted: jax.Array, scores: jax.Array, size: int, hindsight: bool
) -> jax.Array:
    """Sums over `size` samples of (eta, eta^2) for L[0, 0] and for L[1, 0] -> [4] float64."""
    k = scores.shape[0]
    goal_key, action_key = jax.random.split(key)
    goals = jax.random.randint(goal_key, (size,), 0, k)
    u = jax.random.uniform(action_key, (size,), jnp.float64)
    found = jnp.searchsorted(shifted, goals + u, side="right")
    actions = jnp.clip(found - goals * k, 0, k - 1)  # b ~ pi(. | g)
    if hindsight:
        goals = actions  # relabel with the achieved goal
    rewards = (actions == goals).astype(jnp.float64)
    weight = rewards / k if hindsight else rewards
    eta = weight[:, None] * scores[goals, actions] * (goals == 0)[:, None]  # [size, 2]
    return jnp.stack([eta[:, 0], eta[:, 0] ** 2, eta[:, 1], eta[:, 1] ** 2], axis=1).sum(0)


def monte_carlo(key: jax.Array, k: int, hindsight: bool) -> dict[str, tuple]:
    """Per component: (mean, MSE against the exact gradient, exact gradient, samples)."""
    logits = jnp.full((k, k), _LOGIT.value, jnp.float32)
    size = min(_NUM_SAMPLES.value, _CHUNK_SIZE.value)
    num_chunks = -(-_NUM_SAMPLES.value // size)

    @jax.jit
    def sums(keys, logits):
        shifted, scores = policy_tables(logits)
        return jax.lax.map(lambda c: chunk_sums(c, shifted, scores, size, hindsight), keys)

    total = np.asarray(sums(jax.random.split(key, num_chunks), logits)).sum(0)
    gradient = np.asarray(jax.grad(expected_return)(logits.astype(jnp.float64)))
    n = num_chunks * size
    results = {}
    for name, (first, second), exact in (
        ("diagonal", total[:2], gradient[0, 0]),
        ("off_diagonal", total[2:], gradient[1, 0]),
    ):
        mean = first / n
        mse = second / n - 2 * exact * mean + exact**2
        results[name] = (mean, mse, exact, n)
    return results


def paper_relative_error(k: int, estimator: str, diagonal: bool) -> float:
    """sqrt(MSE)/|E| from appendix B: exact E and V for REINFORCE, leading order for hindsight."""
    d = float(diagonal)
    if estimator == "reinforce":
        mean = d / k**2 - 1 / k**3
        var = (1 / k**2 + 2 / k**5 - 2 / k**3 - 1 / k**4) * d + 1 / k**4 - 1 / k**6
        return float(np.sqrt(var) / abs(mean))
    return float(np.sqrt((k**3 * d + k) / (k**2 * d + 1)))


def exact_relative_error(k: int, estimator: str) -> float:
    """Our closed form (module docstring); the same for both components."""
    return k * np.sqrt(1 - 1 / k**2) if estimator == "reinforce" else np.sqrt(k - 1.0)


def main(argv: list[str]) -> None:
    del argv
    ks = _KS.value
    os.makedirs(_OUT.value, exist_ok=True)
    key = jax.random.PRNGKey(_SEED.value)
    rows = []
    start = time.time()
    for k in ks:
        for estimator in ESTIMATORS:
            key, mc_key = jax.random.split(key)
            results = monte_carlo(mc_key, k, estimator == "hindsight")
            for component in COMPONENTS:
                mean, mse, exact, n = results[component]
                rows.append(
                    dict(
                        k=k,
                        estimator=estimator,
                        component=component,
                        num_samples=n,
                        true_gradient=exact,
                        mc_mean=mean,
                        mc_bias=mean - exact,
                        mc_mse=mse,
                        mc_rel_error=np.sqrt(mse) / abs(exact),
                        exact_rel_error=exact_relative_error(k, estimator),
                        paper_rel_error=paper_relative_error(k, estimator, component == "diagonal"),
                    )
                )
        print(f"k={k} done ({time.time() - start:.1f} s)", flush=True)

    write_csv(os.path.join(_OUT.value, "theorems.csv"), rows)

    header = f"{'k':>4} {'estimator':>10} {'component':>12} {'bias/|grad|':>12} "
    header += f"{'MC rel.err':>11} {'exact':>9} {'paper':>9}"
    print(header)
    for row in rows:
        print(
            f"{row['k']:>4} {row['estimator']:>10} {row['component']:>12} "
            f"{row['mc_bias'] / abs(row['true_gradient']):>12.4f} "
            f"{row['mc_rel_error']:>11.3f} {row['exact_rel_error']:>9.3f} "
            f"{row['paper_rel_error']:>9.3f}"
        )

    fig, ax = plt.subplots(figsize=(6, 4.5))
    colors = {"reinforce": "tab:red", "hindsight": "tab:blue"}
    markers = {"diagonal": "o", "off_diagonal": "x"}
    for estimator in ESTIMATORS:
        for component in COMPONENTS:
            chosen = [r for r in rows if (r["estimator"], r["component"]) == (estimator, component)]
            x = np.array([r["k"] for r in chosen], np.float64)
            y = np.array([r["mc_rel_error"] for r in chosen])
            slope = np.polyfit(np.log(x), np.log(y), 1)[0]
            print(f"slope {estimator:>10} {component:>12}: {slope:.3f}")
            label = f"{estimator} {component.replace('_', '-')} (MC), slope {slope:.2f}"
            ax.plot(x, y, markers[component], color=colors[estimator], label=label, ms=7)
        x = np.array(ks, np.float64)
        exact = [exact_relative_error(k, estimator) for k in ks]
        ax.plot(x, exact, "--", color=colors[estimator], lw=1, label=f"{estimator} exact")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("k (number of actions = goals)")
    ax.set_ylabel("relative error sqrt(MSE) / |dJ/dL|")
    ax.set_title(f"Theorems 1-2: {rows[0]['num_samples']:.1e} samples per point")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(_OUT.value, "theorems.png"), dpi=120)
    print(f"wrote {_OUT.value}/theorems.csv and theorems.png in {time.time() - start:.1f} s")


if __name__ == "__main__":
    app.run(main)
