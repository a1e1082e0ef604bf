"""Browser tests of the web client: the real app (uvicorn, on the test database) and Debian's
Chromium driven by Playwright. Without a Chromium they are skipped, except under CI=true,
where they fail: CI must run them.

Screenshots go to ``tests/web/artifacts/`` (gitignored; ``TINBAO_TEST_ARTIFACTS`` overrides).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from app.core.config import Settings
from tests import needs
from tests.conftest import clean_transactional_tables
from tests.hardening.server import ROOT, server_env

CHROMIUM = os.environ.get("TINBAO_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Loopback ports the web tests may use (TINBAO_TEST_WEB_PORTS="first-last").
PORTS = os.environ.get("TINBAO_TEST_WEB_PORTS", "23000-23999")
ADMIN_PASSWORD = "Tb-web-bootstrap-7Kq2-2026"
STAFF_PASSWORD = "Tb-web-staff-9Wz4-2026"
# What the admin sets; the user replaces it before first use (app.accounts.passwords).
INITIAL_PASSWORD = "Tb-web-initial-3Hx8-2026"
ARTIFACTS = Path(os.environ.get("TINBAO_TEST_ARTIFACTS", ROOT / "tests" / "web" / "artifacts"))
AXE = Path(__file__).parent / "vendor" / "axe-core-4.10.2" / "axe.min.js"


def _require_browser() -> Any:
    needs.program("chromium", "chromium", path=CHROMIUM)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        needs.unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    from playwright.sync_api import sync_playwright

    return sync_playwright


def _bound_socket() -> socket.socket:
    first, last = (int(x) for x in PORTS.split("-"))
    start = first + os.getpid() % (last - first + 1)
    for offset in range(last - first + 1):
        port = first + (start - first + offset) % (last - first + 1)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sock.listen(256)
        return sock
    raise RuntimeError(f"no free loopback port in {PORTS}")


class WebServer:
    """``uvicorn app.asgi:app`` on a loopback port of the range, on the test database."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.env = server_env(
            settings,
            TINBAO_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
            TINBAO_RATE_LIMIT_LOGIN="100000/minute",
            TINBAO_LOG_LEVEL="INFO",
        )
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 90) -> None:
        sock = _bound_socket()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.asgi:app", "--fd", str(sock.fileno())],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
        )
        sock.close()
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not get ready: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def browser_factory() -> Any:
    return _require_browser()


@pytest.fixture(scope="module")
def web_server(
    browser_factory: Any,
    settings: Settings,
    sync_engine: Engine,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WebServer]:
    clean_transactional_tables(sync_engine)
    server = WebServer(settings, tmp_path_factory.mktemp("web") / "server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        clean_transactional_tables(sync_engine)


@pytest.fixture(scope="module")
def browser(browser_factory: Any) -> Iterator[Any]:
    with browser_factory() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Any:
    """``shots(page, "name")`` saves a full-page screenshot as an artefact of this test."""
    folder = ARTIFACTS / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture(scope="module")
def axe_source() -> str:
    return AXE.read_text()
