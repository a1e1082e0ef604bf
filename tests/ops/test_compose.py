"""The deployment files hold together: compose.yaml's services, healthchecks and wiring;
.env.example names only real settings and parses; the Dockerfile keeps its promises; the
nginx config, pre-commit hooks and LICENSE match what the project says. (No Docker engine
runs here: this checks structure, it does not build the image.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from app.core.config import Mode, Settings

ROOT = Path(__file__).resolve().parents[2]
NOT_SETTINGS = {"POSTGRES_PASSWORD", "TINBAO_WORKERS"}  # read by compose / the image's CMD
REQUIRED_IN_PRODUCTION = {
    "TINBAO_MODE",
    "TINBAO_SECRET_KEY",
    "TINBAO_RECEIPT_KEY",
    "TINBAO_DATA_KEYS",
    "TINBAO_METRICS_TOKEN",
    "TINBAO_DOCS_ENABLED",
    "TINBAO_LOG_FORMAT",
    "TINBAO_DATABASE_URL",
    "TINBAO_REDIS_URL",
    "TINBAO_TRUSTED_PROXIES",
    "TINBAO_DATABASE_REPLICA_URL",
}


def env_example() -> dict[str, str]:
    """Every variable the file names, set or commented out (`# TINBAO_X=...`)."""
    found = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_services_and_healthchecks():
    doc = compose()
    services = doc["services"]
    apps = [name for name in services if name.startswith("app")]
    assert len(apps) >= 2 and {"postgres", "redis", "nginx"} <= set(services)
    for name, service in services.items():
        assert "healthcheck" in service and service["healthcheck"]["test"], name
        assert service.get("restart") == "unless-stopped", name
    for name in apps:
        app = services[name]
        assert app["env_file"] == ".env"
        env = app["environment"]
        assert env["TINBAO_MODE"] == "production"
        assert (
            env["TINBAO_DATABASE_URL"].startswith("postgresql://")
            and "@postgres:" in env["TINBAO_DATABASE_URL"]
        )
        assert env["TINBAO_REDIS_URL"].startswith("redis://redis:")
        assert (
            env["TINBAO_TRUSTED_PROXIES"]
            == doc["networks"]["backend"]["ipam"]["config"][0]["subnet"]
        )
        assert "/readyz" in " ".join(app["healthcheck"]["test"])
        for dependency in ("postgres", "redis"):
            assert app["depends_on"][dependency]["condition"] == "service_healthy"
        for key in env:
            assert key in settings_env_names(), key
    nginx = services["nginx"]
    mount = next(v for v in nginx["volumes"] if "ops/nginx/" in v)
    assert (ROOT / mount.split(":")[0]).is_file()
    for name in apps:
        assert name in nginx["depends_on"]


def settings_env_names() -> set[str]:
    return {"TINBAO_" + name.upper() for name in Settings.model_fields}


def test_env_example_names_only_real_settings_and_parses(tmp_path, monkeypatch):
    variables = env_example()
    unknown = set(variables) - settings_env_names() - NOT_SETTINGS
    assert not unknown, f".env.example names settings that do not exist: {sorted(unknown)}"
    missing = REQUIRED_IN_PRODUCTION - set(variables)
    assert not missing, missing
    # Filled in as an operator would, it makes valid production settings.
    for key, value in variables.items():
        if key.startswith("TINBAO_"):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("TINBAO_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("TINBAO_RECEIPT_KEY", "r" * 48)
    monkeypatch.setenv("TINBAO_DATA_KEYS", "k1:" + "A" * 43 + "=")
    monkeypatch.setenv("TINBAO_VAR_DIR", str(tmp_path))
    settings = Settings()
    assert settings.mode is Mode.production
    assert settings.docs_enabled is False
    assert settings.database_replica_url is None  # empty means unset


def test_readme_documents_every_env_example_setting():
    readme = (ROOT / "README.md").read_text()
    for key in set(env_example()) - NOT_SETTINGS:
        assert f"`{key}`" in readme, key


def test_dockerfile_promises():
    text = (ROOT / "Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(froms) >= 2  # multi-stage
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.MULTILINE)
    assert base and re.fullmatch(r"python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base.group(1))
    assert "uv sync --frozen --no-dev" in text and "uv.lock" in text
    assert "--no-editable" in text and "pip install -e" not in text
    assert re.search(r"^USER\s+10001", text, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK", text, re.MULTILINE)
    assert "tinbao migrate &&" in text and "tinbao serve" in text


def test_nginx_config_retries_and_forwards():
    conf = (ROOT / "ops/nginx/tinbao.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for" in conf
    assert re.search(r"proxy_next_upstream error timeout http_502 http_503", conf)
    upstreams = re.findall(r"server (app\d+):8000", conf)
    assert set(upstreams) == {n for n in compose()["services"] if n.startswith("app")}


def test_pre_commit_runs_what_make_test_runs():
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    entries = {hook["entry"] for hook in hooks}
    makefile = (ROOT / "Makefile").read_text()
    make_commands = {
        line.strip().replace("$(BIN)/", ".venv/bin/")
        for line in makefile.splitlines()
        if line.strip().startswith(("$(BIN)/ruff", "$(BIN)/mypy"))
    }
    assert make_commands and entries == make_commands


def test_license_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "AGPL-3.0-or-later"
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert "Version 3, 19 November 2007" in text
    assert "13. Remote Network Interaction" in text and len(text) > 30_000
