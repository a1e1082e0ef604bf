"""Keyboard only (issue 18, "usable by keyboard"): a citizen files a tip and gets the receipt,
then an officer signs in to /staff/ and claims it, with Tab/Shift+Tab/Enter/Space/arrows and
no click. Each control that takes the focus must be visible and show a focus indicator."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.web.conftest import STAFF_PASSWORD, WebServer
from tests.web.helpers import DESKTOP, PHONE, Watched, bearer, http, make_staff, token

# What the focused element is, and whether it is seen and shows that it has the focus.
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
        || s.boxShadow !== 'none';
    return {id: el.id, tag: el.tagName, type: el.type || '', value: el.value || '',
            name: (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 80),
            visible: r.width > 0 && r.height > 0 && s.visibility !== 'hidden',
            ring: ring, focusVisible: el.matches(':focus-visible')};
}"""


def focused(page: Any) -> dict[str, Any]:
    info = page.evaluate(FOCUSED)
    assert info is not None, "the focus was lost (it is on the page's body)"
    assert info["visible"], f"the focused control is not visible: {info}"
    assert info["ring"], f"no focus indicator on {info}"
    return dict(info)


def tab_to(page: Any, matches: Any, *, back: bool = False, limit: int = 80) -> dict[str, Any]:
    """Press Tab (Shift+Tab if back) until the focused control matches; checks every stop."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        info = focused(page)
        if matches(info):
            return info
    raise AssertionError(f"not reachable by keyboard: {matches}")


def by_id(name: str) -> Any:
    return lambda info: info["id"] == name


def by_name(pattern: str) -> Any:
    return lambda info: re.search(pattern, info["name"]) is not None


def test_citizen_files_and_officer_claims_by_keyboard_only(
    web_server: WebServer, browser: Any
) -> None:
    base = web_server.url
    marker = uuid.uuid4().hex[:8]
    phone = Watched(browser, base, **PHONE)
    page = phone.page
    page.goto("/")
    page.locator("#category option[value=drugs]").wait_for(state="attached")

    tab_to(page, by_id("category"))
    for _ in range(40):  # a closed <select> changes with the arrow keys
        if page.locator("#category").input_value() == "drugs":
            break
        page.keyboard.press("ArrowDown")
    assert page.locator("#category").input_value() == "drugs"
    tab_to(page, by_id("urgent"))
    page.keyboard.press("Space")
    assert page.locator("#urgent").is_checked()
    page.keyboard.press("Space")  # and back: not urgent
    assert not page.locator("#urgent").is_checked()
    # The place: a radio group (arrows), the search field, then its results by Tab.
    tab_to(page, lambda i: i["type"] == "radio" and i["value"] == "search")
    page.keyboard.press("ArrowDown")
    assert focused(page)["value"] == "gps"
    page.keyboard.press("ArrowUp")
    assert focused(page)["value"] == "search"
    tab_to(page, by_id("commune-q"))
    page.keyboard.type("sai gon")
    page.locator("#commune-results button.result").first.wait_for()
    tab_to(page, by_name(r"^Phường Sài Gòn"))
    page.keyboard.press("Enter")
    page.get_by_text("Nơi xảy ra: Phường Sài Gòn").wait_for()
    focused(page)  # the choice moves the focus on; it is not lost
    tab_to(page, by_id("description"))
    page.keyboard.type(f"Nhóm thanh niên tụ tập sử dụng ma túy mỗi tối {marker}.")
    # Shift+Tab goes back to the address field, Tab forward again to the form's end.
    tab_to(page, by_id("address"), back=True)
    page.keyboard.type("Hẻm 12")
    tab_to(page, by_id("submit-btn"))
    page.keyboard.press("Enter")
    page.locator("#receipt-panel").wait_for(state="visible", timeout=30000)
    receipt = page.locator("#receipt-code").inner_text().strip()
    assert re.match(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$", receipt), receipt
    # The focus went to the receipt; Tab from there reaches its buttons.
    assert page.evaluate("() => document.activeElement.id") == "receipt-panel"
    tab_to(page, by_id("receipt-copy"))
    tab_to(page, by_id("receipt-done"))

    # An officer of the receiving unit signs in and claims the tip, by keyboard only.
    make_staff(base, "banphim", "officer", unit_code="CAX-26740")
    desk = Watched(browser, base, **DESKTOP)
    staff = desk.page
    staff.goto("/staff/")
    staff.locator("#username").wait_for()
    tab_to(staff, by_id("username"))
    staff.keyboard.type("banphim")
    tab_to(staff, by_id("password"))
    staff.keyboard.type(STAFF_PASSWORD)
    staff.keyboard.press("Enter")
    staff.locator("#queue li").first.wait_for()
    tab_to(staff, by_id("f-q"))
    staff.keyboard.type(marker)
    staff.keyboard.press("Enter")
    staff.locator("#queue-status").get_by_text("1 tin báo đang hiển thị.", exact=True).wait_for()
    tab_to(staff, lambda i: staff.evaluate("() => document.activeElement.matches('#queue .item')"))
    staff.keyboard.press("Enter")
    staff.locator("#d-title").wait_for(state="visible")
    assert staff.evaluate("() => document.activeElement.id") == "detail"
    tab_to(staff, by_name(r"^Nhận xử lý$"))
    staff.keyboard.press("Enter")
    staff.locator("#d-facts").get_by_text("Nguyễn Văn Banphim").wait_for()
    focused(staff)  # after the record is drawn again the focus is still on the page

    officer = token(base, "banphim", STAFF_PASSWORD)
    found = http.get(f"{base}/api/v1/tips", params={"q": marker}, headers=bearer(officer))
    assert found.json()["items"][0]["assignee_id"] is not None
    for watched in (phone, desk):
        watched.check_clean()
        watched.close()
