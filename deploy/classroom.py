"""Beyond one process: N `streamlit run` of the app on one cache folder, and nginx in front
of them on one port, with sticky sessions (deploy/nginx.conf.template says how).

    python deploy/classroom.py [--processes N] [--port PORT] [--https]

(`deploy/classroom.sh` sets up .venv and the built-in sample first, as `scripts/app` does.)
Everything it writes — nginx's configuration, pid, logs and temporary folders, each
process's output — goes to a run folder of its own, named when it starts. It prints the
address once every process answers through nginx, starts a process again when it stops,
and stops them all on Ctrl-C (or when nginx stops). The processes share HANDCLF_CACHE (the
project's cache/ when unset). With --https, nginx serves HTTPS (for the phones' cameras)
with the certificate that `./scripts/app --https` makes (app.classroom); else the standard
library only."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
DEFAULT_PORT = 8080
# A process answers its health check within seconds; on a busy 2-core machine starting
# several at once (each imports Streamlit, pandas, Altair) takes longer.
START_S = 120
# Streamlit's own default for server.maxUploadSize, when .streamlit/config.toml sets none.
STREAMLIT_UPLOAD_MB = 200


class DeployError(Exception):
    """Something the teacher can fix: said in one line, exit code 2."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="deploy/classroom.sh", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="Streamlit processes (each holds ~10 students)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="nginx's port")
    parser.add_argument(
        "--https", action="store_true", help="HTTPS with a self-signed certificate (phones)"
    )
    args = parser.parse_args(argv)
    if args.processes < 1:
        raise DeployError(f"--processes must be 1 or more, found {args.processes}")
    if not 1 <= args.port <= 65535:
        raise DeployError(f"--port must be between 1 and 65535, found {args.port}")
    return args


def find_nginx() -> str:
    """nginx's path (Debian puts it in /usr/sbin, not on a user's PATH)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    nginx = shutil.which("nginx", path=path)
    if nginx is None:
        raise DeployError("nginx is not installed: apt-get install nginx (Debian's package)")
    return nginx


def check_port_free(port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx binds it
        try:
            s.bind(("0.0.0.0", port))
        except PermissionError:
            raise DeployError(
                f"port {port} needs root (ports below 1024 do): choose another with --port"
            ) from None
        except OSError:
            raise DeployError(
                f"port {port} is in use (another server?): choose another with --port"
            ) from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upload_mb() -> int:
    """Streamlit's server.maxUploadSize, in MB, as the app's config sets it."""
    config = ROOT / ".streamlit" / "config.toml"
    settings = tomllib.loads(config.read_text()) if config.is_file() else {}
    return int(settings.get("server", {}).get("maxUploadSize", STREAMLIT_UPLOAD_MB))


def certificate() -> tuple[Path, Path]:
    """(certificate, key): `./scripts/app --https`'s, made once under the cache folder."""
    sys.path.insert(0, str(ROOT))
    from app.classroom import certificate
    from handclf_core.errors import HandCamError

    try:
        return certificate()
    except (RuntimeError, HandCamError) as e:
        raise DeployError(str(e)) from None


def nginx_conf(run: Path, port: int, ports: list[int], tls: tuple[Path, Path] | None = None) -> str:
    """The template filled in for the processes on `ports`, nginx on `port`, over HTTPS
    with `tls` (certificate, key)."""
    addresses = [f"127.0.0.1:{p}" for p in ports]
    tls_lines = ""
    if tls:
        tls_lines = f"        ssl_certificate {tls[0]};\n        ssl_certificate_key {tls[1]};"
    fields = {
        "@RUN@": str(run),
        "@LISTEN@": f"{port} ssl" if tls else str(port),
        "@TLS@": tls_lines,
        "@BODY_MB@": str(upload_mb() + 1),
        "@PICK@": "\n".join(f'        "{a}" {a};' for a in addresses),
        "@SERVERS@": "\n".join(f"        server {a};" for a in addresses),
    }
    text = TEMPLATE.read_text()
    for field, value in fields.items():
        text = text.replace(field, value)
    return text


