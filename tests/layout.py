"""What the room sees wrong on a page, found in a real browser: the rooms the app is used in
(desks, projectors in presentation mode, a phone), the gallery's pages, and the checks run
in the page (JavaScript) for words cut or drawn over each other, blocks wider than the page,
tables that scroll, type too small for a projector and English left on a Chinese page.
Shared by the browser tests (tests/test_browser*.py, tests/test_phone.py) and
bench/probe_rooms.py."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Room:
    """A screen the app is read on: its viewport in CSS pixels, the sidebar's presentation
    mode on (a projector) or Chromium's mobile emulation with touch (a phone)."""

    name: str
    width: int
    height: int
    projector: bool = False
    phone: bool = False

    @property
    def kind(self) -> str:
        return "projector" if self.projector else "phone" if self.phone else "desk"


ROOMS = (
    Room("desk-1920", 1920, 1080),
    Room("desk-1440", 1440, 900),
    Room("desk-1366", 1366, 768),  # a common student laptop
    # Browser zoom 150% at 1366x768 lays the page out in 1366/1.5 x 768/1.5 CSS pixels.
    Room("desk-1366-zoom150", 911, 512),
    Room("projector-1920", 1920, 1080, projector=True),
    Room("projector-1280", 1280, 800, projector=True),  # WXGA
    Room("projector-1024", 1024, 768, projector=True),  # XGA
    Room("phone", 390, 844, phone=True),
)
# How long a wait may take before the test calls it a hang: a guard, not a benchmark (the
# machine may be busy beside the suite, and a training process then starts in minutes).
WAIT = 300_000  # ms
# The pages' addresses, for a phone, whose sidebar is folded away.
URL_PATHS = {"home": "", "dataset": "Dataset", "preprocessing": "Preprocessing",
             "train": "Train", "compare": "Compare", "predict": "Predict"}  # fmt: skip


EXPERIMENTS = ("The assignment's experiments, in one click", "一鍵執行作業的所有實驗")
DETAILS = ("Details", "詳細資訊")  # Compare's expander of the runs' details
GALLERY = {  # page: its title in the sidebar, in English and in Chinese
    "home": ("Home", "首頁"),
    "dataset": ("Dataset", "資料集"),
    "preprocessing": ("Preprocessing", "前處理"),
    "train": ("Train", "訓練"),
    "compare": ("Compare", "比較"),
    "predict": ("Predict", "預測"),
}


# Charts and blocks of the page wider than its main column (a chart of 29 runs once was):
# each as "what: its width / the column's".
WIDER_THAN_THE_PAGE = """() => {
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    const limit = main.getBoundingClientRect().right + 2;
    return [...main.querySelectorAll('[data-testid="stVegaLiteChart"], [data-testid="stImage"], '
        + '[data-testid="stHorizontalBlock"], [data-testid="stMetric"]')]
        .filter(e => e.getBoundingClientRect().right > limit)
        .map(e => e.dataset.testid + ": " + Math.round(e.getBoundingClientRect().right)
             + " / " + Math.round(limit)); }"""
# The checks below walk the words of the main column and the sidebar: `texts(selector)`,
# each non-empty text node with the part (root) it is in. Prepended to a check's body.
TEXTS = """const texts = (selector = '[data-testid="stMain"], [data-testid="stSidebar"]') => {
        const found = [];
        for (const root of document.querySelectorAll(selector)) {
            if (root.getBoundingClientRect().right <= 0) continue;  // a folded sidebar
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode())
                if (n.textContent.trim()) found.push([n, root]);
        }
        return found; };"""
