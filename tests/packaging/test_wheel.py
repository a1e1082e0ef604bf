"""The built wheel is the product: installed in a fresh venv, with no checkout in sight (the
working directory is outside the repository), `tinbao migrate` builds the schema from the
migrations shipped inside the package and `tinbao serve` answers /readyz."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _uv() -> str:
    from uv import find_uv_bin  # the dev dependency that also runs `make lock`

    return find_uv_bin()


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-4000:]}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + 120  # a timeout for a subprocess, not an assertion on time
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited: {log.read_text()[-3000:]}"
        try:
            answer = httpx.get(url, timeout=2)
            if answer.status_code == 200:
                return answer
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # waiting for another process to come up
    raise AssertionError(f"the server did not get ready: {log.read_text()[-3000:]}")


def test_wheel_installs_migrates_and_serves_without_checkout(tmp_path: Path) -> None:
    uv = _uv()
    dist = tmp_path / "dist"
    _run(uv, "build", "--wheel", "--out-dir", dist, ROOT, cwd=tmp_path)
    (wheel,) = dist.glob("tinbao-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    # The printed records' font ships in the package (never a system font), with its licence.
    for font in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"):
        assert f"app/records/fonts/{font}" in names, font
    # So does every file of the web client (served by Python alone: no Node step, no CDN).
    static = ROOT / "app" / "web" / "static"
    shipped = {p.relative_to(ROOT).as_posix() for p in static.rglob("*") if p.is_file()}
    assert shipped and shipped <= names, sorted(shipped - names)

    venv = tmp_path / "venv"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    _run(uv, "venv", "-q", "--python", sys.executable, venv, cwd=outside)
    locked = tmp_path / "requirements.txt"
    _run(uv, "export", "-q", "--frozen", "--no-emit-project", "--no-dev", "-o", locked, cwd=ROOT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TINBAO_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    _run(
        uv,
        "pip",
        "install",
        "-q",
        "--python",
        venv / "bin" / "python",
        "-r",
        locked,
        wheel,
        cwd=outside,
        env=env,
    )

    env.update(
        TINBAO_DATABASE_URL=f"sqlite:///{outside / 'fresh.db'}",
        TINBAO_VAR_DIR=str(outside / "var"),
        TINBAO_MEDIA_DIR=str(outside / "media"),
        TINBAO_SCHEDULER_ENABLED="false",
    )
    where = _run(
        venv / "bin" / "python", "-c", "import app; print(app.__file__)", cwd=outside, env=env
    )
    assert Path(where.strip()).is_relative_to(venv), where  # not the checkout
    _run(venv / "bin" / "tinbao", "migrate", cwd=outside, env=env)

    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "tinbao"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=outside,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            ready = _wait_ready(f"http://127.0.0.1:{port}/readyz", process, log)
            assert ready.json()["status"] == "ready"
            for page in ("/", "/track", "/staff/", "/dashboard/", "/static/js/report.js"):
                served = httpx.get(f"http://127.0.0.1:{port}{page}", timeout=30)
                assert served.status_code == 200, (page, served.status_code)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
