"""ASGI entry point for uvicorn: `uvicorn app.asgi:app`.

Settings that refuse to start (production without secrets, a weak bootstrap password...) end
the process with one clear line per problem on stderr, not a traceback.
"""

from app.core.config import settings_or_exit
from app.main import create_app

app = create_app(settings_or_exit())