# Words cut by their box, in the main column or the sidebar: a text wider or taller than the
# nearest box around it that hides what overflows (a closed select box's choice, a chip, a
# label, the chips of a multiselect past its height),
# or ending in an ellipsis (a chart's label shortened to its limit, "thermos-b…"). Text
# inputs and tables draw their own cells.
CUT_TEXT = (
    """() => {"""
    + TEXTS
    + """
    const out = [];
    for (const [n, root] of texts()) {
        const el = n.parentElement;
        if (el.closest('input, textarea, script, style, [data-testid="stDataFrame"]'))
            continue;
        // Not shown: in a closed expander (Chromium keeps its content's boxes), a chart's
        // text Vega hides (a heat map's figure in a cell too narrow for it), a hidden tab.
        if ((el.closest('details:not([open])') && !el.closest('summary'))
            || el.closest('[opacity="0"]')) continue;
        const range = document.createRange();
        range.selectNodeContents(n);
        const text = range.getBoundingClientRect();
        if (!text.width) continue;
        let cut = (getComputedStyle(el).textOverflow === 'ellipsis'
            && el.scrollWidth > el.clientWidth + 1)  // by its box's CSS, or by Vega:
            || (el.closest('svg') && n.textContent.trim().endsWith('…'));
        for (let box = el; box && box !== root && !cut; box = box.parentElement) {
            if (getComputedStyle(box).overflowX === 'visible') continue;
            const edge = box.getBoundingClientRect();
            cut = text.right > edge.right + 1 || text.left < edge.left - 1;
            break;
        }
        // Scrolled out of sight in any box that hides what overflows below or above (the
        // chips of a full multiselect), by over a fourth of the line (a line box may be
        // a little shorter than the font's own height). The sidebar's own scroller is
        // read by scrolling it, as the page is.
        const spare = text.height / 4;
        for (let box = el; box && box !== root && !cut; box = box.parentElement) {
            if (getComputedStyle(box).overflowY === 'visible'
                || box.matches('[data-testid="stSidebarContent"]')) continue;
            const edge = box.getBoundingClientRect();
            cut = text.bottom > edge.bottom + spare || text.top < edge.top - spare;
        }
        if (cut) out.push(n.textContent.trim().slice(0, 60));
    }
    for (const box of document.querySelectorAll('[data-testid="stMain"] [data-testid='
            + '"stSelectbox"], [data-testid="stSidebar"] [data-testid="stSelectbox"]')) {
        if (box.getBoundingClientRect().right <= 0) continue;  // in a folded sidebar
        const shown = box.querySelector('input');  // the choice, drawn in its input
        const value = shown && (shown.value || shown.getAttribute('aria-label') || '');
        if (shown && shown.scrollWidth > shown.clientWidth + 1) out.push(value.slice(0, 60));
    }
    return out; }"""
)


# Texts of a chart drawn over each other: a rotated axis title over run names, a heat map's
# figures in cells too narrow for them, labels of rows too close. Each text's box (its own
# angle, turned as drawn, a fifth of its line height spared at top and bottom) against every
# other's, by separating axes; texts Vega hides (opacity 0) left out.
TEXT_OVER_TEXT = """() => {
    const out = [];
    const corners = t => {
        const b = t.getBBox(), m = t.getScreenCTM(), dy = b.height * 0.2, dx = 1;
        return [[b.x + dx, b.y + dy], [b.x + b.width - dx, b.y + dy],
                [b.x + b.width - dx, b.y + b.height - dy], [b.x + dx, b.y + b.height - dy]]
            .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]); };
    const apart = (p, q) => [p, q].some(poly => poly.some(([x1, y1], i) => {
        const [x2, y2] = poly[(i + 1) % 4], nx = y2 - y1, ny = x1 - x2;
        const a = p.map(([x, y]) => x * nx + y * ny), b = q.map(([x, y]) => x * nx + y * ny);
        return Math.max(...a) <= Math.min(...b) || Math.max(...b) <= Math.min(...a); }));
    for (const svg of document.querySelectorAll('[data-testid="stVegaLiteChart"] svg')) {
        const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()
            && !t.closest('[opacity="0"]') && t.getBBox().width > 0);
        const boxes = texts.map(corners), rects = texts.map(t => t.getBoundingClientRect());
        const near = (a, b) => a.left < b.right && b.left < a.right
            && a.top < b.bottom && b.top < a.bottom;  // first the cheap test, upright boxes
        for (let i = 0; i < texts.length; i++)
            for (let j = i + 1; j < texts.length; j++)
                if (near(rects[i], rects[j]) && !apart(boxes[i], boxes[j]))
                    out.push(texts[i].textContent.slice(0, 40) + " × "
                             + texts[j].textContent.slice(0, 40));
    }
    return out.slice(0, 12); }"""
