"""The reference web client's pages and static files.

Four pages — citizens' report (`/`), follow-up (`/track`), police (`/staff/`) and review
(`/dashboard/`) — are plain HTML with vendored-free JavaScript under `/static/`; everything they
show comes from `/api/v1`. No page loads anything from another host, runs inline script or
carries inline styles: the pages are served with a strict Content-Security-Policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"

PAGE_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "Cache-Control": "no-cache",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
}

PAGES = {
    "/": "index.html",
    "/track": "track.html",
    "/staff/": "staff.html",
    "/dashboard/": "dashboard.html",
}

router = APIRouter(include_in_schema=False)


def _page(filename: str) -> FileResponse:
    return FileResponse(STATIC_DIR / filename, media_type="text/html", headers=PAGE_HEADERS)


def _add_page(path: str, filename: str) -> None:
    async def page() -> FileResponse:
        return _page(filename)

    router.add_api_route(path, page, methods=["GET"], name=f"web_{filename.split('.')[0]}")


for _path, _filename in PAGES.items():
    _add_page(_path, _filename)


@router.get("/sw.js")
async def service_worker() -> FileResponse:
    """The citizens' pages' service worker (at the root, so that its scope covers them)."""
    return FileResponse(
        STATIC_DIR / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_CSP},
    )


@router.get("/staff")
async def staff_redirect() -> RedirectResponse:
    return RedirectResponse("/staff/", status_code=308)


@router.get("/dashboard")
async def dashboard_redirect() -> RedirectResponse:
    return RedirectResponse("/dashboard/", status_code=308)


class _Static(StaticFiles):
    """Static files that revalidate (the client is small; a deploy must show at once)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount(app: FastAPI) -> None:
    """Serve the web client from ``app`` (pages and ``/static``)."""
    app.include_router(router)
    app.mount("/static", _Static(directory=STATIC_DIR), name="static")
