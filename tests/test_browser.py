"""End to end in a real browser: `streamlit run` on a free localhost port, headless Chromium
(Debian's `chromium`, driven by Playwright) through every page — training a tiny model and
classifying an uploaded real frame, through the classroom deploy (deploy/: two processes
behind nginx) — with no Streamlit exception box anywhere. Screenshots are saved to
test-artifacts/ (and docs/screenshots/ with UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.layout import (
    CUT_TEXT,
    EXPERIMENTS,
    GALLERY,
    ROOMS,
    SHOWN_WORDS,
    TABLES_SCROLLED,
    TEXT_OVER_TEXT,
    WAIT,
    WIDER_THAN_THE_PAGE,
    _settle,
    by_kind,
    open_room,
    redrawn,
    room_faults,
    visit,
)
from tests.test_i18n import english_left

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs" / "screenshots"
REAL_FRAME = ROOT.parent / "shared" / "handcam" / "frames" / "house_Rhand_Image723.png"
CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
pytestmark = pytest.mark.skipif(
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


@pytest.fixture(scope="module")
def server(sample_root, tiny_run):
    with _streamlit(sample_root) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
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


def test_every_page(server, browser):
    """Each page at 1400x1000, its title, the whole page's screenshot (the README's first
    gallery); Compare's lesson on the noise and its lab report, downloaded."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page.set_default_timeout(WAIT)
    for name, path, text in [
        ("home", "", "what is the hand holding"),
        ("dataset", "Dataset", "Dataset"),
        ("preprocessing", "Preprocessing", "Preprocessing"),
        ("train", "Train", "Train"),
        ("compare", "Compare", "Compare"),
        ("predict", "Predict", "Predict"),
    ]:
        page.goto(f"{server}/{path}")
        _settle(page)
        assert text.lower() in page.inner_text("h1").lower(), name
        if name == "compare":  # every figure with its interval, the lesson on the noise
            body = page.inner_text("body")
            assert "its 95% interval over the" in body and "test recordings" in body
            assert "Is the difference real?" in body and "If we had filmed" in body
            # The lab report of the runs shown, downloaded as a student would.
            button = page.locator('[data-testid="stDownloadButton"]').filter(
                has_text="Download the lab report (HTML)"
            )
            with page.expect_download() as got:
                button.locator("button").click()
            report = Path(got.value.path()).read_text(encoding="utf-8")
            assert report.startswith("<!doctype html>"), report[:80]
            assert "Lab report: what is the hand holding?" in report and "<svg" in report
        _check(page, name)
    page.close()


@pytest.fixture(scope="module")
def class_runs(sample_ds, tiny_run, flip_run):
    """A class's Compare after its experiments: the CNN_basic settings of the grid and
    three seeds of one, the Mnist-style CNN in RGB and AlexNet, each tiny (32 frames, 1
    epoch): with the fixtures', ten runs whose long names the pages must fit."""
    import dataclasses

    from handclf_core.runs.config import TrainConfig
    from handclf_core.training.train import train
    from handclf_core.vocab import Balance, Validation

    tiny = TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=32)
    changes = [{"gray": True}, {"flip_right": True}, {"balance": Balance.CLASS_WEIGHT},
               {"validation": Validation.RANDOM}, {"seed": 1}, {"seed": 2},
               {"model": "mnist", "gray": False}, {"model": "alexnet"}]  # fmt: skip
    return [train(sample_ds, dataclasses.replace(tiny, **c))[0] for c in changes]


# The gallery's screenshots: at 1920 (named by kind, as the README's table has them), and
# a row for each of three smaller rooms.
SHOTS = {"desk-1920": "desk", "projector-1920": "projector", "projector-1024": "projector-1024",
         "desk-1366": "desk-1366", "phone": "phone"}  # fmt: skip


def test_every_page_in_every_room(server, class_runs):
    """Every page in every room of tests/layout.py's ROOMS — desks at 1920x1080, 1440x900,
    1366x768 and 1366x768 zoomed to 150%, projectors (presentation mode, the sidebar open)
    at 1920x1080, 1280x800 and 1024x768, a phone at 390x844 — in both languages, with ten
    runs stored: no word cut or drawn over another, nothing wider than the page, no
    table scrolling, no type under 16 px on a projector (docs/screenshots/gallery/). The
    two languages are walked at once, a browser each: the server and the browsers share
    the machine's cores, and a walk mostly waits for them."""
    with ThreadPoolExecutor(2) as pool:
        walks = [pool.submit(_in_a_browser, _walk_rooms, server, lang) for lang in LOCALES]
    for walk in walks:
        walk.result()  # a language's first fault, raised here


