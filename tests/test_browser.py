"""End to end in a real browser, every page: `streamlit run` on a free localhost port, headless
Chromium (tests/browser.py) through every page at a desk, in every room of tests/layout.py's
ROOMS in both languages, and in a Taiwanese browser, with no Streamlit exception box
anywhere. Screenshots are saved to test-artifacts/ (and docs/screenshots/ with
UPDATE_SCREENSHOTS=1). Training, Predict and long work through the classroom deploy:
tests/test_browser_classroom.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.browser import _check, _streamlit, chromium, needs_chromium
from tests.layout import (
    CUT_TEXT,
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

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(sample_root, tiny_run):
    with _streamlit(sample_root) as url:
        yield url


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
    """`walk(browser, *args)` in a browser of its own, started in this thread."""
    with chromium() as browser:
        walk(browser, *args)


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
