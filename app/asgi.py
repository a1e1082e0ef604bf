"""ASGI entry point for uvicorn: `uvicorn app.asgi:app`.

Settings that refuse to start (production without secrets, a weak bootstrap password...) end
the process with one clear line per problem on stderr, not a traceback.
"""

import sys

from pydantic import ValidationError

from app.main import create_app

try:
    app = create_app()
except ValidationError as exc:
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        print(f"TinBáo refuses to start: {message}", file=sys.stderr)
    raise SystemExit(1) from None
