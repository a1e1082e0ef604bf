"""`tinbao admin-units apply FILE.json [--dry-run]`: apply an administrative change-set from
the command line, as ``POST /api/v1/admin-units/change-sets`` does (audited as ``cli``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

admin_units_cli = typer.Typer(help="Administrative units: apply change-sets.", no_args_is_help=True)


@admin_units_cli.command("apply")
def apply_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The change-set (JSON)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report only; change nothing."),
) -> None:
    """Apply a change-set all or nothing and print its report (JSON). The file's own
    ``dry_run`` is ignored: the command applies unless ``--dry-run`` is given."""
    import asyncio

    from pydantic import ValidationError

    from app.administration.changesets import apply
    from app.administration.schemas import ChangeSetIn, ChangeSetOut
    from app.core.config import get_settings
    from app.core.db import make_async_engine, make_sessionmaker
    from app.core.errors import AppError
    from app.core.i18n import Lang
    from app.core.messages import pick
    from app.notifications import hooks as notification_hooks

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        data = ChangeSetIn.model_validate({**document, "dry_run": dry_run})
    except (ValueError, ValidationError) as exc:
        typer.echo(f"invalid change-set: {exc}", err=True)
        raise typer.Exit(code=2) from exc

    async def _run() -> ChangeSetOut:
        settings = get_settings()
        engine = make_async_engine(settings)
        sessionmaker = make_sessionmaker(engine)
        # The moved tips' outbox rows follow TINBAO_NOTIFICATIONS_ENABLED as in the server.
        notification_hooks.configure(sessionmaker, enabled=settings.notifications_enabled)
        try:
            async with sessionmaker() as session:
                report = await apply(session, actor=None, data=data)
                await session.commit()
                return report
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(_run())
    except AppError as exc:
        for field, message in exc.errors or []:
            typer.echo(f"refused: {field}: {pick(message, Lang.en)}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(report.model_dump_json(indent=2))
