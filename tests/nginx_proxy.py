"""docs/nginx.conf, run by Debian's nginx in front of an app on loopback (tests/test_behind_nginx.py, bench/exhibition_media.py)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "nginx.conf"
NGINX = os.environ.get("EVENTSYS_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
PREFIX = "/_uploads/"  # the internal location of docs/nginx.conf


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_config(app_address: str, port: int, upload_dir: Path) -> str:
    """docs/nginx.conf with this machine's addresses and paths in place of the documented ones."""
    text = SITE.read_text()
    for documented, here in (("127.0.0.1:8000", app_address), ("listen 80;", f"listen 127.0.0.1:{port};"),
                             ("/srv/eventsys/instance/uploads/", f"{upload_dir}/"), ("/srv/eventsys/static/", f"{ROOT}/static/")):
        if documented not in text:
            raise AssertionError(f"docs/nginx.conf no longer says {documented!r}")
        text = text.replace(documented, here)
    return text


def main_config(workdir: Path, site: str) -> str:
    temp = {name: workdir / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the test's private temp dir
    return (
        f"{user}worker_processes 1;\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        + "".join(f"  {name}_temp_path {path};\n" for name, path in temp.items())
        + site + "\n}\n"
    )


class Nginx:
    """nginx in the foreground with docs/nginx.conf in front of `app_address`; `base` is its address."""

    def __init__(self, workdir: Path, app_address: str, upload_dir: Path):
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "error.log"
        config = workdir / "nginx.conf"
        config.write_text(main_config(workdir, site_config(app_address, self.port, upload_dir)))
        self.process = subprocess.Popen([NGINX, "-p", str(workdir), "-c", str(config), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()} {self.log.read_text() if self.log.exists() else ''}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start within 20 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process.stderr.close()
