"""The class's phones: HTTPS on the class's network, the address students open, and the
camera as a phone's first source of a picture.

A phone's browser gives a page the camera only over HTTPS (or on localhost), so
`./scripts/app --https` serves the app with a self-signed certificate made once, under the
cache folder, for this machine's addresses (`python -m app.classroom https`, below); the
Home page in presentation mode shows the address and its QR code (`join_ui`).

Streamlit is imported inside the functions that draw: the script makes the certificate
without it."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from handclf_core.paths import cache_dir

DEFAULT_PORT = 8501  # Streamlit's own
# A phone's browser refuses a certificate valid for longer (Apple's rule since 2019).
CERT_DAYS = 825
# The Predict page's source choice, plain session state that its radio starts from
# (app_pages/5_Predict.py, `session.localized(..., key="predict.source")`).
PREDICT_SOURCE_KEY = "predict.source"


def ipv4_addresses() -> list[str]:
    """This machine's IPv4 addresses on its networks (no loopback), the one of its default
    route first: the one a phone on the class's network most likely reaches."""
    found: list[str] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:  # no packet is sent: connecting a UDP socket only picks the route
            s.connect(("10.255.255.255", 1))
            found.append(s.getsockname()[0])
        except OSError:
            pass
    try:  # Linux: every address of every interface
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5)
        found += out.stdout.split() if out.returncode == 0 else []
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        found += [a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    return [a for a in dict.fromkeys(found) if _ipv4(a) and not a.startswith(("127.", "0."))]


def _ipv4(text: str) -> bool:
    try:
        socket.inet_aton(text)
    except OSError:
        return False
    return text.count(".") == 3


def lan_address() -> str:
    """The address students type: the machine's first LAN address, else 127.0.0.1."""
    return next(iter(ipv4_addresses()), "127.0.0.1")


def certificate_names() -> list[str]:
    """What the certificate must cover: each IPv4 address, localhost, 127.0.0.1, the
    hostname (as "IP:..." and "DNS:..." subjectAltName entries)."""
    dns = dict.fromkeys(["localhost", socket.gethostname()])
    ips = dict.fromkeys(["127.0.0.1", *ipv4_addresses()])
    return [f"DNS:{d}" for d in dns if d] + [f"IP:{a}" for a in ips]


def certificate(folder: Path | None = None) -> tuple[Path, Path]:
    """(certificate, key) PEM files under `folder` (the cache's https/): made with Debian's
    `openssl` when missing, when this machine has an address they do not cover, or when
    they expire within a day; else the ones made before. RuntimeError without openssl."""
    folder = Path(folder) if folder else cache_dir() / "https"
    cert, key, names_file = folder / "cert.pem", folder / "key.pem", folder / "names.json"
    names = certificate_names()
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("HTTPS needs the openssl command (apt-get install openssl)")
    if cert.is_file() and key.is_file() and names_file.is_file():
        try:
            covered = set(json.loads(names_file.read_text()))
        except ValueError:
            covered = set()
        fresh = subprocess.run(
            [openssl, "x509", "-checkend", "86400", "-noout", "-in", str(cert)],
            capture_output=True,
        )
        if set(names) <= covered and fresh.returncode == 0:
            return cert, key
    folder.mkdir(parents=True, exist_ok=True)
    new_cert, new_key = folder / "cert.pem.new", folder / "key.pem.new"
    made = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
         "-days", str(CERT_DAYS), "-subj", "/CN=HandCam classroom",
         "-keyout", str(new_key), "-out", str(new_cert),
         "-addext", "subjectAltName=" + ",".join(names),
         "-addext", "basicConstraints=critical,CA:FALSE",
         "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
         "-addext", "extendedKeyUsage=serverAuth"],
        capture_output=True, text=True,
    )  # fmt: skip
    if made.returncode != 0:
        raise RuntimeError("openssl could not make the certificate: " + made.stderr.strip())
    os.chmod(new_key, 0o600)
    new_key.replace(key)
    new_cert.replace(cert)
    names_file.write_text(json.dumps(names))
    return cert, key


