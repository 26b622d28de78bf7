#!/usr/bin/env bash
# The accelerator measurements of the open floors, in one call of under 10 minutes:
#   - MJX camera frames/s at 48x48 and 84x84 (issue 9: >= 1M frames/s at 48x48 on an H100),
#   - env steps/s through envs.make and training env steps/s (bit-flip, Fetch push),
#   - where a cold start goes (bit-flip to 0.99).
# Each part has its own time limit, so one slow part does not cost the others. Results go to
# $OUT/<part>/*.csv (default experiments/results/device) and the GPU's name to $OUT/gpu.txt.
#
#   bash experiments/device_checks.sh            # full sizes, for an accelerator
#   SMOKE=1 bash experiments/device_checks.sh    # tiny sizes: checks the script on a CPU
#
# Packages the accelerator's image lacks travel as wheels in .whl/ (if present they are
# installed to /tmp/site first); download them here with pip download --only-binary=:all:
# for the device's Python (see the device tool's README): mujoco, mujoco-core, mujoco-studio,
# mujoco-mjx, glfw, pyopengl, trimesh, ml-collections, tensorboardX, brax and its needs.
set -u
OUT=${OUT:-experiments/results/device}
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-python3}

if [ "${SMOKE:-0}" = 1 ]; then
  CAMERA_BATCHES=4 RASTER_BATCHES=16 BATCHES=64 MJX_BATCHES=8 ITERATIONS=2 STARTUP=""
  LIMITS=(600 600 900)
else
  CAMERA_BATCHES=1024,4096,8192 RASTER_BATCHES=4096,65536 BATCHES=4096,65536,262144
  MJX_BATCHES=1024,4096,16384 ITERATIONS=20 STARTUP=--startup=bitflip
  LIMITS=(150 120 300)  # seconds per part: 570 in all, under the device tool's 600 s a call
fi

(nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null \
  || $PY -c "import jax; print(jax.devices())") > "$OUT/gpu.txt"

part() {  # part NAME SECONDS COMMAND...: run one measurement under its own time limit
  local name=$1 seconds=$2
  shift 2
  echo "== $name"
  timeout "$seconds" "$@" || echo "== $name ended with status $?"
}

camera() {  # camera SIZE SECONDS
  part "camera $1" "$2" $PY experiments/benchmark_camera.py --out="$OUT/camera$1" --size="$1" \
    --raster_envs=pointmass --raster_batches=$RASTER_BATCHES \
    --camera_envs=reacher,fetch_reach,sawyer_reach --camera_batches=$CAMERA_BATCHES
}

camera 48 "${LIMITS[0]}"
camera 84 "${LIMITS[1]}"
part "throughput" "${LIMITS[2]}" $PY experiments/benchmark.py --out="$OUT/throughput" \
  --envs=bitflip,fetch_push --batches=$BATCHES --mjx_batches=$MJX_BATCHES \
  --train_recipes=bitflip,fetch_push --train_algos=hem,her \
  --train_iterations=$ITERATIONS $STARTUP
