"""An app instance as an operator runs it: `tinbao serve --workers N` in a subprocess on a
loopback port, with its own environment; stopped with SIGTERM (graceful) or SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[2]
TINBAO = str(Path(sys.executable).with_name("tinbao"))


def base_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    env.update(settings)
    return env


class Instance:
    def __init__(self, name: str, port: int, env: dict[str, str], log_dir: Path, workers: int = 2):
        self.name = name
        self.port = port
        self.env = env
        self.workers = workers
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another `tinbao` command with this instance's environment."""
        return subprocess.run(
            [TINBAO, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [TINBAO, *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [TINBAO, "serve", "--port", str(self.port), "--workers", str(self.workers)],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.output()[-3000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not get ready: {self.output()[-3000:]}")

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM: uvicorn stops accepting, finishes in-flight requests, exits."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.terminate(timeout=20)
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        if self._log is not None:
            self._log.flush()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
