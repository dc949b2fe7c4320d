"""End to end in a real browser, the class at work: training a tiny model and classifying
an uploaded real frame through the classroom deploy (deploy/: two processes behind nginx),
two students on their own processes, and long work (the store's build, the experiments)
going on when its page is left or reloaded. Harness: tests/browser.py."""

from __future__ import annotations

import contextlib
import io
import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import (
    ANSWERED,
    DATA_SPEC,
    NGINX,
    REAL_FRAME,
    _check,
    _classroom,
    _streamlit,
    _unfold,
    needs_chromium,
)
from tests.layout import CUT_TEXT, EXPERIMENTS, WAIT, _settle

pytestmark = needs_chromium


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
        go = page.get_by_role("button", name="Run the 11 experiments")
        done = page.get_by_text("experiments done").first
        # Once in a CI run beside two other suites (load about 4), the click was lost: no job
        # was submitted and the button stayed as it was (a Streamlit race with the sidebar's
        # polling fragment is suspected; not reproduced in 5 runs at load 4). A teacher
        # clicks again, and so does this test, only while the button is still there to press.
        for _ in range(3):
            if go.is_enabled():
                go.click()
            with contextlib.suppress(PlaywrightTimeout):
                done.wait_for(timeout=30_000)
                break
        done.wait_for()
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