def start_streamlit(run: Path, port: int, public_port: int) -> subprocess.Popen:
    """One `streamlit run` of the app on 127.0.0.1:`port` (only nginx reaches it), its
    output in the run folder. browser.serverPort: the port students open (Home's address)."""
    log = open(run / f"streamlit-{port}.log", "ab")  # noqa: SIM115 (the process holds it)
    return subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            f"--browser.serverPort={public_port}",
            "--browser.gatherUsageStats=false",
        ],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def tail(path: Path, lines: int = 1) -> str:
    text = path.read_text(errors="replace").strip() if path.is_file() else ""
    return " | ".join(text.splitlines()[-lines:]) or "(no output)"


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, name: str, cafile=None) -> None:
    trust = ssl.create_default_context(cafile=cafile) if cafile else None
    deadline = time.time() + START_S
    while time.time() < deadline:
        if proc.poll() is not None:
            raise DeployError(f"{name} stopped at start: {tail(log, 3)}")
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=trust)
            return
        except OSError:
            time.sleep(0.5)
    raise DeployError(f"{name} did not answer within {START_S} s: {tail(log, 3)}")


def lan_address() -> str:
    """The address students type (app.classroom's way, without importing the app)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:  # no packet is sent: connecting a UDP socket only picks the route
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def serve(processes: int, port: int, https: bool = False) -> None:
    nginx = find_nginx()
    check_port_free(port)
    tls = certificate() if https else None
    scheme = "https" if https else "http"
    run = Path(tempfile.mkdtemp(prefix="handcam-deploy-"))
    ports = [free_port() for _ in range(processes)]
    children: list[subprocess.Popen] = []

    def stop(*_) -> None:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()

    def interrupted(*_) -> None:
        raise KeyboardInterrupt

    # Ctrl-C, and a `kill`: also when started in the background (where SIGINT is ignored).
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        print(f"Starting {processes} Streamlit processes and nginx; logs in {run}", flush=True)
        children += [start_streamlit(run, p, port) for p in ports]
        for p, child in zip(ports, children, strict=True):
            log = run / f"streamlit-{p}.log"
            wait_healthy(f"http://127.0.0.1:{p}", child, log, f"Streamlit on port {p}")
        conf = run / "nginx.conf"
        conf.write_text(nginx_conf(run, port, ports, tls))
        # -p: relative paths in the run folder; -e: its error log also before conf is read.
        options = ["-p", str(run), "-c", str(conf), "-e", str(run / "error.log")]
        proxy = subprocess.Popen(
            [nginx, *options, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=open(run / "nginx.out", "wb"),  # noqa: SIM115 (nginx holds it)
        )
        children.append(proxy)
        url = f"{scheme}://127.0.0.1:{port}"
        wait_healthy(url, proxy, run / "nginx.out", "nginx", cafile=tls and tls[0])
        print(
            f"HandCam Classroom on {url} — students open {scheme}://{lan_address()}:{port} "
            f"({processes} processes behind nginx; Ctrl-C stops them)",
            flush=True,
        )
        # A process that stops is started again on its port: its students' pages reconnect
        # to it (as new sessions). One that stops again within START_S stops everything.
        started = [time.time()] * processes
        while proxy.poll() is None:
            time.sleep(1)
            for i, p in enumerate(ports):
                if children[i].poll() is None:
                    continue
                log = run / f"streamlit-{p}.log"
                if time.time() - started[i] < START_S:
                    soon = f"stopped within {START_S} s of its start"
                    raise DeployError(f"Streamlit on port {p} {soon}: {tail(log, 3)}")
                print(f"Streamlit on port {p} stopped; starting it again", flush=True)
                children[i] = start_streamlit(run, p, port)
                started[i] = time.time()
        raise DeployError(f"nginx stopped: {tail(run / 'error.log')}")
    except DeployError as e:
        raise DeployError(f"{e} (stopping the others; logs in {run})") from None
    except KeyboardInterrupt:
        print("Stopping.", flush=True)
    finally:
        stop()


def main(argv: list[str]) -> int:
    try:
        args = parse_args(argv)
        serve(args.processes, args.port, args.https)
    except DeployError as e:
        print(f"deploy/classroom.sh: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
