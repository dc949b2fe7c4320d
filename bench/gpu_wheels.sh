#!/usr/bin/env bash
# Run HERE (with network), once: fetch what a lent GPU machine lacks for bench/gpu_check.py
# into .gpu-wheels/ (git-ignored, about 2 MB). That machine has Python 3.12, JAX, NumPy,
# Pillow, pandas, scikit-learn, h5py, rich, absl-py and ml-dtypes, but no Keras and no
# network. Then carry the folder: run(command="bash bench/gpu_check.sh", carry=[".gpu-wheels"]).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
keras=$(grep -Po '^keras==\K[^ ]+' requirements.txt)
python3 -m pip download --quiet --dest .gpu-wheels --no-deps --only-binary=:all: \
  --python-version 3.12 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  "keras==$keras" namex optree
ls -l .gpu-wheels
