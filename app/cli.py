"""The `tinbao` command line."""

from __future__ import annotations

from pathlib import Path

import typer

cli = typer.Typer(help="TinBáo — tips on security, order and crime.", no_args_is_help=True)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"tinbao {version('tinbao')}")
        raise typer.Exit()


@cli.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """TinBáo — tips on security, order and crime."""


@cli.command("migrate")
def migrate(revision: str = "head") -> None:
    """Apply database migrations (alembic upgrade). Safe in every replica's start-up: one
    process migrates while the others wait for it (advisory lock; a file lock on SQLite)."""
    from app.core.config import settings_or_exit
    from app.core.migrate import migrate as run_migrations

    typer.echo(run_migrations(settings_or_exit(), revision).describe())


@cli.command("load-reference-data")
def load_reference_data_command() -> None:
    """Load provinces, communes, the old→new mapping, police units, categories and the
    holiday calendar. Idempotent: run it again after an update to the shipped data."""
    from app.core.config import settings_or_exit
    from app.core.migrate import exclusive
    from app.reference_data import load_reference_data

    # Under the migration lock: replicas starting together load one after the other.
    with exclusive(settings_or_exit()) as conn, conn.begin():
        counts = load_reference_data(conn)
    for name, count in counts.items():
        typer.echo(f"{name}: {count}")


@cli.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    fd: int | None = None,
    graceful_timeout: int = typer.Option(
        30, help="Seconds to finish in-flight requests after SIGTERM before closing them."
    ),
    worker_process: bool | None = typer.Option(
        None,
        "--worker-process/--no-worker-process",
        help="Run the background runner in one `tinbao worker` child process instead of in "
        "every web worker (default: TINBAO_SERVE_WORKER_PROCESS, off).",
    ),
) -> None:
    """Serve the API with uvicorn: slow clients bounded (app.core.serving); forwarding
    headers believed only from TINBAO_TRUSTED_PROXIES (app.core.proxies), never any peer.
    Each worker freezes its start-up heap out of the garbage collector (app.core.gc_tuning)
    unless TINBAO_GC_FREEZE=false. With --worker-process, the scheduled jobs and deliveries
    run in a child process serve starts, restarts and stops (app.core.worker_process)."""
    import contextlib
    import os

    # Before the settings are first read; the workers inherit it (uvicorn spawns them).
    os.environ.setdefault("TINBAO_GC_FREEZE", "true")
    from app.core.config import get_settings, settings_or_exit
    from app.core.logs import configure_logging
    from app.core.worker_process import beside_the_web_workers

    settings = settings_or_exit()  # one clear line and exit 2 on a bad setting
    configure_logging(settings)
    beside: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if settings.serve_worker_process if worker_process is None else worker_process:
        child_env = dict(os.environ)
        os.environ["TINBAO_SCHEDULER_ENABLED"] = "false"  # the web workers (and this process)
        get_settings.cache_clear()
        settings_or_exit()
        beside = beside_the_web_workers(child_env)
    with beside:
        _run_uvicorn(host=host, port=port, fd=fd, workers=workers, graceful=graceful_timeout)


def _run_uvicorn(*, host: str, port: int, fd: int | None, workers: int, graceful: int) -> None:
    import uvicorn

    from app.core.serving import uvicorn_options

    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        fd=fd,
        workers=workers,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=graceful,
        # uvicorn kills a worker that misses its health ping for this long: on a loaded
        # machine 5 s (its default) kills busy but healthy workers mid-request.
        timeout_worker_healthcheck=30,
        **uvicorn_options(),
    )


audit_cli = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
cli.add_typer(audit_cli, name="audit")


@audit_cli.command("verify")
def audit_verify(
    anchors: Path | None = typer.Option(
        None, help="An anchor file (TINBAO_AUDIT_ANCHOR_FILE): also check every anchor."
    ),
) -> None:
    """Check the audit log's and the tip events' hash chains, and the anchors; exits 1 when
    an entry or event was edited, deleted or moved, or the newest ones were deleted."""
    import asyncio

    from app.audit.anchor import FullVerifyResult, read_anchors, verify_everything
    from app.core.config import get_settings
    from app.core.db import make_async_engine, make_sessionmaker

    given = read_anchors(anchors.read_text().splitlines()) if anchors else []

    async def _run() -> FullVerifyResult:
        engine = make_async_engine(get_settings())
        try:
            async with make_sessionmaker(engine)() as session:
                return await verify_everything(session, anchors=given)
        finally:
            await engine.dispose()

    result = asyncio.run(_run())
    if result.ok:
        typer.echo(
            f"ok: {result.audit.checked} entries, last hash {result.audit.last_hash or '-'}; "
            f"{result.events.checked} tip events, last hash {result.events.head_hash or '-'}"
            + (
                f" ({result.events.unchained} older events unchained)"
                if result.events.unchained
                else ""
            )
            + (f"; {len(given)} anchors match" if given else "")
        )
        return
    if not result.audit.ok:
        typer.echo(
            f"TAMPERED: entry {result.audit.first_bad_id} does not fit the chain "
            f"({result.audit.checked} entries checked)",
            err=True,
        )
    if not result.events.ok:
        typer.echo(
            f"TAMPERED: tip event {result.events.first_bad_position} does not fit the chain "
            f"({result.events.checked} events checked)",
            err=True,
        )
    for problem in result.anchor_problems:
        typer.echo(f"TAMPERED: {problem}", err=True)
    raise typer.Exit(code=1)


