"""Benchmark: a whole class on one server — N students opening the pages at the same moment.

    python bench/bench_classroom.py [--sessions 10 20 30] [--out docs/classroom.json]
                                    [--profile] [--train] [--protocol [--alone] [--deploy N]]

`--protocol`: no browsers, the students speak the app's WebSocket protocol; the server's
figures alone (`bench/classroom_protocol.py`); with `--deploy N`, through nginx to N
processes (`deploy/`). Without it, headless Chromium, as follows.

For each N, on a freshly started server (`streamlit run`, the built-in sample, the cache
folder as it is: $HANDCLF_CACHE or cache/, with its stored runs):

1. **The teacher** opens every page once, in page order, in headless Chromium (Debian's),
   and waits on each until it has settled: what a teacher does before the class.
2. After `--pause` seconds (the teacher talks; the training process the Train page
   started leaves when idle, see `training.trainer.TRAINING_IDLE`), **N students** — N
   browser contexts, each its own Streamlit session — open Home at the
   same moment, then Dataset, Compare and Predict through the sidebar's links, as fast as
   each page settles. Per page: how long the server's script run took to draw it (timed
   in the server, `bench/classroom_server.py`), and, in the browser, the time from the
   request (or the click) until its heading is drawn and until the page has *settled*
   (the run ended and stayed so for 0.5 s, the page drawn); the median and the 95th
   percentile over the students. In a classroom each browser runs on its student's
   laptop: here Chromium runs at the lowest priority (nice 19), so that the server gets
   the CPU first, as it would; "settled" adds N browsers drawing on this machine's two
   cores with what the server leaves.
3. **The server's cost**: the CPU seconds its processes (the web process and the training
   process) spent during the students' phase, divided by N, and the peak of their memory
   (sampled every 0.5 s). Chromium runs on the same machine and competes
   for the CPU, so the times depend on it (its own CPU seconds are reported too); the
   server's CPU seconds per student do not. Memory is the proportional set size (PSS) of
   the server's processes, summed: shared libraries counted once.

`--train` starts a training in the background first (AlexNet's quick demo at a seed not
stored, through the app's own training queue and process, on the served cache folder: its
job is on the board the pages follow) and measures the students while it runs.
`--profile` runs each page once more for a new session in this process (Streamlit's
AppTest, after a warm-up run) under cProfile, and reports where the script's time goes, by
part (the app's pages, the core, Altair/Vega-Lite, pandas, NumPy, Streamlit itself,
Keras/TensorFlow, other).

Writes the figures, the machine and its load as JSON (`--out`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from playwright.async_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere

from bench import classroom_measure as measure  # noqa: E402
from bench import classroom_profile, classroom_protocol  # noqa: E402

# (page path, sidebar title, the heading's text), in the order a teacher walks them.
TEACHER = [
    ("", "Home", "what is the hand holding"),
    ("Dataset", "Dataset", "Dataset"),
    ("Preprocessing", "Preprocessing", "Preprocessing"),
    ("Train", "Train", "Train"),
    ("Compare", "Compare", "Compare"),
    ("Predict", "Predict", "Predict"),
]
STUDENT = [TEACHER[0], TEACHER[1], TEACHER[4], TEACHER[5]]
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# Chromium runs at the lowest priority: in a classroom each browser is on its student's
# laptop; here the N browsers would otherwise take the CPU from the server they measure.
BROWSERS_NICE = 19
QUIET = 0.5  # seconds a page's script must stay ended to count as settled


LOOK = """() => [document.querySelector("h1")?.innerText ?? null,
  document.querySelector('[data-testid="stApp"]')?.getAttribute("data-test-script-state")
  ?? null]"""


async def _settle(page, heading: str, start: float, timeout: float = 300) -> tuple[float, float]:
    """Seconds from `start` until the page's heading says `heading`, and until its script
    run ended for good (stayed ended QUIET s)."""
    seen = ended = None
    deadline = start + timeout
    while True:
        now = time.perf_counter()
        if now > deadline:
            raise TimeoutError(f"page {heading!r} did not settle in {timeout:.0f} s")
        try:  # one look at the page: its heading and its script's state
            h1, state = await page.evaluate(LOOK)
        except PlaywrightError:  # the page was being replaced: look again
            h1 = state = None
        if seen is None and h1 and heading.lower() in h1.lower():
            seen = now
        if seen is not None and state not in (None, "initial", "running"):
            ended = ended or now
            if now - ended >= QUIET:
                return seen - start, ended - start
        else:
            ended = None
        await asyncio.sleep(0.05)


async def _visit(page, url: str, walk, times: dict) -> None:
    for i, (path, title, heading) in enumerate(walk):
        start = time.perf_counter()
        if i == 0:
            await page.goto(f"{url}/{path}", wait_until="commit", timeout=300_000)
        else:
            link = page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first
            await link.click(timeout=300_000)
        shown, settled = await _settle(page, heading, start)
        times.setdefault(title, []).append((shown, settled))


async def one_class(
    url: str, proc: psutil.Process, log: Path, n: int, chromium: str, pause: float = 75
) -> dict:
    from playwright.async_api import async_playwright

    sampler = measure.Sampler(proc)
    sampler.start()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        server_pids = {q.pid for q in measure.tree(proc)}
        for q in psutil.Process().children(recursive=True):  # the browsers, at the back
            if q.pid not in server_pids:
                with contextlib.suppress(psutil.Error):
                    q.nice(BROWSERS_NICE)  # their renderers, started later, inherit it
        teacher: dict = {}
        ctx = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
        t0 = time.perf_counter()
        await _visit(await ctx.new_page(), url, TEACHER, teacher)
        teacher_s = time.perf_counter() - t0
        await ctx.close()
        await asyncio.sleep(pause)  # the teacher talks; an idle training process leaves
        training_process = any(  # TensorFlow loaded in a process beside the web process
            p.pid != proc.pid and p.memory_info().rss > 300 * 2**20 for p in measure.tree(proc)
        )
        contexts = [await browser.new_context(viewport={"width": 1440, "height": 900},
                                              locale="en-US") for _ in range(n)]  # fmt: skip
        pages = [await c.new_page() for c in contexts]
        students: dict = {}
        sampler.peak = measure.memory(proc)
        me = psutil.Process()  # the browsers: this process's children but the server
        cpu0, t0 = measure.cpu(proc), time.perf_counter()
        mine0 = measure.cpu(me) - cpu0
        since = time.time()
        await asyncio.gather(*(_visit(pg, url, STUDENT, students) for pg in pages))
        wall, cpu = time.perf_counter() - t0, measure.cpu(proc) - cpu0
        runs, fragments = measure.server_runs(log, since, time.time())
        browsers = measure.cpu(me) - measure.cpu(proc) - mine0
        peak = sampler.peak
        await browser.close()
    sampler.stop.set()
    pages_out = {}
    for path, title, _ in STUDENT:
        shown = [s for s, _ in students[title]]
        settled = [s for _, s in students[title]]
        drawn = runs.get(path, [0.0])
        pages_out[title] = {
            "server_runs": len(runs.get(path, [])),
            "server_median_s": round(statistics.median(drawn), 2),
            "server_p95_s": round(measure.percentile(drawn, 0.95), 2),
            "heading_median_s": round(statistics.median(shown), 2),
            "heading_p95_s": round(measure.percentile(shown, 0.95), 2),
            "settled_median_s": round(statistics.median(settled), 2),
            "settled_p95_s": round(measure.percentile(settled, 0.95), 2),
        }
    return {
        "sessions": n,
        "teacher_walk_s": round(teacher_s, 1),
        "teacher_settled_s": {k: round(v[0][1], 2) for k, v in teacher.items()},
        "pages": pages_out,
        "settled_p95_all_s": round(
            measure.percentile([s for v in students.values() for _, s in v], 0.95), 2
        ),  # fmt: skip
        "server_p95_all_s": round(
            measure.percentile([s for v in runs.values() for s in v], 0.95), 2
        ),
        "fragment_runs": fragments["runs"],
        "fragment_seconds": round(fragments["seconds"], 1),
        "students_wall_s": round(wall, 1),
        "server_cpu_s_per_session": round(cpu / n, 2),
        "browsers_cpu_s_per_session": round(browsers / n, 2),  # Chromium and this script
        "server_cpu_s": round(cpu, 1),
        "server_peak_mb": round(peak / 2**20),
        "pause_after_teacher_s": pause,
        "training_process_during_students": training_process,
    }


def _print(results: list[dict], profile: dict | None) -> None:
    print("\nstudents at once: seconds the server took to draw each page, and until the "
          "browser had settled it, median / 95th percentile")  # fmt: skip
    for r in results:
        cells = "  ".join(f"{k} {v['server_median_s']:.1f}/{v['server_p95_s']:.1f}, "
                          f"{v['settled_median_s']:.1f}/{v['settled_p95_s']:.1f}"
                          for k, v in r["pages"].items())  # fmt: skip
        print(f"  N={r['sessions']:>2}: {cells}  | all p95 {r['server_p95_all_s']:.1f} "
              f"server, {r['settled_p95_all_s']:.1f} settled, "
              f"server {r['server_cpu_s_per_session']:.2f} CPU s/session "
              f"(browsers {r['browsers_cpu_s_per_session']:.2f}), "
              f"peak {r['server_peak_mb']} MB")  # fmt: skip
    for title, p in (profile or {}).items():
        shares = ", ".join(f"{k} {v:.0%}" for k, v in p["share"].items() if v >= 0.02)
        print(f"  profile {title}: {p['seconds']:.2f} s — {shares}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 20, 30])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--train", action="store_true")
    parser.add_argument(
        "--protocol",
        action="store_true",
        help="no browsers: the students "
        "speak the app's WebSocket protocol (bench/classroom_protocol.py)",
    )
    parser.add_argument(
        "--alone", action="store_true", help="with --train: each N also without the training, first"
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=10,
        help="--protocol: seconds over which the students arrive (default 10)",
    )
    parser.add_argument(
        "--deploy",
        type=int,
        default=0,
        metavar="N",
        help="--protocol: through deploy/ (N Streamlit processes behind nginx) instead of one",
    )
    parser.add_argument(
        "--hold",
        type=float,
        default=10,
        help="--protocol: seconds every page stays open after the last student's walk (default 10)",
    )
    parser.add_argument(
        "--pause",
        type=float,
        help="seconds between the teacher's walk and "
        "the students' (default 75 with browsers: the training process the "
        "Train page started has left, idle, after 60 s; 5 with --protocol)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="serve a cache folder of its own: the "
        "built-in sample and the stored runs of this seed only, hard links "
        "into the project's cache (the experiment grid, once)",
    )
    args = parser.parse_args()  # fmt: skip
    if args.seed is not None:
        os.environ["HANDCLF_CACHE"] = str(measure.one_seed(args.seed))
    env = {**os.environ, "HANDCAM_DATA": os.environ.get("HANDCAM_DATA", "")}
    load = os.getloadavg()[0]
    # The training beside on the served cache folder, as in class: its job is on the board
    # every page's sidebar follows; what it stores goes after the class (`one_class`).
    train = measure.project_cache() if args.train else None
    results = []
    for n in [n for n in args.sessions if n > 0]:  # --sessions 0: the profile only
        for beside in [None, train] if args.alone else [train]:
            log = Path(tempfile.mkdtemp(prefix="handclf-runs-")) / "runs.jsonl"
            if args.protocol:
                pause = 5 if args.pause is None else args.pause
                results.append(classroom_protocol.one_class(
                    env, log, n, args.spread, pause, args.hold, beside, args.deploy))  # fmt: skip
                classroom_protocol.show(results[-1])
            else:
                results.append(_browsers(env, log, n, 75 if args.pause is None else args.pause,
                                         beside))  # fmt: skip
                _print(results[-1:], None)
    profile = classroom_profile.profile_pages() if args.profile else None
    if not args.protocol:
        _print(results, profile)
    record = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{round(psutil.virtual_memory().total / 2**30)} GB",  # fmt: skip
        "load_at_start": round(load, 2),
        "load_at_end": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%d"),
        "mode": "protocol" if args.protocol else "browsers",
        "runs_stored": len(list((measure.project_cache() / "runs").glob("*/run.json"))),
        "classes": results,
        "profile": profile,
    }
    if args.out:
        args.out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {args.out}")


def _browsers(env: dict, log: Path, n: int, pause: float, train: Path | None) -> dict:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("needs Chromium: apt-get install chromium, or set CHROMIUM")
    with measure.server(env, log) as (url, proc):
        training = measure.training_beside(train) if train else None
        try:
            result = asyncio.run(one_class(url, proc, log, n, chromium, pause))
        finally:
            if training:
                training.terminate()
    result["training_beside"] = "alexnet quick demo" if training else None
    return result


if __name__ == "__main__":
    main()