def _port(args: list[str]) -> int:
    """The port `streamlit run` will take from its arguments or its environment."""
    for i, arg in enumerate(args):
        if arg.startswith("--server.port="):
            return int(arg.split("=", 1)[1])
        if arg == "--server.port" and i + 1 < len(args):
            return int(args[i + 1])
    return int(os.environ.get("STREAMLIT_SERVER_PORT") or DEFAULT_PORT)


def https_main(args: list[str]) -> None:
    """`python -m app.classroom https [streamlit's options]`: make or reuse the certificate,
    print the options that serve over HTTPS on every address (one a line, for
    scripts/app), and tell the teacher, on stderr, what to give the class."""
    cert, key = certificate()
    options = [f"--server.sslCertFile={cert}", f"--server.sslKeyFile={key}"]
    if not any(a.startswith("--server.address") for a in args):
        options.append("--server.address=0.0.0.0")
    print("\n".join(options))
    url = f"https://{lan_address()}:{_port(args)}"
    print(
        f"\n  Students: open {url} on your phone (same network as this machine).\n"
        f"  The certificate is self-signed ({cert}), so each browser warns once:\n"
        "  Chrome: Advanced, then Proceed; Safari: Show Details, then visit this website.\n",
        file=sys.stderr,
    )


def server_url() -> str:
    """The address a phone on the class's network opens: this machine's LAN address, the
    port browsers open (browser.serverPort: the server's own, or nginx's when
    deploy/classroom.py puts several processes behind it), https when the reader's browser
    came over HTTPS (the server's certificate, or nginx's)."""
    from urllib.parse import urlsplit

    import streamlit as st

    scheme = "https" if st.get_option("server.sslCertFile") else "http"
    try:  # behind nginx the process itself has no certificate: the browser's scheme
        scheme = urlsplit(st.context.url or "").scheme or scheme
    except Exception:  # no browser behind the session (AppTest)
        pass
    return f"{scheme}://{lan_address()}:{st.get_option('browser.serverPort')}"


def qr_png(text: str) -> bytes:
    """A QR code of `text`, as PNG (black on white, a quiet zone around it)."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def join_ui(t) -> None:
    """In presentation mode: the address students open on their phones, and its QR code;
    without HTTPS, that a phone's camera needs it."""
    import streamlit as st

    from app import session

    if not session.presenting():
        return
    url = server_url()
    text, qr = st.columns([3, 1], vertical_alignment="center")
    with text:
        st.markdown(t("classroom.students_open", url=url))
        if url.startswith("http:"):
            st.info(t("classroom.needs_https"), icon=":material/lock:")
    qr.image(qr_png(url), caption=url, width=220)


def is_phone() -> bool:
    """Whether the browser of this session is a phone's ("Mobile" in its User-Agent: iOS and
    Android phones say so, their tablets and desktops do not)."""
    import streamlit as st

    try:
        agent = st.context.headers.get("User-Agent") or ""
    except Exception:  # no browser behind the session (AppTest)
        return False
    return "Mobile" in agent


# On a narrow screen a picture of a fixed width (Predict's, 480 px) shrinks to its column
# rather than making the page scroll sideways; on a desk nothing changes.
def phones() -> None:
    """For a phone: Predict's picture from the camera unless the reader chose another source
    (the default set before Predict first draws its choice; pictures fitting a narrow screen
    are in the app's style, `session.BASE_CSS`). Called by the entrypoint on every run."""
    import streamlit as st

    from handclf_core.vocab import PictureSource

    if is_phone():
        st.session_state.setdefault(PREDICT_SOURCE_KEY, PictureSource.CAMERA)


if __name__ == "__main__":
    if sys.argv[1:2] != ["https"]:
        sys.exit("usage: python -m app.classroom https [streamlit run's options]")
    try:
        https_main(sys.argv[2:])
    except RuntimeError as e:
        sys.exit(str(e))