LOCALES = ("en-US", "zh-TW")


def _in_a_browser(walk, *args) -> None:
    """`walk(browser, *args)` in a browser of its own (Playwright's API belongs to the thread
    that started it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            walk(browser, *args)
        finally:
            browser.close()


def _walk_rooms(browser, server: str, locale: str) -> None:
    """One language's walk of the rooms. A page is opened once per kind of room (its
    session's presentation mode, a phone's emulation) and resized from room to room: its
    layout depends on the width, not on how it was reached."""
    lang = "en" if locale == "en-US" else "zh-tw"
    page = None
    for kind, group in by_kind(ROOMS):
        if page is not None:
            page.context.close()
        page = open_room(browser, server, group[0], locale)
        for name in GALLERY:
            visit(page, server, name, group[0])
            size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
            assert (size == "21px") == (kind == "projector"), (name, kind, size)
            # A headline figure stays larger than its own label, on a projector too.
            sizes = page.evaluate("""() => {
                const px = s => s && parseFloat(getComputedStyle(s).fontSize);
                const v = document.querySelector('[data-testid="stMetricValue"] p')
                    || document.querySelector('[data-testid="stMetricValue"]');
                const l = document.querySelector('[data-testid="stMetricLabel"] p')
                    || document.querySelector('[data-testid="stMetricLabel"]');
                return v && l ? [px(v), px(l)] : null; }""")
            assert sizes is None or sizes[0] > 1.5 * sizes[1], (name, kind, sizes)
            if lang == "zh-tw":  # no English left, in what the browser draws too
                assert not (left := english_left(page.evaluate(SHOWN_WORDS))), (name, left)
            for room in group:
                faults = room_faults(page, room)
                assert not faults, (name, lang, room.name, faults)
                if room.name in SHOTS:
                    _check(page, f"gallery/{name}-{lang}-{SHOTS[room.name]}", full_page=False)
                if name == "compare" and room.name == "projector-1920":  # the whole page
                    tall = page.evaluate(
                        "document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
                    )
                    page.set_viewport_size({"width": 1920, "height": min(tall, 16000)})
                    redrawn(page)  # charts redrawn at the new size
                    _check(page, f"gallery/{name}-{lang}-projector-whole", False, palette=True)
    # The checks find what they are for (on the last room's page): words cut or scrolled
    # away, a block too wide.
    page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMainBlockContainer"]');
        main.insertAdjacentHTML('beforeend', '<p style="width: 40px; overflow: hidden; '
            + 'white-space: nowrap; text-overflow: ellipsis">a label too long for its box</p>'
            + '<div style="height: 1.5em; overflow: auto"><p>a chip in sight</p>'
            + '<p>a chip scrolled out of sight</p></div>'
            + '<div data-testid="stVegaLiteChart" style="width: 5000px">wide</div>'); }""")
    cut = page.evaluate(CUT_TEXT)
    assert cut == ["a label too long for its box", "a chip scrolled out of sight"], cut
    assert len(page.evaluate(WIDER_THAN_THE_PAGE)) == 1
    # ...and texts drawn over each other in a chart, and a table that scrolls.
    page.evaluate("""() => {
        const svg = document.querySelector('[data-testid="stVegaLiteChart"] svg');
        const text = svg.querySelector('text');
        text.parentNode.appendChild(text.cloneNode(true));
        document.querySelector('[data-testid="stMainBlockContainer"]').insertAdjacentHTML(
            'beforeend', '<div data-testid="stTable" style="width: 100px; overflow: auto">'
            + '<table style="width: 900px"><tr><td>a wide table</td></tr></table></div>'); }""")
    assert len(page.evaluate(TEXT_OVER_TEXT)) == 1
    scrolled = page.evaluate(TABLES_SCROLLED)
    assert len(scrolled) == 1 and scrolled[0].startswith("a wide table: 900x"), scrolled
    if lang == "zh-tw":  # the English of the injected blocks is found (and nothing else)
        left = english_left(page.evaluate(SHOWN_WORDS))
        assert {w for x in left for w in ("label", "wide", "table") if w in x} == {
            "label", "wide", "table"}, left  # fmt: skip
    page.context.close()


