"""nginx from Debian's packages on 127.0.0.1 for the crawl benchmark: install if missing, start
with a generated config (own pid file, logs in /tmp, ``daemon on``), stop by its PID.

    with Nginx(out_dir, root) as server:
        server.base_url  # http://127.0.0.1:<free port>
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from gensite import LISTING, SECTION

CONFIG = """\
daemon on;
worker_processes 1;
pid {pid};
error_log {error_log} warn;
events {{ worker_connections 1024; }}
http {{
    types {{ text/html html; image/jpeg jpg; text/plain txt; image/x-icon ico; text/css css;
        application/javascript js; font/woff woff; image/png png; }}
    default_type application/octet-stream;
    charset utf-8;
    access_log {access_log};
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        # Joomla's print view (?tmpl=component&print=1) is not generated: 404, not the article
        if ($arg_tmpl) {{ return 404; }}
        # the category blog's ?start=N pages are files of their own
        location = {listing} {{
            try_files {section}/start-$arg_start.html $uri =404;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_installed() -> str:
    """The nginx binary, installed with apt-get (Debian's package) when missing."""
    found = shutil.which("nginx")
    if found or Path("/usr/sbin/nginx").exists():
        return found or "/usr/sbin/nginx"
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "nginx"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("nginx") or "/usr/sbin/nginx"


class Nginx:
    def __init__(self, out: Path, root: Path) -> None:
        self.out = out
        self.root = root
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.pid_file = out / "nginx.pid"
        self.config = out / "nginx.conf"
        self.access_log = Path(f"/tmp/bench-crawl-nginx-{self.port}.access.log")
        self.error_log = Path(f"/tmp/bench-crawl-nginx-{self.port}.error.log")
        self.pid: int | None = None

    def start(self) -> Nginx:
        binary = ensure_installed()
        tmp = self.out / "nginx-tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        self.pid_file.unlink(missing_ok=True)
        self.config.write_text(
            CONFIG.format(
                pid=self.pid_file,
                error_log=self.error_log,
                access_log=self.access_log,
                tmp=tmp,
                port=self.port,
                root=self.root,
                listing=LISTING,
                section=SECTION,
            )
        )
        command = [binary, "-e", str(self.error_log), "-p", str(self.out), "-c", str(self.config)]
        subprocess.run(command, check=True)  # daemon on: returns once the master has forked
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.pid_file.exists() and self.pid_file.read_text().strip():
                self.pid = int(self.pid_file.read_text())
                try:
                    urllib.request.urlopen(self.base_url + "/robots.txt", timeout=2).read()
                    return self
                except OSError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not start, see {self.error_log}")

    def stop(self) -> None:
        pid = self.pid
        if pid is None and self.pid_file.exists():
            pid = int(self.pid_file.read_text())
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)  # fast shutdown of the master and its worker
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.pid = None

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the master and its workers."""
        if self.pid is None:
            return 0.0
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid or stat.parent.name == str(self.pid):
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def log_position(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def requests_since(self, position: int) -> dict[str, int]:
        """Requests in the access log since ``position``, counted by status, and bytes sent."""
        counts: dict[str, int] = {"requests": 0, "bytes": 0}
        with self.access_log.open("rb") as log:
            log.seek(position)
            for line in log:
                parts = line.split(b'"')
                if len(parts) < 3:
                    continue
                fields = parts[2].split()
                status = fields[0].decode()
                counts["requests"] += 1
                counts[status] = counts.get(status, 0) + 1
                counts["bytes"] += int(fields[1]) if fields[1].isdigit() else 0
        return counts

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