@audit_cli.command("anchor")
def audit_anchor() -> None:
    """Seal the tip events' head into the audit log and write both chain heads to
    TINBAO_AUDIT_ANCHOR_FILE (and POST them to TINBAO_AUDIT_ANCHOR_WEBHOOK_URL when set)."""
    import asyncio

    from app.audit.anchor import Anchor, publish, seal
    from app.core.config import get_settings
    from app.core.db import make_async_engine, make_sessionmaker, utcnow

    settings = get_settings()

    async def _run() -> Anchor:
        engine = make_async_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session:
                anchor = await seal(session, now=utcnow())
                await session.commit()
            await publish(anchor, settings=settings)
            return anchor
        finally:
            await engine.dispose()

    typer.echo(asyncio.run(_run()).as_json())


@cli.command("worker")
def worker(
    parent_pid: int | None = typer.Option(
        None, hidden=True, help="Stop once this process is gone (serve --worker-process)."
    ),
) -> None:
    """Run the background runner alone, until SIGTERM or SIGINT (the steps under way finish
    first): scheduled jobs and the delivery of webhooks and notices (beside `serve` with
    TINBAO_SCHEDULER_ENABLED=false, or as extra runners: jobs run under leases, deliveries are
    claimed under leases). `tinbao serve --worker-process` starts one itself."""
    import asyncio

    from app.background import run_standalone
    from app.core.config import settings_or_exit
    from app.core.logs import configure_logging

    settings = settings_or_exit()
    configure_logging(settings)
    asyncio.run(run_standalone(settings, forever=True, parent_pid=parent_pid))


def _run_part(*, jobs: bool, outbox: str | None, forever: bool) -> dict[str, str]:
    import asyncio

    from app.background import JOBS, OUTBOXES, run_standalone
    from app.core.config import get_settings

    return asyncio.run(
        run_standalone(
            get_settings(),
            forever=forever,
            jobs=JOBS if jobs else (),
            outboxes=[o for o in OUTBOXES if o.name == outbox],
        )
    )


jobs_cli = typer.Typer(help="Scheduled jobs (overdue alerts, purges).", no_args_is_help=True)
cli.add_typer(jobs_cli, name="jobs")


@jobs_cli.command("run-once")
def jobs_run_once() -> None:
    """Run every scheduled job once (jobs another worker is running are skipped)."""
    for name, result in _run_part(jobs=True, outbox=None, forever=False).items():
        typer.echo(f"{name}: {result}")


webhooks_cli = typer.Typer(help="Webhook deliveries.", no_args_is_help=True)
cli.add_typer(webhooks_cli, name="webhooks")


@webhooks_cli.command("deliver")
def webhooks_deliver() -> None:
    """Sequence the change feed and make every delivery due now, once."""
    typer.echo(_run_part(jobs=False, outbox="webhooks", forever=False)["webhooks"])


@webhooks_cli.command("run-worker")
def webhooks_run_worker() -> None:
    """Deliver webhooks alone, until interrupted (deliveries are claimed under leases;
    `tinbao worker` runs everything)."""
    _run_part(jobs=False, outbox="webhooks", forever=True)


notifications_cli = typer.Typer(help="Notice deliveries.", no_args_is_help=True)
cli.add_typer(notifications_cli, name="notifications")


@notifications_cli.command("deliver")
def notifications_deliver() -> None:
    """Expand pending notices and send every delivery due now, once."""
    typer.echo(_run_part(jobs=False, outbox="notifications", forever=False)["notifications"])


@notifications_cli.command("run-worker")
def notifications_run_worker() -> None:
    """Send notices alone, until interrupted (several may run at once; `tinbao worker` runs
    everything)."""
    _run_part(jobs=False, outbox="notifications", forever=True)


