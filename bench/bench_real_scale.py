"""Benchmark: the lesson at the real dataset's size, on this machine.

    python bench/bench_real_scale.py [--out docs/real_scale.json] [--keep DIR]

The frames archive cannot be downloaded here, so the tree is built in the real layout from
the real label files (`../shared/handcam/labels`: 20 recordings, 41,652 frames of three
cameras) with one real 1920x1080 frame (`../shared/handcam/frames`) copied once onto the
tree's file system and hard-linked in place of every frame: no disk beyond it, and every
frame costs what a real one costs to read and decode. On a fresh cache it measures:

1. **prepare** (`python -m handclf_core prepare --size 32`: the 27,768 hand frames decoded
   into the frame store, one worker per core), stopped with Ctrl-C after `--stop-after`
   seconds and run again: it resumes from the chunks kept (checked by their SHA-256). Its
   frames/s, against decoding alone (the same frame decoded and reduced in a pool of as many
   processes, nothing written; goal >= 0.85), and the estimate each run printed before it
   decoded, against the time it took.
2. **Runs**: CNN_basic's and the Mnist-style CNN's recipes trained on every frame (their
   test predictions: 12,776 test frames), and AlexNet's recipe for one epoch of 214 steps,
   from which the estimator (the Train page's, from that stored run) extrapolates the
   whole recipe's 10 epochs; the Train page's estimate before pressing is printed too.
3. **Pages** in a process of their own, as the web server runs them (Streamlit's AppTest,
   no browser), 6 s apart as a reader clicks: Dataset, Compare (every figure of the
   recipes' 12,776 test frames, the frames behind its largest confusion cell), Compare's
   map of the test frames (PCA, then t-SNE), Predict; a first session on cold caches, then
   a second one (warm). Goals: first <= 3 s, warm <= 1 s a page; the map bounded (<= 30 s);
   the process's memory (PSS) <= 1.5 GB.

Prints each figure and writes them, with the machine and its load, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "handcam"
FRAME = SHARED / "frames" / "house_Lhand_Image723.png"


def build_tree(root: Path) -> int:
    """The real layout under `root`: labels copied, the real frame linked as every frame
    (as many as each recording's label files have). The number of frames."""
    import numpy as np

    from handclf_core.data.layout import SCENES, TEST_RECORDINGS, TRAIN_RECORDINGS, label_number

    shutil.copytree(SHARED / "labels", root / "labels")
    frame = root / "frame.png"
    shutil.copy(FRAME, frame)  # onto the tree's file system, once
    count = 0
    for split, recordings in (("train", TRAIN_RECORDINGS), ("test", TEST_RECORDINGS)):
        for scene in SCENES:
            for rec in range(1, recordings[scene] + 1):
                n = label_number(split, scene, rec)
                frames = len(np.load(root / "labels" / scene / f"obj_left{n}.npy"))
                for camera in ("Lhand", "Rhand", "head"):
                    folder = root / "frames" / split / scene / str(rec) / camera
                    folder.mkdir(parents=True)
                    for k in range(1, frames + 1):
                        os.link(frame, folder / f"Image{k}.png")
                    count += frames
    frame.unlink()
    return count


def _decode_many(count: int) -> int:
    from handclf_core.data.images import decode_image, to_base

    data = FRAME.read_bytes()
    for _ in range(count):
        to_base(decode_image(data, FRAME.name))
    return count


def decoding_alone(seconds: float = 30.0) -> float:
    """Frames/s of decoding and reducing the real frame in one process per core."""
    from handclf_core.workers import cpu_count

    workers = cpu_count()
    per = max(1, int(seconds * 25))  # frames a worker decodes: ~25 a second on a quiet core
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_decode_many, [1] * workers))  # workers started
        began = time.perf_counter()
        done = sum(pool.map(_decode_many, [per] * workers))
    return done / (time.perf_counter() - began)


