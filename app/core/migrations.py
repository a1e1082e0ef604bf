"""Where the Alembic migrations live (inside the package, so an installed wheel can migrate)
and the one way the app, the CLI and the tests build their Alembic configuration."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """A configuration that needs no alembic.ini. With ``connection``, the migrations run on
    it (inside the caller's transaction); without, env.py connects to TINBAO_DATABASE_URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["configure_logger"] = False
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def migration_head() -> str | None:
    """The head revision of the shipped migrations (read once per process: they do not
    change while it runs)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
