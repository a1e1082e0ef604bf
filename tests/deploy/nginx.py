"""Debian's nginx, started by a test in a temporary directory (its own config, pid file and
logs; not a daemon), stopped afterwards: the reverse proxy in front of the app instances."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

NGINX = os.environ.get("TINBAO_TEST_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """\
{user}
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    # One line per request: client, the status nginx answered, every upstream's status in order.
    log_format tinbao_test '$remote_addr $status "$upstream_status"';
    access_log {root}/access.log tinbao_test;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
{site}
}}
"""


class Nginx:
    def __init__(self, root: Path, site: str, port: int) -> None:
        self.root = root
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        root.mkdir(parents=True, exist_ok=True)
        user = "user root root;" if os.geteuid() == 0 else ""
        self.conf = root / "nginx.conf"
        self.conf.write_text(CONFIG.format(user=user, root=root, site=site))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15) -> None:
        check = subprocess.run(
            [NGINX, "-t", "-p", str(self.root), "-c", str(self.conf)], capture_output=True
        )
        assert check.returncode == 0, check.stderr.decode()
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.root), "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("ab"),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.error_log()
            try:
                httpx.get(self.url + "/healthz", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not start: {self.error_log()}")

    def reload(self, site: str) -> None:
        user = "user root root;" if os.geteuid() == 0 else ""
        self.conf.write_text(CONFIG.format(user=user, root=self.root, site=site))
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGHUP)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def error_log(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def answers(self, client: str) -> list[tuple[int, list[str]]]:
        """What nginx answered `client` (its source address), request by request: the status
        it sent and the statuses of the upstreams it tried, in order (`-` when none answered)."""
        path = self.root / "access.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        answers = []
        for line in lines:
            address, status, upstream = line.split(" ", 2)
            if address == client:
                tried = re.split(r"[ ,:]+", upstream.strip('"'))
                answers.append((int(status), [t for t in tried if t]))
        return answers

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def proxy_site(port: int, upstreams: list[int], *, retry_post: bool = False) -> str:
    """A server block on 127.0.0.1:`port` balancing over the app instances. nginx retries
    the next instance when one refuses the connection or fails before answering (`error`,
    `timeout`) or answers 502/503; with `retry_post` also for POST (intake carries an
    Idempotency-Key, so a retried POST cannot create a second tip)."""
    servers = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=3 fail_timeout=5s;" for p in upstreams
    )
    next_upstream = "error timeout http_502 http_503" + (" non_idempotent" if retry_post else "")
    return f"""
    upstream tinbao {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 60m;
        location / {{
            proxy_pass http://tinbao;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream {next_upstream};
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
        }}
    }}
"""
