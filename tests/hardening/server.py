"""The real server, as a subprocess: uvicorn on a random loopback port, on the test database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx

from app.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def bound_socket() -> socket.socket:
    """A TCP socket bound on loopback: to a free port of TINBAO_TEST_PORTS ("26000-26999")
    when that is set (machines shared by several test runs), else to any free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ports = os.environ.get("TINBAO_TEST_PORTS")
    if not ports:
        sock.bind(("127.0.0.1", 0))
        return sock
    first, _, last = ports.partition("-")
    for port in range(int(first), int(last or first) + 1):
        try:
            sock.bind(("127.0.0.1", port))
            return sock
        except OSError:
            continue
    sock.close()
    raise RuntimeError(f"no free port in TINBAO_TEST_PORTS={ports}")


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    env.update(
        TINBAO_DATABASE_URL=settings.database_url,
        TINBAO_MEDIA_DIR=str(settings.media_dir),
        TINBAO_VAR_DIR=str(settings.var_dir),
        TINBAO_SECRET_KEY=settings.secret_key,
        TINBAO_RECEIPT_KEY=settings.receipt_key,
        TINBAO_DATA_KEYS=",".join(settings.data_keys),
        TINBAO_SCHEDULER_ENABLED="false",
        TINBAO_RATE_LIMIT_INTAKE="100000/minute",
        TINBAO_RATE_LIMIT_TRACK_FAILURES="100000/minute",
        TINBAO_LOG_LEVEL="DEBUG",
    )
    env.update(extra)
    return env


class Server:
    """``tinbao serve`` (uvicorn with the project's HTTP protocol) serving a socket bound here
    to a free loopback port (passed by file descriptor, so no other process can take the port
    in between)."""

    def __init__(
        self,
        settings: Settings,
        log_path: Path,
        *,
        port: int = 0,
        workers: int = 1,
        args: tuple[str, ...] = (),
        **env: str,
    ) -> None:
        self.settings = settings
        self.args = args  # more `tinbao serve` options
        self.workers = workers
        self.port = port  # 0: a random free port
        self.log_path = log_path
        self.env = server_env(settings, **env)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.url = ""

    async def start(self, timeout: float = 60) -> None:
        sock = bound_socket()
        sock.listen(1024)
        port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "serve",
                "--fd",
                str(sock.fileno()),
                "--workers",
                str(self.workers),
                *self.args,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
        )
        sock.close()  # the server holds its own copy
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited: {self.output()[-2000:]}")
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the server did not get ready: {self.output()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()

    def output(self) -> str:
        if self._log is not None and not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    async def __aenter__(self) -> Server:
        try:
            await self.start()
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.stop()