def _gray_quick_demo(page, server) -> None:
    """Grayscale chosen on Preprocessing and applied to every model, then the Train page's
    quick demo on 32 frames per split: the settings of the run the browser test trains."""
    page.goto(f"{server}/")  # through the entrypoint, as a user arrives
    _settle(page)
    page.get_by_role("link", name="Preprocessing", exact=True).click()
    _settle(page)
    page.get_by_text("Grayscale", exact=True).first.click()
    _settle(page)
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("Applied to").first.wait_for()
    _settle(page)
    page.get_by_role("link", name="Train", exact=True).click()
    _settle(page)
    data = page.locator('[data-testid="stSidebar"] [data-testid="stTextInput"] input')
    assert data.input_value() == DATA_SPEC  # HANDCAM_DATA's pre-fill survives a page switch
    assert page.get_by_text("CNN_basic · gray").count() >= 1
    page.get_by_text("Quick demo").first.click()
    _settle(page)
    frames = page.get_by_label("Frames per split").first
    frames.fill("32")
    frames.press("Enter")
    _settle(page)


@pytest.fixture
def classroom(sample_root):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run installs it)")
    with _classroom(sample_root) as found:
        yield found


def test_train_then_predict_an_uploaded_frame(classroom, browser, tmp_path):
    """Through the classroom deploy (two processes on one cache, nginx in front), two students
    from one address, as a school's NAT shows them: each browser goes to a process of its
    own and stays there. One trains, classifies an uploaded frame and compares on one
    process; the other finds the run stored, not trained again, and on its Compare."""
    server, run = classroom
    students = {}  # the process that served a browser's first page: that browser
    for _ in range(2):  # new browsers go to the processes in turn
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        context.set_default_timeout(WAIT)
        page = context.new_page()
        students[page.goto(f"{server}/").headers["x-handcam-process"]] = page
    assert len(students) == 2, students
    page, other = students.values()
    _gray_quick_demo(page, server)  # Train trains what Preprocessing chose
    page.get_by_role("button", name="Train", exact=True).first.click()
    # Training runs in the app's background worker; the page polls it every second.
    page.get_by_text("Trained and stored").first.wait_for(timeout=2 * WAIT)
    _settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    _check(page, "train-result")

    picture = REAL_FRAME
    if not picture.is_file():  # a user's clone has no ../shared: upload a drawn frame
        from handclf_core.data.drawing import draw_hand_frame

        picture = tmp_path / "house_Rhand_frame.png"
        key = (0, "test", "house", 1, "Rhand", 1)
        draw_hand_frame({"obj": 20, "ges": 2, "FA": 1}, "house", (1920, 1080), key).save(picture)
    page.get_by_role("link", name="Predict", exact=True).click()
    _settle(page)
    page.get_by_text("Upload a picture").first.click()
    _settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(picture))
    page.get_by_text(ANSWERED).first.wait_for(state="attached", timeout=WAIT)
    _settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text(picture.name).count() >= 1
    _check(page, "predict-upload")
    # Where the model looks, and inside its first layers, on the same picture.
    page.get_by_text("Where each model looks").click()
    page.get_by_text("(occlusion, ").first.wait_for(timeout=WAIT)
    page.get_by_text("Inside the first layers").click()
    page.get_by_text("The first convolution's").first.wait_for(timeout=WAIT)
    _settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    _check(page, "predict-inside")

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not a picture"}]
    )
    page.get_by_text("cannot be classified").first.wait_for(timeout=WAIT)
    assert page.locator('[data-testid="stException"]').count() == 0
    # A picture again, then an animated GIF: the GIF is refused by name, and the previous
    # picture's answer does not stay on screen as if it were the GIF's.
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(picture))
    page.get_by_text(ANSWERED).first.wait_for(state="attached", timeout=WAIT)
    _settle(page)
    from PIL import Image

    gif = io.BytesIO()
    frames = [Image.new("RGB", (64, 36), c) for c in ("red", "blue")]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "wave.gif", "mimeType": "image/gif", "buffer": gif.getvalue()}]
    )
    page.get_by_text("expected a PNG or JPEG image").first.wait_for(timeout=WAIT)
    _settle(page)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0  # no answer left

    # On Compare, a click on a cell of the confusion matrix shows the frames behind it.
    page.get_by_role("link", name="Compare", exact=True).click()
    _settle(page)
    gray = "CNN_basic · gray · ≤32 frames"
    assert page.get_by_text(gray).count() >= 1
    charts = page.locator('[data-testid="stVegaLiteChart"]:visible')  # a room's heat maps
    confusion = charts.nth(charts.count() - 2)  # the one before the PR curves, the last
    # A mistake: a frame of another class called `free`.
    true = _click_cell(page, confusion, lambda t, p: p == "free" and t != "free")
    assert true, "no cell of another class answered free"
    _settle(page)
    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Cell (true class")
    assert picker.locator("input").input_value().startswith(f"{true} → free · ")
    page.get_by_text("Frames 1–").first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.mouse.move(0, 0)  # the tooltip away
    page.set_viewport_size({"width": 1400, "height": 1700})  # the matrix and its frames
    page.get_by_text("Model", exact=True).last.evaluate("e => e.scrollIntoView()")
    page.wait_for_timeout(500)
    _check(page, "compare-cell", full_page=False)
    page.set_viewport_size({"width": 1400, "height": 1000})
    # Which classes the model keeps apart: its test frames' features, by PCA.
    page.get_by_role("button", name="Draw the map").click()
    page.get_by_text("features each, drawn in").first.wait_for(timeout=WAIT)
    _settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    heading = page.get_by_text("Which classes the model keeps apart").first
    heading.evaluate("e => e.scrollIntoView()")
    _check(page, "compare-map", full_page=False)

    # The other student, on the other process: the run trained through the first is stored
    # for it, not trained again (its Train button loads it), is listed and compared on its
    # Compare, and the Compare follows the run cache by itself.
    _gray_quick_demo(other, server)
    assert other.get_by_role("button", name="Load stored run").filter(visible=True).count() == 1
    assert other.get_by_role("button", name="Train", exact=True).filter(visible=True).count() == 0
    other.get_by_role("link", name="Compare", exact=True).click()
    _settle(other)
    _unfold(other, "Choose the runs shown")  # the run picker
    runs_shown = other.locator('[data-testid="stMultiSelect"]').first
    runs_shown.wait_for()
    assert gray in runs_shown.inner_text()
    assert other.locator('[data-testid="stException"]').count() == 0
    # The gray run deleted on Compare, after a confirmation: gone from the table.
    page.get_by_text("Keep or delete a run").click()
    _settle(page)
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_text("Delete the run").first.wait_for()
    _check(page, "compare-delete")
    page.get_by_role("button", name="Delete it").click()
    page.get_by_text(f"Deleted {gray}").first.wait_for()
    _settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    _unfold(page, "Choose the runs shown")
    shown = page.locator('[data-testid="stMultiSelect"]').first.inner_text()  # Runs shown
    assert gray not in shown and "CNN_basic" in shown, shown
    # ...and from the other browser's page, within seconds, without a reload.
    deadline = time.time() + 30
    while gray in runs_shown.inner_text():
        assert time.time() < deadline, "the other page still lists the deleted run"
        other.wait_for_timeout(500)
    assert other.locator('[data-testid="stException"]').count() == 0
    for student in students.values():
        student.context.close()  # nginx logs a WebSocket when it closes

    # Every request of a browser went to its process: its pages, its WebSocket, its upload
    # on Predict and the pictures Predict showed (Streamlit's "400 session invalid" and
    # missing pictures without sticky sessions, streamlit/streamlit#4173 and #2936).
    deadline, served = time.time() + 10, []
    while {by for _, path, _, by in served if path == "/_stcore/stream"} != set(students):
        assert time.time() < deadline, "nginx logged no WebSocket of each process"
        time.sleep(0.5)
        log = (run / "access.log").read_text()
        served = re.findall(r'"(\S+) (\S+) [^"]*" \d+ process=(\S+) served_by=(\S+)', log)
    sticky = [(method, path, by) for method, path, cookie, by in served if cookie != "-"]
    assert {by for _, _, by in sticky} == set(students)
    assert all(cookie in ("-", by) for _, _, cookie, by in served), served
    for method, kind in [("GET", "/_stcore/stream"), ("PUT", "/_stcore/upload_file/"),
                         ("GET", "/media/")]:  # fmt: skip
        assert any(m == method and p.startswith(kind) for m, p, _ in sticky), kind


def _click_cell(page, chart, wanted) -> str | None:
    """Point at a confusion chart's cells until the tooltip shows some frames of a true and
    predicted class for which `wanted(true, predicted)`, then click there; the true class,
    or None when no cell is found."""
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    tip = page.locator("#vg-tooltip-element.visible")
    for y in range(int(box["y"]) + 4, int(box["y"] + min(box["height"], 500)), 12):
        for x in range(int(box["x"]) + 4, int(box["x"] + min(box["width"], 700)), 14):
            page.mouse.move(x, y)
            if not tip.count():
                continue
            cells = [c.strip() for c in tip.inner_text().split("\n") if c.strip()]
            rows = dict(zip(cells[::2], cells[1::2], strict=False))  # title, value, ...
            true, predicted = rows.get("true class"), rows.get("predicted")
            if true and wanted(true, predicted) and rows.get("frames", "0") != "0":
                page.mouse.click(x, y)
                return true
    return None


def test_a_taiwanese_browser_gets_the_lesson_in_traditional_chinese(server, browser):
    """The browser's language (zh-TW) picks the app's; the sidebar switches it back and
    forth without losing the other choices; Chinese text renders (a CJK font is installed)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-TW")
    page.set_default_timeout(WAIT)
    page.goto(f"{server}/")
    _settle(page)
    assert "手裡拿著什麼" in page.inner_text("h1")
    _check(page, "home-zh-tw")
    page.get_by_role("link", name="資料集").click()
    _settle(page)
    assert "資料集" in page.inner_text("h1")
    _check(page, "dataset-zh-tw")
    page.get_by_role("link", name="比較").click()
    _settle(page)
    _check(page, "compare-zh-tw")

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').nth(1).click()  # the task
    page.get_by_role("option", name="ges: 手勢（13 類）").click()
    _settle(page)
    sidebar.locator('[data-testid="stSelectbox"]').first.click()  # the language
    page.get_by_role("option", name="English").click()
    _settle(page)
    assert "Compare" in page.inner_text("h1")
    # The task box relabelled too (a widget keeps the labels it was first drawn with).
    task_box = sidebar.locator('[data-testid="stSelectbox"] input[role="combobox"]').nth(1)
    assert task_box.input_value() == "ges: gesture (13)"
    # The task chosen in Chinese stayed: no gesture model is trained, and the page says so.
    assert "ges" in page.get_by_text("No model has been trained").first.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def _work_line(page):
    return page.locator('[data-testid="stSidebar"]').get_by_text("Working:")


def test_long_work_goes_on_when_the_page_is_left_or_reloaded(sample_root, browser, tmp_path):
    """The store's build goes on when its page is left (the sidebar says so on the next
    page, and Preprocessing finds it finished); the experiments go on through a reload,
    which shows their progress, and are cancelled from it (asked first). A server of its
    own on an empty cache, whose first visitor opens a page's URL: nothing built or trained
    before, the training process not started (the page is left while it starts and
    decodes)."""
    with _streamlit(sample_root, cache=tmp_path / "cache") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page.set_default_timeout(WAIT)
        # The first visitor of a new server opens a bookmark of a page: the whole app
        # (sidebar, language, titles), on that page (the page folder is not Streamlit's
        # legacy `pages/`: the entrypoint's navigation serves every URL).
        page.goto(f"{url}/Compare")
        _settle(page)
        assert "Compare" in page.inner_text("h1")
        assert page.url.rstrip("/").endswith("/Compare")
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text("Language · 語言").count() == 1  # the entrypoint's sidebar
        assert sidebar.get_by_role("link", name="Home").count() == 1  # its page titles
        assert page.locator('[data-testid="stException"]').count() == 0
        page.goto(f"{url}/Preprocessing")
        _settle(page)
        body = page.inner_text("body")
        assert "frames once" in body and "on disk): about" in body  # the plan, before
        page.get_by_role("button", name="Build the store and these inputs").click()
        page.get_by_text(re.compile("^Running for")).wait_for()  # the build's panel (the board)
        page.get_by_role("link", name="Dataset", exact=True).click()  # leave it while it decodes
        _settle(page)
        _check(page, "long-work-left-preprocessing")
        assert not page.evaluate(CUT_TEXT), page.evaluate(CUT_TEXT)
        page.get_by_role("link", name="Preprocessing", exact=True).click()
        page.get_by_text("Ready:").wait_for(timeout=WAIT)
        _settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0

        page.get_by_role("link", name="Train", exact=True).click()
        _settle(page)
        page.get_by_text(EXPERIMENTS[0]).click()
        page.get_by_role("button", name="Run the 11 experiments").click()
        page.get_by_text("experiments done").first.wait_for()
        page.reload()  # a teacher's refresh during the experiments
        _settle(page)
        page.get_by_text("experiments done").first.wait_for()  # their progress, still
        assert _work_line(page).count() == 1  # and the sidebar says the server works
        assert re.search(r"experiments, \d+ of 11 done · about", _work_line(page).inner_text())
        assert not page.evaluate(CUT_TEXT), page.evaluate(CUT_TEXT)
        assert page.get_by_role("button", name="Run the 11 experiments").is_disabled()
        _check(page, "long-work-reloaded-train")
        page.get_by_role("button", name="Cancel the experiments").click()
        page.get_by_text("Cancel the experiments?").wait_for()  # asked first
        page.get_by_role("button", name="Yes, cancel").click()
        page.get_by_text("The experiments were cancelled").wait_for(timeout=WAIT)
        _settle(page)
        assert page.get_by_role("button", name="Run the 11 experiments").is_enabled()
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()
