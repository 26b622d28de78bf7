"""One fresh process's start-up, phase by phase (run by `benchmark.py --startup`).

    python experiments/startup_probe.py RECIPE CACHE_DIR [TARGET]

Times `import hemjax`, the backend's start, and `hem.run(recipe, target_success=TARGET)` from
the call to the first evaluation that reaches TARGET, with XLA's own trace / lowering / compile
durations inside it. CACHE_DIR '' turns the persistent compilation cache off. Prints one JSON
line. Mistakes in the arguments end in one line on stderr starting with "error:" and exit
status 2, before anything compiles.
"""

import time

started = time.perf_counter()

import collections  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402

from flag_checks import fail  # noqa: E402

USAGE = "startup_probe.py RECIPE CACHE_DIR [TARGET]"


def target_success(argv: list[str]) -> float:
    """TARGET of `argv` (default 0.99), once the arguments are RECIPE CACHE_DIR [TARGET]."""
    if not 3 <= len(argv) <= 4:
        fail(f"arguments {argv[1:]} are not allowed: {USAGE}")
    if len(argv) == 3:
        return 0.99
    try:
        target = float(argv[3])
    except ValueError:
        target = math.nan
    if not 0.0 <= target <= 1.0:
        fail(f"TARGET={argv[3]!r} is not allowed: a number in [0, 1]")
    return target


target = target_success(sys.argv)  # before the imports timed below: no time of theirs

import jax  # noqa: E402

import hemjax as hem  # noqa: E402
from hemjax.config import ConfigError, recipe_config  # noqa: E402

imported = time.perf_counter()
jax.devices()
backend = time.perf_counter()

phases: dict[str, float] = collections.defaultdict(float)
events: collections.Counter = collections.Counter()
jax.monitoring.register_event_duration_secs_listener(
    lambda name, seconds, **kwargs: phases.__setitem__(name, phases[name] + seconds)
)
jax.monitoring.register_event_listener(lambda name, **kwargs: events.update([name]))
recipe, cache = sys.argv[1], sys.argv[2]
try:
    config = recipe_config(
        recipe, progress_bar=False, compilation_cache=cache, target_success=target
    )
    hem.validate(config, jax.device_count())
except ConfigError as error:
    fail(f"RECIPE: {error}")
run_start = time.perf_counter()
train_state = hem.run(config)
finished = time.perf_counter()
last = train_state.history[-1]
print(
    json.dumps(
        {
            "recipe": recipe,
            "cache": "warm" if events["/jax/compilation_cache/cache_hits"] else "cold",
            "import_s": round(imported - started, 2),
            "backend_s": round(backend - imported, 2),
            "trace_s": round(phases["/jax/core/compile/jaxpr_trace_duration"], 2),
            "lower_s": round(phases["/jax/core/compile/jaxpr_to_mlir_module_duration"], 2),
            "compile_s": round(phases["/jax/core/compile/backend_compile_duration"], 2),
            "run_to_target_s": round(finished - run_start, 2),
            "reached": bool(last.get("target_reached")),
            "success": round(last["eval_success"], 3),
            "iterations": last["iteration"],
        }
    )
)