# Tables that scroll sideways or hide rows in their box: a runs table is read whole.
TABLES_SCROLLED = """() => [...document.querySelectorAll(
        '[data-testid="stMain"] [data-testid="stDataFrame"], '
        + '[data-testid="stMain"] [data-testid="stTable"]')]
    .filter(table => table.getBoundingClientRect().width > 0)
    .flatMap(table => [table, ...table.querySelectorAll('*')].filter(e => {
        const s = getComputedStyle(e);
        return (s.overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1)
            || (s.overflowY !== 'visible' && e.scrollHeight > e.clientHeight + 1); })
        .slice(0, 1).map(e => table.innerText.slice(0, 40) + ": " + e.scrollWidth + "x"
            + e.scrollHeight + " in " + e.clientWidth + "x" + e.clientHeight))"""


# The smallest type of the main column (HTML and charts' SVG), in px, with its text: on a
# projector no word smaller than a desk's body text (a grid's canvas kept 14 px there).
SMALLEST_TYPE = (
    """() => {"""
    + TEXTS
    + """
    let least = [Infinity, ''];
    for (const [n] of texts('[data-testid="stMain"]')) {
        const el = n.parentElement;
        if (!el.getBoundingClientRect().width) continue;
        const px = parseFloat(getComputedStyle(el).fontSize);
        if (px < least[0]) least = [px, n.textContent.trim().slice(0, 40)];
    }
    return least; }"""
)


# Every word the reader sees in the main column and the sidebar: texts (SVG's included),
# choices shown in inputs; not icons' ligature names, code, or a run's folder name (an id).
SHOWN_WORDS = (
    """() => {"""
    + TEXTS
    + """
    const out = [];
    for (const [n] of texts()) {
        const el = n.parentElement, text = n.textContent.trim();
        if (!el.getBoundingClientRect().width
            || el.closest('[aria-hidden="true"], code, style, script')
            || /^[a-z_]+-[a-z]+-[0-9a-f]{12}$/.test(text)) continue;
        out.push(text);
    }
    for (const input of document.querySelectorAll('[data-testid="stMain"] input, '
            + '[data-testid="stSidebar"] input')) {
        if (input.type !== 'checkbox' && input.value) out.push(input.value);
    }
    return out; }"""
)


ROOM_CHECKS = {"cut": CUT_TEXT, "wider than the page": WIDER_THAN_THE_PAGE,
               "text over text": TEXT_OVER_TEXT, "table scrolls": TABLES_SCROLLED}  # fmt: skip


def _layout_faults(page, checks: dict[str, str] | None = None) -> dict:
    """What the room would see wrong on the page as laid out now, by check (`checks`: name
    to the JavaScript that lists its faults; the room's four by default); empty if nothing.
    Polled for a few seconds: charts and tables redraw after a resize."""
    checks = checks or ROOM_CHECKS
    deadline = time.time() + 6
    while True:
        faults = {k: found for k, js in checks.items() if (found := page.evaluate(js))}
        if not faults or time.time() > deadline:
            return faults
        page.wait_for_timeout(500)


QUIET = 0.5  # s: a script run is over when none has been running this long
RUNNING = ("initial", "running", "rerunRequested")  # the app root's states while one runs


def _settle(page, timeout=WAIT / 1000) -> None:
    """Wait until the script run has finished and stayed so for QUIET seconds (the app
    root's data-test-script-state says "running" while a run goes on, "rerunRequested"
    while one is asked for). The pages' own polls (a fragment every few seconds) start
    runs of a few milliseconds, seconds apart: they neither hold this up nor end it early.
    An action whose run may start later than QUIET (an upload sends its file first) is
    followed by a wait for what it brings, then this."""
    app = page.locator('[data-testid="stApp"]')
    app.wait_for()
    quiet_since, deadline = time.time(), time.time() + timeout
    while time.time() - quiet_since < QUIET:
        assert time.time() < deadline, "the page kept running"
        if app.get_attribute("data-test-script-state") in RUNNING:
            quiet_since = time.time()
        page.wait_for_timeout(100)


