"""The class's phones: the certificate `./scripts/app --https` makes (once, for this machine's
addresses), the address and QR code Home shows in presentation mode, and Predict on a phone
over HTTPS in a real browser (Chromium at 390x844 as a phone, its fake camera), answering a
picture taken with the camera, nothing wider than the screen."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import classroom
from tests.browser import (
    ANSWERED,
    ARTIFACTS,
    CHROMIUM,
    _free_port,
    _streamlit,
    chromium,
)
from tests.layout import WAIT, WIDER_THAN_THE_PAGE, _layout_faults, _settle, redrawn
from tests.test_i18n import english_left, page_texts

ROOT = Path(__file__).resolve().parents[1]
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
# Anything of the page, not only the main column's blocks, past the screen's right edge, or
# the page itself scrolling sideways: "what: its right edge / the screen's width".
PAST_THE_SCREEN = """() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width + 1)
        out.push("the page scrolls sideways: " + document.documentElement.scrollWidth);
    for (const e of document.querySelectorAll('[data-testid="stMain"] *')) {
        const r = e.getBoundingClientRect();
        if (r.width && r.height && r.right > width + 1 && !e.closest('[aria-hidden="true"]'))
            out.push((e.dataset.testid || e.tagName) + ": " + Math.round(r.right) + " / " + width);
    }
    return out.slice(0, 10); }"""

# How bright the picture of `selector` is on average (0-255), drawn small; null while it has
# nothing to draw.
BRIGHTNESS = """selector => {
    const e = document.querySelector(selector);
    if (!e || (e.tagName === "VIDEO" && (!e.videoHeight || e.readyState < 2))) return null;
    const c = document.createElement("canvas");
    c.width = 64; c.height = 36;
    const x = c.getContext("2d");
    x.drawImage(e, 0, 0, 64, 36);
    const d = x.getImageData(0, 0, 64, 36).data;
    let sum = 0;
    for (let k = 0; k < d.length; k += 4) sum += (d[k] + d[k + 1] + d[k + 2]) / 3;
    return sum / (d.length / 4); }"""
PREVIEW_SHOWN = "() => (" + BRIGHTNESS + ")('[data-testid=\"stCameraInput\"] video') > 30"


def _https_options(cache: Path, port: int) -> list[str]:
    """The options scripts/app gives `streamlit run` with --https, made as it makes them."""
    env = {**os.environ, "HANDCLF_CACHE": str(cache)}
    out = subprocess.run(
        [sys.executable, "-m", "app.classroom", "https", f"--server.port={port}"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert f":{port} on your phone" in out.stderr and "https://" in out.stderr, out.stderr
    return out.stdout.split()


@needs_openssl
def test_certificate_made_once_for_this_machine(tmp_path):
    cert, key = classroom.certificate(tmp_path)
    text = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(cert)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for address in ["127.0.0.1", *classroom.ipv4_addresses()]:
        assert f"IP Address:{address}" in text, text
    assert "DNS:localhost" in text
    assert key.stat().st_mode & 0o077 == 0  # the key is the owner's alone
    made = cert.stat().st_mtime_ns
    assert classroom.certificate(tmp_path) == (cert, key)
    assert cert.stat().st_mtime_ns == made  # reused while it covers the addresses
    (tmp_path / "names.json").write_text(json.dumps(["IP:127.0.0.1"]))  # an older machine's
    classroom.certificate(tmp_path)
    assert cert.stat().st_mtime_ns != made


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_home_in_presentation_shows_the_address_and_its_qr_code(sample_root, lang):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["data_spec"] = str(sample_root)
    at.session_state["lang"] = lang
    at.session_state["present"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    url = f"http://{classroom.lan_address()}:8501"  # no certificate: http, and why not
    shown = " ".join(page_texts(at))
    assert url in shown and "`./scripts/app --https`" in shown, shown[:400]
    assert [i.caption for e in at.get("image") for i in e.proto.imgs] == [url]  # its QR code
    if lang == "zh_TW":
        assert not english_left(page_texts(at)), english_left(page_texts(at))
    at.session_state["present"] = False
    at.run()
    assert url not in " ".join(page_texts(at))


@contextmanager
def _https_streamlit(sample_root, cache: Path):
    """tests/browser.py's `_streamlit`, served over HTTPS as `./scripts/app --https`
    serves it: its URL once healthy, checked against the certificate."""
    port = _free_port()
    options = _https_options(cache, port)
    cert = next(o.split("=", 1)[1] for o in options if o.startswith("--server.sslCertFile="))
    with _streamlit(sample_root, port=port, options=tuple(options), cafile=cert) as url:
        yield url


@needs_openssl
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (apt-get install chromium)")
def test_predict_on_a_phone_over_https_with_its_camera(sample_root, tiny_run, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # A fake camera. Headless Chromium as a phone left the preview's video paused (no
    # autoplay without a gesture): the preview stayed black, and so did every photo taken
    # of it. A phone's browser plays a muted, inline camera preview by itself.
    fake = (
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
    )
    with _https_streamlit(sample_root, tmp_path / "cache") as url, chromium(*fake) as browser:
        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
            user_agent=PHONE_AGENT, ignore_https_errors=True, permissions=["camera"],
            locale="en-US",
        )  # fmt: skip
        page = phone.new_page()
        page.set_default_timeout(WAIT)
        page.goto(f"{url}/Predict")
        _settle(page)
        assert page.evaluate("location.protocol") == "https:"
        # The camera is the phone's first choice: its widget is there without a click.
        camera = page.locator('[data-testid="stCameraInput"]')
        camera.wait_for()
        button = camera.get_by_role("button", name="Take Photo")
        button.wait_for()
        # The photo is the video's current frame: until the fake camera's stream has
        # delivered one the button is enabled but takes nothing (react-webcam's screenshot
        # is null while the video has no height), and a click then is lost. A student
        # presses once the preview shows the picture (Chromium's fake camera: a green field).
        page.wait_for_function(PREVIEW_SHOWN, polling=250)
        snapshot = camera.get_by_role("img", name="Snapshot")
        for _ in range(3):  # a click can still land before a frame is drawn: take it again
            if not snapshot.count():
                button.click()
            with contextlib.suppress(PlaywrightTimeout):
                snapshot.wait_for(timeout=10_000)
                break
        snapshot.wait_for()
        assert page.evaluate(BRIGHTNESS, "img[alt=Snapshot]") > 30  # the preview's, not black
        page.get_by_text(ANSWERED).first.wait_for(state="attached", timeout=WAIT)
        _settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        # Each model's answer: its top-5 chart and its line "12 ms · test accuracy 9.4%".
        answers = page.get_by_text(ANSWERED).count()
        assert answers == page.locator('[data-testid="stVegaLiteChart"]').count() >= 1
        redrawn(page)  # charts drawn at the column's width
        # The screen a student sees at the first model's answer (the page scrolls inside).
        page.locator('[data-testid="stVegaLiteChart"]').first.scroll_into_view_if_needed()
        shot = ARTIFACTS / "phone" / "predict-camera.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        # Polled (`_layout_faults`): a chart can still be drawn at its first width.
        checks = {"wider than the page": WIDER_THAN_THE_PAGE, "past the screen": PAST_THE_SCREEN}
        assert not (faults := _layout_faults(page, checks)), faults
        phone.close()
