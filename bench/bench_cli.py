"""The command line's answers as a user waits for them: `models` cold and warm, `stats`, and
`predict` with its inference time apart from the process's start.

    python bench/bench_cli.py [--rounds 3]

Each command runs in a fresh process (as typed in a shell), side by side in one run: wall
time of the whole process, and for `predict` the milliseconds it reports for the picture
itself (decoding, preprocessing, the forward pass; loading the model excluded). `models`
cold is its first run on an empty cache (it builds the three models to count their
parameters), warm every later one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAME = ROOT.parent / "shared" / "handcam" / "frames" / "house_Rhand_Image723.png"


def timed(*args: str, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "handclf_core", *args], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return time.perf_counter() - start, run.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ)
    print(f"load average {os.getloadavg()[0]:.1f}")
    results: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as empty:
            cold, _ = timed("models", env={**env, "HANDCLF_CACHE": empty})
            warm, _ = timed("models", env={**env, "HANDCLF_CACHE": empty})
        results.setdefault("models, cold (counts the parameters)", []).append(cold)
        results.setdefault("models, warm", []).append(warm)
        results.setdefault("stats (built-in sample)", []).append(timed("stats", env=env)[0])
        if FRAME.is_file():
            wall, out = timed("predict", "--model", "cnn_basic", "--image", str(FRAME),
                              "--json", env=env)  # fmt: skip
            results.setdefault("predict cnn_basic: whole process", []).append(wall)
            results.setdefault("predict cnn_basic: the picture (reported)", []).append(
                json.loads(out)["milliseconds"] / 1000
            )
    for name, values in results.items():
        print(f"{name:44} median {statistics.median(values):6.2f} s  "
              + " ".join(f"{v:.2f}" for v in values))  # fmt: skip


if __name__ == "__main__":
    main()
