"""ASGI entry point for uvicorn: `uvicorn app.asgi:app`."""

from app.core.config import settings_or_exit
from app.main import create_app

app = create_app(settings_or_exit())
