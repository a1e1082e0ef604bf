"""Production settings refuse missing, default or weak secrets; every response carries the
security headers (errors and 404s included); CORS follows TINBAO_CORS_ORIGINS; the API
documents can be switched off."""

from __future__ import annotations

import os

import pytest

from app.core.config import Mode, Settings
from app.main import create_app
from tests.conftest import TEST_DATA_KEY
from tests.hardening.conftest import client_for, running

SECRET = "a-real-secret-key-0123456789abcdef"
RECEIPT = "a-real-receipt-key-0123456789abcdef"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No TINBAO_* variable from the outside; the working directory is a fresh one."""
    for name in list(os.environ):
        if name.startswith("TINBAO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_production_without_secrets_refuses_to_start(clean_env):
    with pytest.raises(ValueError) as caught:
        Settings(mode="production", var_dir=clean_env)
    for name in ("TINBAO_SECRET_KEY", "TINBAO_RECEIPT_KEY", "TINBAO_DATA_KEYS"):
        assert name in str(caught.value)
    assert not (clean_env / "secrets.json").exists()  # nothing generated in production


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TINBAO_SECRET_KEY", "changethis"),
        ("TINBAO_RECEIPT_KEY", "changethis"),
        ("TINBAO_SECRET_KEY", ""),
        ("TINBAO_DATA_KEYS", "changethis"),
        ("TINBAO_DATA_KEYS", "k1:tooshort"),
        ("TINBAO_SECRET_KEY", "short-but-not-default"),
    ],
)
def test_production_with_default_or_weak_secrets_refuses_to_start(
    clean_env, monkeypatch, variable, value
):
    monkeypatch.setenv("TINBAO_MODE", "production")
    monkeypatch.setenv("TINBAO_SECRET_KEY", SECRET)
    monkeypatch.setenv("TINBAO_RECEIPT_KEY", RECEIPT)
    monkeypatch.setenv("TINBAO_DATA_KEYS", TEST_DATA_KEY)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as caught:
        Settings()
    assert variable in str(caught.value)


async def test_production_with_real_secrets_starts(clean_env, monkeypatch):
    monkeypatch.setenv("TINBAO_MODE", "production")
    monkeypatch.setenv("TINBAO_SECRET_KEY", SECRET)
    monkeypatch.setenv("TINBAO_RECEIPT_KEY", RECEIPT)
    monkeypatch.setenv("TINBAO_DATA_KEYS", f"{TEST_DATA_KEY},old:{'A' * 43}")
    monkeypatch.setenv("TINBAO_DATABASE_URL", f"sqlite:///{clean_env / 'prod.db'}")
    monkeypatch.setenv("TINBAO_SCHEDULER_ENABLED", "false")
    settings = Settings()
    assert settings.mode is Mode.production
    assert settings.data_keys == [TEST_DATA_KEY, f"old:{'A' * 43}"]
    assert settings.webhook_allow_private is False
    application = create_app(settings)
    async with application.router.lifespan_context(application), client_for(application) as c:
        assert (await c.get("/healthz")).status_code == 200
    assert not (clean_env / "var" / "secrets.json").exists()


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
}


async def test_security_headers_on_every_response(app, settings):
    @app.get("/boom-for-test")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    async with client_for(app, raise_app_exceptions=False) as client:
        responses = {
            "ok": await client.get("/api/v1/categories"),
            "health": await client.get("/healthz"),
            "not found": await client.get("/api/v1/no-such-thing"),
            "unknown tip": await client.get("/api/v1/track"),
            "unauthorized": await client.get("/api/v1/tips"),
            "invalid": await client.post("/api/v1/tips", json={}),
            "wrong method": await client.delete("/api/v1/categories"),
            "server error": await client.get("/boom-for-test"),
            "open311": await client.get("/open311/v2/services.json"),
            "docs": await client.get("/docs"),
        }
    expected = {
        "ok": 200,
        "health": 200,
        "not found": 404,
        "unknown tip": 404,
        "unauthorized": 401,
        "invalid": 422,
        "wrong method": 405,
        "server error": 500,
        "open311": 200,
        "docs": 200,
    }
    for name, response in responses.items():
        assert response.status_code == expected[name], name
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (name, header)
        if name != "docs":  # the Swagger UI page loads its script and styles
            assert "default-src 'none'" in response.headers["content-security-policy"], name
    assert responses["server error"].json()["code"] == "internal_error"
    assert "unexpected" not in responses["server error"].text


ORIGIN = "https://tinbao.example.vn"


async def test_cors_follows_the_configured_origins(app, settings):
    preflight = {"Access-Control-Request-Method": "POST"}
    async with running(settings, cors_origins=[ORIGIN]) as api, client_for(api) as client:
        r = await client.options("/api/v1/tips", headers={"Origin": ORIGIN, **preflight})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in r.headers["access-control-allow-methods"]
        r = await client.options(
            "/api/v1/tips", headers={"Origin": "https://evil.example", **preflight}
        )
        assert r.status_code == 400
        assert "access-control-allow-origin" not in r.headers

        r = await client.get("/api/v1/categories", headers={"Origin": ORIGIN})
        assert r.headers["access-control-allow-origin"] == ORIGIN
        r = await client.get("/api/v1/categories", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers

    # Without TINBAO_CORS_ORIGINS no origin is allowed.
    async with client_for(app) as client:
        r = await client.options("/api/v1/tips", headers={"Origin": ORIGIN, **preflight})
        assert "access-control-allow-origin" not in r.headers


def test_cors_origins_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("TINBAO_CORS_ORIGINS", f"{ORIGIN}, https://quanly.tinbao.vn")
    settings = Settings(var_dir=clean_env)
    assert settings.cors_origins == [ORIGIN, "https://quanly.tinbao.vn"]


async def test_docs_can_be_disabled(app, settings):
    async with client_for(app) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await client.get(path)).status_code == 200, path
    async with running(settings, docs_enabled=False) as api, client_for(api) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            r = await client.get(path)
            assert r.status_code == 404, path
            assert r.headers["content-type"].startswith("application/problem+json")
        assert (await client.get("/api/v1/categories")).status_code == 200
