#!/usr/bin/env bash
# Run THERE, on a lent GPU machine: install Keras from the carried wheels (see gpu_wheels.sh;
# skipped where Keras imports already), then the check on Keras' JAX backend, in under
# 5 minutes. Writes gpu_check.json and nvidia-smi.csv to $OUT (the device tool's output
# folder), else here. Extra arguments go to bench/gpu_check.py (e.g. --quick on a CPU).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! python3 -c "import keras" 2>/dev/null; then
  python3 -m pip install --quiet --no-index --find-links .gpu-wheels keras namex optree
fi
export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1
export XLA_PYTHON_CLIENT_PREALLOCATE=false  # JAX takes what it uses: peak memory means something
out=${OUT:-.}
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/nvidia-smi.csv"
fi
# The lent machine's budget (GPU_CHECK_TIMEOUT=0: none, as on a CPU in the test suite).
timeout "${GPU_CHECK_TIMEOUT:-290}" python3 bench/gpu_check.py --out "$out/gpu_check.json" "$@"
