"""``/docs`` (Swagger UI) and ``/redoc`` from local files, never a CDN: an offline intranet
gets working pages. The files come from the ``fastapi-offline`` package (MIT; Swagger UI and
Redoc are Apache-2.0 and MIT), served under ``/docs/static/``; the pages' CSP allows only
this origin, so a forgotten remote URL would fail in the browser rather than leak a request.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

STATIC_DIR = Path(fastapi_offline.__file__).parent / "static"
STATIC_URL = "/docs/static"
_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'",
)


def install_docs(app: FastAPI, *, openapi_url: str) -> None:
    """Add the two pages, the OAuth2 redirect and their static files (not in the schema)."""
    title = f"{app.title} — docs"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )

    @app.get(STATIC_URL + "/{name}", include_in_schema=False)
    async def static_file(name: str) -> FileResponse:
        media_type = _FILES.get(name)
        if media_type is None:
            raise HTTPException(status_code=404)
        return FileResponse(
            STATIC_DIR / name,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )
