"""The browser tests' harness: `streamlit run` of the app on a free localhost port
(`_streamlit`), the classroom deploy (`_classroom`: deploy/, two processes behind nginx),
headless Chromium (Debian's `chromium`, driven by Playwright) and the screenshots saved to
test-artifacts/ (and docs/screenshots/ with UPDATE_SCREENSHOTS=1). Used by
tests/test_browser.py, tests/test_browser_classroom.py, tests/test_phone.py and
bench/probe_rooms.py."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.layout import _settle

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs" / "screenshots"
REAL_FRAME = ROOT.parent / "shared" / "handcam" / "frames" / "house_Rhand_Image723.png"
CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium found (apt-get install chromium, or set CHROMIUM)"
)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# A model's answer on Predict ("12 ms · test accuracy 9.4%"): what a picture given brings.
# Not "test accuracy" alone, which the page's own intro says before any answer.
ANSWERED = re.compile(r"\d ms · test accuracy")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DATA_LINK = ARTIFACTS / "handcam-sample"
DATA_SPEC = DATA_LINK.relative_to(ROOT).as_posix()


def _data_spec(sample_root) -> str:
    """The sample as a path relative to the project (a link in test-artifacts/): the
    screenshots show it in the sidebar, and they carry no path of the machine."""
    ARTIFACTS.mkdir(exist_ok=True)
    if DATA_LINK.is_symlink() and DATA_LINK.resolve() == Path(sample_root).resolve():
        return DATA_SPEC
    if DATA_LINK.is_symlink() or DATA_LINK.exists():
        DATA_LINK.unlink()
    DATA_LINK.symlink_to(sample_root, target_is_directory=True)
    return DATA_SPEC


@contextmanager
def _streamlit(
    sample_root,
    cache: Path | None = None,
    data: str | None = None,
    *,
    port: int | None = None,
    options: tuple[str, ...] = (),
    cafile: str | None = None,
):
    """`streamlit run` of the app on the sample (or `data`), on a free port (or `port`), with
    the session's cache (or `cache`) and `streamlit run`'s `options` last: its URL once
    healthy. With `cafile` (the certificate of options' sslCertFile) over HTTPS, checked
    against it."""
    import ssl

    port = port or _free_port()
    env = {**os.environ, "HANDCAM_DATA": data or _data_spec(sample_root)}
    if cache is not None:
        env["HANDCLF_CACHE"] = str(cache)
    # The server's output (and its training process's) goes to a file: a pipe nobody reads
    # fills after 64 KB of logs, and the server then hangs on its next write.
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"streamlit-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the server)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            *options,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"{'https' if cafile else 'http'}://127.0.0.1:{port}"
    trust = ssl.create_default_context(cafile=cafile) if cafile else None
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=trust)
            break
        except ssl.SSLCertVerificationError:  # the certificate does not cover 127.0.0.1
            raise
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        log.close()
        pytest.fail("streamlit did not start: " + log_path.read_text(errors="replace")[-2000:])
    try:
        yield url
    except Exception:
        print("the server's output, its end:\n" + log_path.read_text(errors="replace")[-4000:])
        raise
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


NGINX = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


@contextmanager
def _classroom(sample_root, processes: int = 2):
    """`deploy/classroom.py`: `processes` Streamlit processes of the app on the sample and the
    session's cache, nginx in front on a free port. Its URL, and its run folder (where
    nginx's access.log names each request's process)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "deploy/classroom.py", f"--processes={processes}", f"--port={port}"],
        cwd=ROOT,
        env={**os.environ, "HANDCAM_DATA": _data_spec(sample_root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    said = []
    for line in proc.stdout:  # until it prints its URL (it ends by itself if it cannot)
        said.append(line)
        if line.startswith("HandCam Classroom on "):
            break
    else:
        proc.wait()
        pytest.fail("deploy/classroom.py did not start: " + "".join(said))
    run = Path(re.search(r"logs in (\S+)", "".join(said)).group(1))
    try:
        yield said[-1].split()[3], run
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        # Its logs and nginx's configuration kept with the screenshots, its folder removed.
        kept = ARTIFACTS / "classroom"
        shutil.rmtree(kept, ignore_errors=True)
        kept.mkdir()
        for path in [*run.glob("*.log"), *run.glob("nginx.conf")]:
            shutil.copy(path, kept)
        shutil.rmtree(run, ignore_errors=True)


@contextmanager
def chromium(*args: str):
    """A headless Chromium of its own, LAUNCH_ARGS and `args` on its command line
    (Playwright's API belongs to the thread that starts it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*LAUNCH_ARGS, *args])
        try:
            yield browser
        finally:
            browser.close()


def _check(page, name: str, full_page: bool = True, palette: bool = False) -> None:
    """No exception shown; a screenshot (copied to docs/ with UPDATE_SCREENSHOTS=1), in 256
    colours with `palette` (a whole page: a fourth of the bytes, the text as sharp)."""
    assert page.locator('[data-testid="stException"]').count() == 0, f"{name}: exception shown"
    shot = ARTIFACTS / f"{name}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=full_page, scale="css")
    if palette:
        from PIL import Image

        with Image.open(shot) as drawn:
            few = drawn.convert("RGB").quantize(256, Image.Quantize.FASTOCTREE, dither=0)
        few.save(shot, optimize=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        (DOCS / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, DOCS / f"{name}.png")


def _unfold(page, title: str) -> None:
    """Open the expander `title` unless it is open already."""
    details = page.locator("details").filter(has_text=title).first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
        _settle(page)
