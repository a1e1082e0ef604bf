"""The `tinbao` command line."""

from __future__ import annotations

import typer

cli = typer.Typer(help="TinBáo — tips on security, order and crime.", no_args_is_help=True)


@cli.command("migrate")
def migrate(revision: str = "head") -> None:
    """Apply database migrations (alembic upgrade)."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config

    cfg = Config(str(Path(__file__).resolve().parents[1] / "alembic.ini"))
    command.upgrade(cfg, revision)


@cli.command("load-reference-data")
def load_reference_data_command() -> None:
    """Load provinces, communes, the old→new mapping, police units, categories and the
    holiday calendar. Idempotent: run it again after an update to the shipped data."""
    from app.core.config import get_settings
    from app.core.db import make_sync_engine
    from app.reference_data import load_reference_data

    engine = make_sync_engine(get_settings())
    with engine.begin() as conn:
        counts = load_reference_data(conn)
    for name, count in counts.items():
        typer.echo(f"{name}: {count}")


@cli.command("serve")
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    uvicorn.run("app.asgi:app", host=host, port=port, workers=workers, proxy_headers=True)


def main() -> None:
    cli()