def open_room(browser, url: str, room: Room, locale: str):
    """A new page of `browser` in `room` (a context of its own: a phone's emulation is the
    context's), on the Home page of the app at `url`, in presentation mode on a projector."""
    if room.phone:
        context = browser.new_context(
            viewport={"width": room.width, "height": room.height},
            device_scale_factor=3,
            is_mobile=True,
            has_touch=True,
            locale=locale,
        )
    else:
        context = browser.new_context(
            viewport={"width": room.width, "height": room.height}, locale=locale
        )
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(f"{url}/")
    _settle(page)
    if room.projector:
        which = 0 if locale.startswith("en") else 1
        switch = ("Presentation mode", "簡報模式")[which]
        page.locator('[data-testid="stSidebar"]').get_by_text(switch).click()
        _settle(page)
    return page


def visit(page, url: str, name: str, room: Room) -> None:
    """Open the gallery's page `name` as a reader in `room` does (a phone by its address,
    the sidebar folded away; elsewhere through the sidebar's link, which keeps the session
    and its presentation mode), with what it folds open: the experiments' picker on Train,
    the runs' details on Compare."""
    which = 0 if page.evaluate("navigator.language").startswith("en") else 1
    if room.phone:
        page.goto(f"{url}/{URL_PATHS[name]}")
    else:
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_role("link", name=GALLERY[name][which]).click()
    _settle(page)
    if name == "train":  # the experiments' picker, all 11 chosen
        page.get_by_text(EXPERIMENTS[which]).first.click()
        page.locator('[data-testid="stMultiSelect"]').first.wait_for()
        _settle(page)
    if name == "compare":  # the runs' details: a table of 13 columns
        page.get_by_text(DETAILS[which], exact=True).first.click()
        page.locator('[data-testid="stTable"]').nth(1).wait_for()
        _settle(page)
    page.locator('[data-testid="stMain"]').evaluate("e => e.scrollTo(0, 0)")


# What a resize changes once its charts are redrawn: each chart's drawn size, the page's height.
DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg,'
    + ' [data-testid="stVegaLiteChart"] canvas')]
    .map(s => s.getAttribute('width') + 'x' + s.getAttribute('height')).join(',')
    + '|' + document.querySelector('[data-testid="stMain"]').scrollHeight"""


def redrawn(page, still: float = 0.4, longest: float = 5.0) -> None:
    """Wait until the page has been redrawn after a resize: what DRAWN reads has not changed
    for `still` seconds (Vega redraws a chart at its new width 0.06-0.25 s after a resize
    on this machine, once). A check that runs early anyway sees the charts still at the
    old width, too wide, and `_layout_faults` looks again."""
    seen, since, deadline = page.evaluate(DRAWN), time.time(), time.time() + longest
    while time.time() - since < still and time.time() < deadline:
        page.wait_for_timeout(100)
        if (now := page.evaluate(DRAWN)) != seen:
            seen, since = now, time.time()


def room_faults(page, room: Room) -> dict:
    """The page laid out for `room` (its viewport; charts redrawn), and what is wrong
    there: `_layout_faults`, and on a projector type under 16 px."""
    size = page.viewport_size
    if (size["width"], size["height"]) != (room.width, room.height):
        page.set_viewport_size({"width": room.width, "height": room.height})
        redrawn(page)
    faults = _layout_faults(page)
    if room.projector:
        px, text = page.evaluate(SMALLEST_TYPE)
        if px < 16:
            faults["small type"] = [f"{px} px: {text}"]
    return faults


def by_kind(rooms) -> list[tuple[str, list[Room]]]:
    """`rooms` grouped by what a context holds (presentation mode, a phone's emulation),
    each group's largest first: one context, then a page resized from room to room."""
    groups: dict[str, list[Room]] = {}
    for room in rooms:
        groups.setdefault(room.kind, []).append(room)
    return [(k, sorted(g, key=lambda r: -r.width)) for k, g in groups.items()]
