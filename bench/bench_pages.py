"""First render of every page on a freshly started server, in a real browser.

    python bench/bench_pages.py [--data PATH] [--rounds 2]

For each round: `streamlit run` the app on a free port, then open each page once, in page
order, in headless Chromium (Debian's), and time from the request until the page's script
run has ended (its title drawn, the app's state no longer "running"). The first page opened
pays for the server's own start of the script; the Train page starts the training process
(TensorFlow) in the background only, and Predict loads the stored models (Keras) in the
web process. Needs Chromium (`CHROMIUM` or on the PATH) and the app's stored runs for
Predict to classify anything. `--pause S` waits S seconds on each page, as a reader does:
Keras is preloaded in the background a few seconds after Compare (or Predict) is drawn.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["", "Dataset", "Preprocessing", "Train", "Compare", "Predict"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settled(page) -> None:
    app = page.locator('[data-testid="stApp"]')
    app.wait_for()
    page.locator("h1").first.wait_for(timeout=120_000)
    while app.get_attribute("data-test-script-state") in ("initial", "running"):
        page.wait_for_timeout(50)


def one_round(data: str | None, chromium: str, pause: float) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    port = _port()
    env = {**os.environ, **({"HANDCAM_DATA": data} if data else {})}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        times = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])  # fmt: skip
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            for name in PAGES:
                start = time.perf_counter()
                page.goto(f"{url}/{name}")
                _settled(page)
                times[name or "Home"] = time.perf_counter() - start
                page.wait_for_timeout(pause * 1000)  # a reader reads before the next click
            browser.close()
        return times
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="dataset (default: $HANDCAM_DATA, else the sample)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between pages")
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not chromium:
        sys.exit("no Chromium: apt-get install chromium, or set CHROMIUM")
    print(f"load average {os.getloadavg()[0]:.1f}")
    rounds = [one_round(args.data, chromium, args.pause) for _ in range(args.rounds)]
    for name in rounds[0]:
        values = [r[name] for r in rounds]
        print(f"{name:14} " + "  ".join(f"{v:5.2f} s" for v in values)
              + f"   median {statistics.median(values):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