@cli.command("generate-data-key")
def generate_data_key(
    key_id: str = typer.Option(
        "", help="The new key's id (letters, digits, '_' or '-'; default: k<date>-<random>)."
    ),
) -> None:
    """Print a new data key, "id:base64url(32 bytes)", for TINBAO_DATA_KEYS.

    Rotation: put it first in TINBAO_DATA_KEYS (keep the old keys after it), restart, run
    `tinbao reencrypt-reporters`, then remove the old keys."""
    import re
    import secrets
    from datetime import UTC, datetime

    from app.core.security import DataCipher

    key_id = key_id or f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", key_id):
        typer.echo("key id: 1-32 letters, digits, '_' or '-'", err=True)
        raise typer.Exit(code=2)
    typer.echo(DataCipher.generate_key(key_id))


@cli.command("reencrypt-reporters")
def reencrypt_reporters(
    batch_size: int = typer.Option(500, min=1, max=10_000, help="Rows per transaction."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count rows per key id."),
) -> None:
    """Re-encrypt reporter identities, intake replay records, webhook secrets, persons
    involved and victims, and conversation messages still under an old data key with the
    current (first) key of TINBAO_DATA_KEYS. Idempotent; safe while the service runs. Exits 1
    when some rows could not be decrypted with the key ring."""
    import asyncio

    from app.core.config import get_settings
    from app.core.db import make_async_engine, make_sessionmaker
    from app.core.security import DataCipher
    from app.privacy.rotation import RotationReport, count_by_key, reencrypt_all

    settings = get_settings()
    cipher = DataCipher(settings.data_keys)

    async def _run() -> tuple[RotationReport | None, dict[str, dict[str, int]]]:
        engine = make_async_engine(settings)
        try:
            sessionmaker = make_sessionmaker(engine)
            report = None
            if not dry_run:
                report = await reencrypt_all(sessionmaker, cipher=cipher, batch_size=batch_size)
            async with sessionmaker() as session:
                return report, await count_by_key(session)
        finally:
            await engine.dispose()

    report, counts = asyncio.run(_run())
    typer.echo(f"current key: {cipher.current_key_id}")
    for table, by_key in counts.items():
        done = f"re-encrypted {report.reencrypted[table]}, " if report else ""
        held = ", ".join(f"{k}: {n}" for k, n in sorted(by_key.items())) or "none"
        typer.echo(f"{table}: {done}rows per key: {held}")
    if report is not None and not report.ok:
        typer.echo(
            f"FAILED: {sum(report.failed.values())} rows could not be decrypted "
            f"(key ids: {', '.join(sorted(report.failed_key_ids))}); add those keys to "
            "TINBAO_DATA_KEYS and run again",
            err=True,
        )
        raise typer.Exit(code=1)


dev_cli = typer.Typer(help="Development helpers: synthetic data.", no_args_is_help=True)
cli.add_typer(dev_cli, name="dev")


@dev_cli.command("generate")
def dev_generate(
    tips: int = typer.Option(..., "--tips", min=1, help="How many tips to add."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same kind of data."),
    batch_size: int = typer.Option(20_000, "--batch-size", min=100, help="Tips per transaction."),
) -> None:
    """Add N realistic synthetic tips to the configured database (TINBAO_DATABASE_URL):
    every province, the category mix, consistent statuses, timelines and registers over five
    years. Refused in production mode; not while a server takes tips into the same database."""
    from app.core.config import get_settings
    from app.devdata.service import GenerationRefused, GenerationReport, generate_tips

    def progress(report: GenerationReport) -> None:
        typer.echo(
            f"{report.tips:>12,} tips  {report.rows:>12,} rows  "
            f"{report.rows_per_second:>10,.0f} rows/s  {report.tips_per_second:>8,.0f} tips/s"
        )

    try:
        report = generate_tips(
            get_settings(), tips=tips, seed=seed, batch_size=batch_size, progress=progress
        )
    except GenerationRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    for table, rows in report.rows_by_table.items():
        typer.echo(f"  {table}: {rows:,}")
    typer.echo(
        f"done: {report.tips:,} tips, {report.rows:,} rows in {report.seconds:.1f} s "
        f"({report.rows_per_second:,.0f} rows/s, {report.tips_per_second:,.0f} tips/s); "
        f"vacuum/analyze {report.finish_seconds:.1f} s"
    )


def _add_domain_commands() -> None:
    from app.administration.cli import admin_units_cli

    cli.add_typer(admin_units_cli, name="admin-units")


_add_domain_commands()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