def cli(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "handclf_core", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def _ctrl_c_heard() -> None:
    """A command started from a background shell job inherits SIGINT ignored: undone."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def prepare(tree: Path, env, stop_after: float) -> dict:
    """`prepare` stopped with Ctrl-C (SIGINT) after `stop_after` s, then run again to the end
    (it resumes): both times, the frames kept and the estimates it printed."""
    import signal

    command = [sys.executable, "-m", "handclf_core", "prepare", "--data", str(tree), "--json"]
    began = time.perf_counter()
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=_ctrl_c_heard)  # fmt: skip
    time.sleep(stop_after)
    first.send_signal(signal.SIGINT)
    _, first_err = first.communicate()
    stopped = time.perf_counter() - began
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    rest = time.perf_counter() - began
    result = json.loads(done.stdout)
    said = [re.search(r"about (.+?) here now", e) for e in (first_err, done.stderr)]
    kept = re.search(r"resuming: ([\d,]+) of", done.stderr)
    resumed = int(kept.group(1).replace(",", "")) if kept else 0
    return {
        "frames": result["frames"],
        "first_run_s": round(stopped, 1),
        "first_run_exit": first.returncode,
        "kept_frames": resumed,
        "second_run_s": round(rest, 1),
        "second_run_fps": round((result["frames"] - resumed) / rest, 1),
        "whole_fps": round(result["frames"] / (stopped + rest), 1),
        "estimates_said": [m.group(1) if m else None for m in said],
        "stderr_second": done.stderr.strip().splitlines()[:1],
    }


def estimate_said(tree: Path, env, *options) -> dict:
    said = cli("train", "--data", tree, *options, "--estimate", "--json", env=env)
    return json.loads(said.stdout)


def train(tree: Path, env, *options) -> dict:
    began = time.perf_counter()
    result = json.loads(cli("train", "--data", tree, *options, "--json", env=env).stdout)
    seconds = round(time.perf_counter() - began, 1)
    keep = ("run", "test_frames", "test_accuracy")
    return {"seconds": seconds, **{k: result[k] for k in keep}}


PAGES_SCRIPT = r"""
import json, sys, time
from pathlib import Path
from streamlit.testing.v1 import AppTest

data = sys.argv[1]
READER = 6.0
out = {}

def session(tag):
    at = AppTest.from_file("streamlit_app.py", default_timeout=600)
    at.session_state["data_spec"] = data
    began = time.perf_counter(); at.run(); out[f"{tag} Home"] = time.perf_counter() - began
    for name, page in (("Dataset", "app_pages/1_Dataset.py"), ("Compare", "app_pages/4_Compare.py"),
                       ("Predict", "app_pages/5_Predict.py")):
        time.sleep(READER)  # a reader reads before the next click (Keras preloads meanwhile)
        at.switch_page(page)
        began = time.perf_counter(); at.run(); out[f"{tag} {name}"] = time.perf_counter() - began
        assert not at.exception, [e.value for e in at.exception]
    return at

first = session("first")
for method in ("pca", "tsne"):
    first.switch_page("app_pages/4_Compare.py").run()
    radio = [r for r in first.radio if r.key and r.key.startswith("embedding.method")]
    if radio:
        radio[0].set_value(method).run()
    button = [b for b in first.button if b.key == "embedding.draw"]
    began = time.perf_counter()
    if button:
        button[0].click().run()
    out[f"map {method}"] = time.perf_counter() - began
    assert not first.exception, [e.value for e in first.exception]
session("warm")
pss = 0
for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
    if line.startswith("Pss:"):
        pss = int(line.split()[1]) * 1024
out["pss_bytes"] = pss
print(json.dumps(out))
"""


def pages(tree: Path, env) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PAGES_SCRIPT, str(tree)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit("pages failed:\n" + done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="docs/real_scale.json")
    ap.add_argument("--keep", help="build the tree and cache here and keep them")
    ap.add_argument("--steps", default="prepare,runs,pages",
                    help="the parts to run (a kept tree and cache may skip some)")  # fmt: skip
    ap.add_argument(
        "--stop-after",
        type=float,
        default=120.0,
        help="seconds after which the first prepare is stopped (Ctrl-C)",
    )
    args = ap.parse_args()
    base = Path(args.keep or tempfile.mkdtemp(prefix="handclf-real-scale-"))
    tree, cache = base / "handcam", base / "cache"
    env = {**os.environ, "HANDCLF_CACHE": str(cache), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("HANDCAM_DATA", None)
    result = {
        "machine": {
            "platform": platform.platform(),
            "cores": os.cpu_count(),
            "when": time.strftime("%Y-%m-%d %H:%M"),
        },
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        began = time.perf_counter()
        frames = build_tree(tree) if not tree.exists() else None
        print(f"tree: {frames} frames linked in {time.perf_counter() - began:.1f} s", flush=True)
        steps = args.steps.split(",")
        if "prepare" in steps:
            alone = decoding_alone()
            print(f"decoding alone: {alone:.1f} frames/s", flush=True)
            prep = prepare(tree, env, stop_after=args.stop_after)
            prep["second_run_of_decoding_alone"] = round(prep["second_run_fps"] / alone, 3)
            prep["whole_of_decoding_alone"] = round(prep["whole_fps"] / alone, 3)
            result["prepare"] = {**prep, "decoding_alone_fps": round(alone, 1)}
            print(f"prepare: {prep}", flush=True)
        if "runs" in steps:
            result["runs"] = train_runs(tree, env)
        if "pages" in steps:
            result["pages"] = pages(tree, env)
            print(f"pages: {result['pages']}", flush=True)
    finally:
        result["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"written to {args.out}")


def train_runs(tree: Path, env) -> dict:
    """The two small recipes on every frame, AlexNet's for one epoch (module doc)."""
    found = {}
    for model in ("cnn_basic", "mnist"):
        said = estimate_said(tree, env, "--model", model)
        found[model] = {**train(tree, env, "--model", model), "estimate_s": said["seconds"]}
        print(f"{model}: {found[model]}", flush=True)
    before = estimate_said(tree, env, "--model", "alexnet")
    epoch = estimate_said(tree, env, "--model", "alexnet", "--epochs", 1)
    one = train(tree, env, "--model", "alexnet", "--epochs", 1)
    after = estimate_said(tree, env, "--model", "alexnet")
    found["alexnet"] = {
        "one_epoch": one,
        "one_epoch_estimate_s": epoch["seconds"],
        "recipe_estimate_before_s": before["seconds"],
        "recipe_estimate_from_that_epoch_s": after["seconds"],
        "basis": after["basis"],
    }
    print(f"alexnet: {found['alexnet']}", flush=True)
    return found


if __name__ == "__main__":
    main()
