"""Write the OpenAPI document: `python -m app.openapi_export openapi/openapi.json`."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any


def generate() -> dict[str, Any]:
    from app.core.config import Settings
    from app.main import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/openapi.db",
            var_dir=Path(tmp),
            media_dir=Path(tmp) / "media",
            docs_enabled=True,
        )
        return create_app(settings).openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "openapi/openapi.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
