"""What the browser tests share: API calls as staff, pages that watch themselves."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
from PIL import Image

from tests.web.conftest import ADMIN_PASSWORD, INITIAL_PASSWORD, STAFF_PASSWORD

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# The tests' own API calls: httpx's default 5 s read timeout is too short for an upload that
# the server re-encodes on a loaded machine (a hang guard only, never a measure of speed).
http = httpx.Client(timeout=httpx.Timeout(120.0))
SERIOUS = ("serious", "critical")


def token(base_url: str, username: str, password: str) -> str:
    r = http.post(
        f"{base_url}/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def make_staff(base_url: str, username: str, role: str, **scope: str) -> dict[str, Any]:
    """A user created by the bootstrap admin through the API, who then replaces the password
    the admin set (required before their token may act) with STAFF_PASSWORD."""
    admin = token(base_url, "admin", ADMIN_PASSWORD)
    body = {
        "username": username,
        "password": INITIAL_PASSWORD,
        "full_name": f"Nguyễn Văn {username.title()}",
        "role": role,
        **scope,
    }
    r = http.post(f"{base_url}/api/v1/users", json=body, headers=bearer(admin))
    assert r.status_code == 201, r.text
    first = token(base_url, username, INITIAL_PASSWORD)
    changed = http.post(
        f"{base_url}/api/v1/auth/password",
        json={"current_password": INITIAL_PASSWORD, "new_password": STAFF_PASSWORD},
        headers=bearer(first),
    )
    assert changed.status_code == 200, changed.text
    return dict(r.json())


def png_bytes(color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(buffer, format="PNG")
    return buffer.getvalue()


class Watched:
    """A browser page in its own context that records every request to another origin and
    every Content-Security-Policy report in the console."""

    def __init__(self, browser: Any, base_url: str, **context: Any) -> None:
        self.base_url = base_url
        self.context = browser.new_context(base_url=base_url, locale="vi-VN", **context)
        self.page = self.context.new_page()
        self.foreign: list[str] = []
        self.csp: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", self._request)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _request(self, request: Any) -> None:
        url = request.url
        if not (url.startswith(self.base_url) or url.startswith(("blob:", "data:"))):
            self.foreign.append(url)

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.csp.append(text)

    def check_clean(self) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.csp == [], f"CSP violations: {self.csp}"
        assert self.errors == [], f"script errors: {self.errors}"

    def close(self) -> None:
        self.context.close()


def assert_accessible(page: Any, axe_source: str, where: str) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    bad = [v for v in result if v["impact"] in SERIOUS]
    assert bad == [], f"axe on {where}: {bad}"


def assert_fits(page: Any, where: str) -> None:
    """Nothing is wider than the viewport: the page never scrolls sideways."""
    widths = page.evaluate(
        """() => ({scroll: document.documentElement.scrollWidth,
                   client: document.documentElement.clientWidth,
                   wide: Array.from(document.querySelectorAll('body *'))
                     .filter(n => n.getClientRects().length
                       && n.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                       && !n.closest('.scroll'))
                     .slice(0, 5).map(n => n.tagName + (n.id ? '#' + n.id : ''))})"""
    )
    assert widths["scroll"] <= widths["client"], f"{where} overflows sideways: {widths}"
    assert widths["wide"] == [], f"{where}: wider than the viewport: {widths}"


def file_tip(base_url: str, category: str, description: str, **extra: Any) -> dict[str, Any]:
    """A citizen's tip through the public API (in Phường Sài Gòn): the answer, receipt and all."""
    body = {
        "category_code": category,
        "description": description,
        "location": {"commune_code": "26740", "lat": 10.7769, "lon": 106.7009},
        **extra,
    }
    r = http.post(
        f"{base_url}/api/v1/tips", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def sign_in(page: Any, username: str, password: str) -> None:
    """The shared sign-in form of /staff/ and /dashboard/."""
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
