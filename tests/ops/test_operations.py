"""Operations: request ids, JSON logs, gzip, HEAD on probes, metrics token and docs in
production, local docs assets, one-line configuration errors, --version, SQLSTATE logging."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys

import pytest

from app.core.config import LogFormat, Mode
from app.core.logs import JsonFormatter, TextFormatter, request_id_var
from tests.hardening.conftest import client_for, running

PRODUCTION = {
    "mode": Mode.production,
    "docs_enabled": False,
}


async def test_request_id_is_answered_and_sane(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123.x:y"})
    assert r.headers["x-request-id"] == "abc-123.x:y"
    for bad in ("has space", "x" * 129, "nul\x01"):
        r = await client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    generated = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(generated) == 3
    r = await client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and "x-request-id" in r.headers


async def test_json_log_lines_carry_the_request_id(app, settings, caplog):
    caplog.set_level(logging.INFO, logger="tinbao.access")
    async with running(settings, log_format=LogFormat.json) as api, client_for(api) as client:
        # Open311 takes `api_key` as a query parameter (as the spec says): its value must never
        # reach a log line.
        r = await client.get(
            "/open311/v2/requests.json?api_key=SECRET-KEY-VALUE", headers={"X-Request-ID": "r-1"}
        )
        assert r.status_code == 403
    records = [rec for rec in caplog.records if rec.name == "tinbao.access"]
    record = next(rec for rec in records if getattr(rec, "request_id", None) == "r-1")
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["request_id"] == "r-1" and entry["status"] == 403
    assert entry["route"] == "/open311/v2/requests.json" and entry["method"] == "GET"
    assert "SECRET-KEY-VALUE" not in line and "\n" not in line


@pytest.mark.parametrize("formatter", [JsonFormatter, TextFormatter])
def test_exceptions_are_logged_as_type_only(formatter):
    try:
        raise ValueError("Nguyễn Văn A, 0912345678")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    record.request_id = "rid"  # what the handler's filter sets
    token = request_id_var.set("rid")
    try:
        line = formatter().format(record)
    finally:
        request_id_var.reset(token)
    if formatter is JsonFormatter:
        assert json.loads(line)["exception"] == "ValueError"
    else:
        assert line.endswith("exception=ValueError") and "[rid]" in line
    assert "0912345678" not in line and "Traceback" not in line and "\n" not in line


async def test_large_answers_are_gzipped(client):
    r = await client.get("/api/v1/units", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert len(r.json()) > 0  # httpx decompressed it
    small = await client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


async def test_head_on_probes(client):
    for path in ("/healthz", "/readyz", "/metrics"):
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
    assert (await client.head("/api/v1/units")).status_code == 405


async def test_metrics_in_production_need_the_token(app, settings):
    async with running(settings, **PRODUCTION) as api, client_for(api) as client:
        assert (await client.get("/metrics")).status_code == 404  # off without a token
    token = "m" * 40
    async with (
        running(settings, **PRODUCTION, metrics_token=token) as api,
        client_for(api) as client,
    ):
        assert (await client.get("/metrics")).status_code == 401
        bad = {"Authorization": "Bearer nope"}
        assert (await client.get("/metrics", headers=bad)).status_code == 401
        good = {"Authorization": f"Bearer {token}"}
        r = await client.get("/metrics", headers=good)
        assert r.status_code == 200 and "tinbao_http_requests_total" in r.text
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await client.get(path)).status_code == 404


def test_docs_default_off_in_production_on_in_development(settings):
    from app.core.config import Settings

    secrets = {
        "secret_key": "s" * 40,
        "receipt_key": "r" * 40,
        "data_keys": settings.data_keys,
        "var_dir": settings.var_dir,
    }
    assert Settings(mode="production", **secrets).docs_enabled is False
    assert Settings(mode="production", docs_enabled=True, **secrets).docs_enabled is True
    assert Settings(**secrets).docs_enabled is True


async def test_docs_load_only_local_assets(client):
    for page in ("/docs", "/redoc"):
        r = await client.get(page)
        assert r.status_code == 200
        assert "default-src 'self'" in r.headers["content-security-policy"]
        urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", r.text)
        urls += re.findall(r"""url:\s*['"]([^'"]+)""", r.text)
        assert urls, page
        for url in urls:
            assert url.startswith("/"), (page, url)
            if url.startswith("/docs/static/"):
                asset = await client.get(url)
                assert asset.status_code == 200 and len(asset.content) > 1000, url
    assert (await client.get("/docs/static/../../config.py")).status_code == 404
    assert (await client.get("/docs/static/nope.js")).status_code == 404


@pytest.mark.parametrize(
    "secrets",
    [
        {},
        {"TINBAO_SECRET_KEY": "short", "TINBAO_RECEIPT_KEY": "r" * 40, "TINBAO_DATA_KEYS": "x"},
    ],
)
def test_bad_production_secret_is_one_line_and_non_zero(tmp_path, secrets):
    env = {"PATH": "/usr/bin:/bin", "TINBAO_MODE": "production", "TINBAO_VAR_DIR": str(tmp_path)}
    env.update(secrets)
    for command in (
        [sys.executable, "-c", "from app.cli import main; main()", "serve"],
        [sys.executable, "-c", "import app.asgi"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 2, done
        lines = (done.stdout + done.stderr).strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("tinbao: invalid configuration:")
        assert "Traceback" not in lines[0]


def test_version():
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"tinbao {version('tinbao')}"


async def test_database_errors_never_carry_parameters(app):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as caught:
        async with app.state.engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO provinces (code) VALUES (:code)"), {"code": "0912345678-PII"}
            )
    assert "0912345678-PII" not in str(caught.value)
