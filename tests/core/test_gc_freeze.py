"""`tinbao serve` workers freeze their start-up heap (app.core.gc_tuning); an app a test
builds does not (frozen cycles are never freed)."""

from __future__ import annotations

import gc
import os
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings
from app.main import create_app


@pytest.fixture
def unfrozen() -> Any:
    gc.unfreeze()
    yield
    gc.unfreeze()


def _serve_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> dict[str, Any]:
    """Run `tinbao serve` with uvicorn.run replaced: what the workers would inherit."""
    import uvicorn

    import app.core.config
    import app.core.logs

    seen: dict[str, Any] = {}

    def run(target: str, **options: Any) -> None:
        seen["target"] = target
        seen["TINBAO_GC_FREEZE"] = os.environ.get("TINBAO_GC_FREEZE")

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr(app.core.config, "settings_or_exit", lambda: settings)
    monkeypatch.setattr(app.core.logs, "configure_logging", lambda _settings: None)
    # serve sets the variable in os.environ itself: put back what was there, or a later test's
    # Settings() would read it and every app built after this test would freeze its heap.
    before = os.environ.get("TINBAO_GC_FREEZE")
    try:
        done = CliRunner().invoke(cli, ["serve"])
    finally:
        if before is None:
            os.environ.pop("TINBAO_GC_FREEZE", None)
        else:
            os.environ["TINBAO_GC_FREEZE"] = before
    assert done.exit_code == 0, done.output
    return seen


def test_serve_turns_the_freeze_on_for_its_workers(monkeypatch, settings):
    monkeypatch.delenv("TINBAO_GC_FREEZE", raising=False)
    seen = _serve_environment(monkeypatch, settings)
    assert seen == {"target": "app.asgi:app", "TINBAO_GC_FREEZE": "true"}
    assert "TINBAO_GC_FREEZE" not in os.environ  # the test process is left as it was
    monkeypatch.setenv("TINBAO_GC_FREEZE", seen["TINBAO_GC_FREEZE"])
    assert Settings().gc_freeze is True


def test_serve_keeps_an_explicit_off(monkeypatch, settings):
    monkeypatch.setenv("TINBAO_GC_FREEZE", "false")
    assert _serve_environment(monkeypatch, settings)["TINBAO_GC_FREEZE"] == "false"


async def test_an_app_built_in_process_does_not_freeze(settings, sync_engine, unfrozen):
    assert settings.gc_freeze is False
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() == 0


async def test_a_serving_worker_freezes_once_started(settings, sync_engine, unfrozen):
    application = create_app(settings.model_copy(update={"gc_freeze": True}))
    async with application.router.lifespan_context(application):
        # The start-up heap (modules, mappers, routes, the app's state) is frozen: the
        # collector's generations no longer hold it.
        assert gc.get_freeze_count() > 100_000
        collected = {id(o) for generation in range(3) for o in gc.get_objects(generation)}
        assert id(application.state) not in collected
        # A cycle made afterwards is still collected.
        cycle: list[Any] = []
        cycle.append(cycle)
        before = gc.get_freeze_count()
        del cycle
        assert gc.collect() >= 1
        assert gc.get_freeze_count() == before
