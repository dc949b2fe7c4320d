"""deploy/classroom.py without starting the class: the nginx configuration it writes is one
nginx accepts (`nginx -t`), over HTTP and HTTPS, and what a teacher gets wrong is said in
one line. The deploy itself, with two processes and Chromium, is tested in
tests/test_browser_classroom.py (test_train_then_predict_an_uploaded_frame)."""

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import classroom

ROOT = Path(__file__).resolve().parents[1]


def _said(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "deploy/classroom.py", *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.parametrize("https", [False, True])
def test_nginx_accepts_the_configuration(tmp_path, https):
    try:
        nginx = classroom.find_nginx()
    except classroom.DeployError as e:
        pytest.skip(str(e))
    tls = None
    if https:
        from app.classroom import certificate

        tls = certificate(tmp_path / "https")
    conf = tmp_path / "nginx.conf"
    conf.write_text(classroom.nginx_conf(tmp_path, 8080, [8501, 8502], tls))
    text = conf.read_text()
    assert not re.search("@[A-Z_]+@", text)  # every field filled in
    assert "client_max_body_size 65m;" in text  # .streamlit/config.toml's 64 MB, and the form
    assert ("listen 8080 ssl;" in text) == https
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


def test_a_wrong_option_or_a_taken_port_is_one_line():
    wrong = _said("--processes", "0")
    assert wrong.returncode == 2
    assert wrong.stderr == "deploy/classroom.sh: --processes must be 1 or more, found 0\n"
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        found = _said("--port", str(port))
    assert found.returncode == 2
    said = found.stderr.splitlines()  # nginx is looked for first
    assert len(said) == 1, said
    assert f"port {port} is in use" in said[0] or "nginx is not installed" in said[0], said
