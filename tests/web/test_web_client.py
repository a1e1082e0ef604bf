"""The web client in a real Chromium: a citizen reports on a phone (with a photo; then offline),
follows up; an officer triages and writes back; a supervisor's dashboard matches the API.
Every page is checked with axe-core, for requests to other hosts and for CSP violations."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.web.conftest import ADMIN_PASSWORD, ARTIFACTS, STAFF_PASSWORD, WebServer
from tests.web.helpers import (
    DESKTOP,
    PHONE,
    Watched,
    assert_accessible,
    assert_fits,
    bearer,
    file_tip,
    http,
    make_staff,
    png_bytes,
    token,
)

RECEIPT = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$")
# README's screenshots are rewritten only on request (TINBAO_UPDATE_SCREENSHOTS=1), so that a
# test run leaves the working tree clean; otherwise they go with the other artefacts.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("TINBAO_UPDATE_SCREENSHOTS")
    else ARTIFACTS / "docs"
)
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def tips_with(engine: Engine, marker: str) -> int:
    with engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM tips WHERE description LIKE :m"), {"m": f"%{marker}%"}
        ).scalar_one()
    return int(count)


def fill_report(page: Any, *, description: str, place: str = "sai gon") -> None:
    page.get_by_label("Loại vụ việc").select_option("drugs")
    page.get_by_label("Tên xã/phường (gõ không dấu cũng được)").fill(place)
    page.get_by_role("button", name=re.compile(r"^Phường Sài Gòn")).first.click()
    page.get_by_text("Nơi xảy ra: Phường Sài Gòn").wait_for()
    page.get_by_label("Điều bạn thấy hoặc biết").fill(description)


def read_receipt(page: Any) -> str:
    panel = page.locator("#receipt-panel")
    panel.wait_for(state="visible", timeout=30000)
    receipt = str(page.locator("#receipt-code").inner_text()).strip()
    assert RECEIPT.match(receipt), receipt
    return receipt


def test_citizen_officer_reporter_round_trip(
    web_server: WebServer,
    browser: Any,
    sync_engine: Engine,
    shots: Any,
    axe_source: str,
    tmp_path: Path,
) -> None:
    base = web_server.url
    marker = uuid.uuid4().hex[:8]
    photo = tmp_path / "hien-truong.png"
    photo.write_bytes(png_bytes())

    # 1. A citizen on a 360 px phone files a tip with a photo and gets a receipt.
    phone = Watched(browser, base, **PHONE)
    page = phone.page
    page.goto("/")
    page.get_by_label("Loại vụ việc").locator("option[value=drugs]").wait_for(state="attached")
    assert_accessible(page, axe_source, "/ (phone)")
    shots(page, "01-report-empty")
    fill_report(page, description=f"Nhóm thanh niên tụ tập sử dụng ma túy mỗi tối {marker}a.")
    page.get_by_label("Ảnh, video, ghi âm hoặc tài liệu (không bắt buộc)").set_input_files(
        str(photo)
    )
    assert page.locator("#file-list img.thumb").count() == 1
    page.locator("#file-list").get_by_text("hien-truong.png").wait_for()
    shots(page, "02-report-filled")
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "citizen-report.png"))
    page.get_by_role("button", name="Gửi tin báo").click()
    first_receipt = read_receipt(page)
    assert page.get_by_role("button", name="Sao chép mã").is_visible()
    assert page.get_by_role("button", name="In mã").is_visible()
    assert "không thể lấy lại" in page.locator("#receipt-panel .warning").inner_text()
    assert_accessible(page, axe_source, "receipt")
    shots(page, "03-receipt")
    page.locator("#receipt-panel").screenshot(path=str(SCREENSHOTS / "citizen-receipt.png"))
    assert tips_with(sync_engine, f"{marker}a") == 1
    page.get_by_role("button", name=re.compile("Tôi đã lưu mã")).click()
    assert page.locator("#receipt-code").inner_text() == ""

    # 2. Offline: the report is kept on the device, then sent exactly once when back online.
    fill_report(page, description=f"Có người lạ theo dõi nhà tôi nhiều đêm liền {marker}b.")
    phone.context.set_offline(True)
    page.get_by_role("button", name="Gửi tin báo").click()
    page.get_by_text("Chưa có mạng: tin báo đã được lưu trên thiết bị này").wait_for()
    shots(page, "04-offline-saved")
    assert page.evaluate("() => TBOutbox.list().then(l => l.length)") == 1
    assert tips_with(sync_engine, f"{marker}b") == 0
    phone.context.set_offline(False)
    second_receipt = read_receipt(page)
    assert second_receipt != first_receipt
    assert page.evaluate("() => TBOutbox.list().then(l => l.length)") == 0
    page.reload()
    page.get_by_label("Loại vụ việc").locator("option[value=drugs]").wait_for(state="attached")
    assert tips_with(sync_engine, f"{marker}b") == 1
    shots(page, "05-offline-sent")
    # Seen once, the page opens again without a network (its service worker keeps it),
    # with the categories it last saw.
    assert page.evaluate("() => navigator.serviceWorker.ready.then(r => Boolean(r.active))")
    phone.context.set_offline(True)
    page.reload()
    page.get_by_label("Loại vụ việc").locator("option[value=drugs]").wait_for(state="attached")
    shots(page, "05b-offline-reopened")
    phone.context.set_offline(False)

    # 3. The reporter follows the first tip: the receipt is typed, never in a URL.
    page.goto("/track")
    page.get_by_label("Mã theo dõi (nhập hoặc dán)").fill(first_receipt)
    page.get_by_role("button", name="Xem tin báo").click()
    page.locator("#tip-view").wait_for(state="visible")
    reference = page.locator("#tip-heading").inner_text().split()[-1]
    assert page.locator("#t-status").inner_text() == "Đã tiếp nhận"
    assert first_receipt not in page.url
    assert page.evaluate("() => localStorage.getItem('tinbao.receipt')") is None
    assert_accessible(page, axe_source, "/track")
    shots(page, "06-track")
    # Only when "remember on this device" is ticked is the receipt stored, and it can be forgotten.
    page.get_by_label("Mã theo dõi (nhập hoặc dán)").fill(first_receipt)
    page.get_by_label(re.compile("Ghi nhớ mã trên thiết bị này")).check()
    page.get_by_role("button", name="Xem tin báo").click()
    page.get_by_role("button", name="Quên mã trên thiết bị này").wait_for()
    assert page.evaluate("() => localStorage.getItem('tinbao.receipt')") == first_receipt
    page.reload()
    page.locator("#tip-heading").get_by_text(reference).wait_for()  # opened by itself
    page.get_by_role("button", name="Quên mã trên thiết bị này").click()
    assert page.evaluate("() => localStorage.getItem('tinbao.receipt')") is None

    # 4. An officer of the receiving unit logs in, finds the tip, claims it, writes back.
    make_staff(base, "canbo1", "officer", unit_code="CAX-26740")
    desk = Watched(browser, base, **DESKTOP)
    staff = desk.page
    staff.goto("/staff/")
    assert_accessible(staff, axe_source, "/staff/ sign-in")
    staff.get_by_label("Tên đăng nhập").fill("canbo1")
    staff.get_by_label("Mật khẩu", exact=True).fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="Đăng nhập").click()
    staff.locator("#queue li").first.wait_for()
    staff.get_by_label("Tìm (không dấu được)").fill(f"{marker}a")
    staff.get_by_role("button", name="Lọc").click()
    staff.locator("#queue-status").get_by_text("1 tin báo đang hiển thị.", exact=True).wait_for()
    item = staff.locator("#queue button.item")
    assert item.count() == 1 and reference in item.inner_text()
    item.click()
    staff.locator("#d-title").get_by_text(reference).wait_for()
    staff.get_by_role("button", name="Nhận xử lý").click()
    staff.locator("#d-facts").get_by_text("Nguyễn Văn Canbo1").wait_for()
    reply = f"Cảm ơn bạn, chúng tôi đang xác minh {marker}."
    staff.get_by_label("Viết cho người báo tin").fill(reply)
    staff.locator("#reply-form").get_by_role("button", name="Gửi").click()
    staff.locator("#d-messages").get_by_text(f"đang xác minh {marker}").wait_for()
    assert "token" not in staff.url and "access_token" not in staff.url
    assert staff.evaluate("() => sessionStorage.getItem('tinbao.token')") is not None
    assert staff.evaluate("() => localStorage.getItem('tinbao.token')") is None
    # A transition the workflow allows: the record and, later, the reporter's status follow.
    staff.locator("#d-actions summary", has_text="Chuyển trạng thái").click()
    staff.get_by_label("Trạng thái mới").select_option("verifying")
    staff.locator("#act-act-transition").get_by_role("button", name="Thực hiện").click()
    staff.locator("#d-facts").get_by_text("Đang xác minh").wait_for()
    # The inbox: its badge shows the API's unread count, or says the server has no inbox.
    officer = token(base, "canbo1", STAFF_PASSWORD)
    inbox = http.get(f"{base}/api/v1/notifications", headers=bearer(officer))
    label = staff.locator("#inbox-btn")
    if inbox.status_code in (404, 405):
        staff.locator("#inbox-btn[aria-label*='chưa có']").wait_for()
        assert staff.locator("#inbox-badge").is_hidden()
    else:
        assert inbox.status_code == 200, inbox.text
        unread = inbox.json()["unread"]
        staff.locator(f"#inbox-btn[aria-label*='{unread} chưa đọc']").wait_for()
    assert label.is_visible()
    assert_accessible(staff, axe_source, "/staff/ record")
    shots(staff, "07-staff-record")
    staff.evaluate("() => window.scrollTo(0, 0)")
    staff.screenshot(path=str(SCREENSHOTS / "staff.png"))

    # 5. The reporter sees the message.
    page.get_by_role("button", name="Đóng (xóa mã khỏi trang)").click()
    page.get_by_label("Mã theo dõi (nhập hoặc dán)").fill(first_receipt.lower())
    page.get_by_role("button", name="Xem tin báo").click()
    page.locator("#t-messages").get_by_text(f"đang xác minh {marker}").wait_for()
    assert page.locator("#t-status").inner_text() == "Đang xử lý"
    # No outcome, no complaint deadline: the complaint is not offered (test_web_workflow
    # files one after a not_prosecuted outcome).
    tracked = http.get(f"{base}/api/v1/track", headers={"X-Tip-Receipt": first_receipt})
    assert not tracked.json().get("complaint_deadline")
    assert page.locator("#complaint-box").is_hidden()
    # ...and answers with a photo, which the officer sees and downloads.
    page.get_by_label("Bổ sung thông tin").fill(
        f"Tối nay họ lại tụ tập, tôi gửi thêm ảnh {marker}."
    )
    page.get_by_label("Đính kèm tệp (không bắt buộc)").set_input_files(str(photo))
    page.locator("#message-form").get_by_role("button", name="Gửi").click()
    page.locator("#message-status").get_by_text("Đã gửi.").wait_for()
    page.locator("#t-messages").get_by_text(f"gửi thêm ảnh {marker}").wait_for()
    page.locator("#t-messages").get_by_role("button", name=re.compile("hien-truong.png")).wait_for()
    shots(page, "08-track-message")
    page.screenshot(path=str(SCREENSHOTS / "citizen-track.png"), full_page=True)
    staff.locator("#queue button.item").click()
    staff.locator("#d-messages").get_by_text(f"gửi thêm ảnh {marker}").wait_for()
    with staff.expect_download() as download:
        staff.locator("#d-messages").get_by_role("button", name="hien-truong.png").click()
    assert download.value.suggested_filename == "hien-truong.png"
    assert Path(download.value.path()).read_bytes()[:4] == b"\x89PNG"

    # The API agrees: one claimed tip, the message to the reporter.
    found = http.get(f"{base}/api/v1/tips", params={"q": f"{marker}a"}, headers=bearer(officer))
    assert [t["reference"] for t in found.json()["items"]] == [reference]
    assert found.json()["items"][0]["assignee_id"] is not None
    for watched in (phone, desk):
        watched.check_clean()
        watched.close()


def test_lost_answer_is_retried_and_created_once(
    web_server: WebServer, browser: Any, sync_engine: Engine, shots: Any
) -> None:
    """The server creates the tip but the answer is lost on the way: the device sends the
    report again with the same Idempotency-Key and gets the same receipt; one tip exists."""
    marker = uuid.uuid4().hex[:8]
    phone = Watched(
        browser,
        web_server.url,
        geolocation={"latitude": 10.7769, "longitude": 106.7009},
        permissions=["geolocation"],
        **PHONE,
    )
    page = phone.page
    calls: list[int] = []

    def lose_first_answer(route: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            answer = route.fetch()  # the server handles it...
            assert answer.status == 201
            route.abort("connectionreset")  # ...and the device never hears back
        else:
            route.continue_()

    page.route("**/api/v1/tips", lose_first_answer)
    page.goto("/")
    page.get_by_label("Loại vụ việc").locator("option[value=drugs]").wait_for(state="attached")
    page.get_by_label("Loại vụ việc").select_option("traffic_safety")
    page.get_by_label("Dùng vị trí của điện thoại").check()
    page.get_by_role("button", name="Lấy vị trí hiện tại").click()
    page.get_by_text("Nơi xảy ra: Phường Sài Gòn").wait_for()
    page.get_by_label("Điều bạn thấy hoặc biết").fill(f"Xe máy không biển số lạng lách {marker}.")
    page.get_by_role("button", name="Gửi tin báo").click()
    page.locator("#outbox-status").get_by_text("lưu trên thiết bị").wait_for()
    assert tips_with(sync_engine, marker) == 1  # created, though the device does not know
    assert page.locator("#receipt-panel").is_hidden()
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # retry now
    receipt = read_receipt(page)
    shots(page, "receipt-after-retry")
    assert len(calls) == 2
    assert tips_with(sync_engine, marker) == 1
    assert page.evaluate("() => TBOutbox.list().then(l => l.length)") == 0
    tracked = http.get(f"{web_server.url}/api/v1/track", headers={"X-Tip-Receipt": receipt})
    assert tracked.status_code == 200
    phone.check_clean()
    phone.close()


def test_unknown_place_goes_to_the_province_duty_desk(
    web_server: WebServer, browser: Any, shots: Any, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex[:8]
    photo = tmp_path / "anh.png"
    photo.write_bytes(png_bytes((20, 90, 160)))
    phone = Watched(browser, web_server.url, **PHONE)
    page = phone.page
    page.goto("/")
    page.get_by_label("Loại vụ việc").locator("option[value=drugs]").wait_for(state="attached")
    page.get_by_label("Loại vụ việc").select_option("online_fraud")
    page.get_by_label("Tôi không nhớ rõ nơi xảy ra").check()
    page.get_by_label("Tỉnh/thành phố").select_option("79")
    page.get_by_label("Điều bạn thấy hoặc biết").fill(f"Lừa đảo {marker}")
    page.get_by_role("button", name="Gửi tin báo").click()
    # Too short for an unknown place, and no file yet: the page says so before sending.
    page.locator("#form-errors").get_by_text("cần từ 50 đến 5000 ký tự").wait_for()
    page.locator("#form-errors").get_by_text("cần ít nhất một tệp").wait_for()
    shots(page, "01-unknown-place-errors")
    page.get_by_label("Điều bạn thấy hoặc biết").fill(
        f"Tôi bị lừa chuyển khoản qua mạng, không rõ kẻ gian ở đâu trong thành phố {marker}."
    )
    page.get_by_label("Ảnh, video, ghi âm hoặc tài liệu (không bắt buộc)").set_input_files(
        str(photo)
    )
    # A notice contact: kept by a server that sends notices, else dropped with a word.
    page.locator("summary", has_text="Nhận thông báo về tin báo này").click()
    page.locator("#notify-email").fill("nguoibao@example.vn")
    page.get_by_role("button", name="Gửi tin báo").click()
    read_receipt(page)
    assert page.locator("#receipt-unit").inner_text() != ""
    admin = token(web_server.url, "admin", ADMIN_PASSWORD)
    found = http.get(
        f"{web_server.url}/api/v1/tips", params={"q": marker}, headers=bearer(admin)
    ).json()["items"]
    assert [t["assigned_unit"]["code"] for t in found] == ["CAT-79"]
    phone.check_clean()
    phone.close()


def _file_tip(base: str, category: str) -> None:
    body = {
        "category_code": category,
        "description": f"Tin báo thử nghiệm cho trang tổng hợp {uuid.uuid4().hex}.",
        "location": {"commune_code": "26740", "lat": 10.7769, "lon": 106.7009},
    }
    r = http.post(f"{base}/api/v1/tips", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text


def test_supervisor_dashboard_matches_stats_summary(
    web_server: WebServer, browser: Any, shots: Any, axe_source: str
) -> None:
    base = web_server.url
    make_staff(base, "giamsat1", "province_supervisor", province_code="79")
    supervisor = token(base, "giamsat1", STAFF_PASSWORD)

    def summary(period: str, group: str) -> dict[str, Any]:
        answer = http.get(
            f"{base}/api/v1/stats/summary",
            params={"period": period, "group_by": group, "province_code": "79"},
            headers=bearer(supervisor),
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    categories = ("drugs", "drugs", "theft_fraud", "drugs", "theft_fraud", "public_disorder")
    for category in categories:
        _file_tip(base, category)
    desk = Watched(browser, base, **DESKTOP)
    page = desk.page
    page.goto("/dashboard/")
    page.get_by_label("Tên đăng nhập").fill("giamsat1")
    page.get_by_label("Mật khẩu", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("#c-category .bar-row").first.wait_for()
    page.locator("#map svg path.commune").first.wait_for()
    page.locator("#map svg circle.spot").first.wait_for()
    period = page.evaluate(
        "() => `month:${document.getElementById('p-year').value}-"
        "${document.getElementById('p-part').value}`"
    )
    for group in ("category", "month", "unit"):
        expected = summary(period, group)
        drawn = page.evaluate(
            f"""() => Array.from(document.querySelectorAll('#c-{group} .bar-row'))
                .map(g => [g.dataset.key, Number(g.dataset.count)])"""
        )
        wanted = [[g["key"] or "", g["count"]] for g in expected["groups"]]
        assert sorted(map(tuple, drawn)) == sorted(map(tuple, wanted)), group
        assert sum(count for _, count in drawn) == expected["total"] >= len(categories)
    by_category = {g["key"]: g["count"] for g in summary(period, "category")["groups"]}
    assert by_category["drugs"] >= 3 and by_category["public_disorder"] >= 1
    assert page.locator("#sla table tbody tr").count() >= 1
    assert page.locator("#map svg path.commune").count() == 168
    hotspots = http.get(
        f"{base}/api/v1/stats/hotspots",
        params={"period": period, "province_code": "79"},
        headers=bearer(supervisor),
    ).json()
    circles = page.evaluate(
        "() => Array.from(document.querySelectorAll('#map circle.spot'))"
        ".map(c => Number(c.dataset.count))"
    )
    assert sorted(circles) == sorted(c["count"] for c in hotspots["cells"])
    assert max(circles) >= len(categories)
    assert_accessible(page, axe_source, "/dashboard/")
    shots(page, "01-dashboard")
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    desk.check_clean()
    desk.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_page_accessible_strict_csp_english(
    web_server: WebServer, browser: Any, shots: Any, axe_source: str, size: str
) -> None:
    base = web_server.url
    watched = Watched(browser, base, **(PHONE if size == "phone" else DESKTOP))
    page = watched.page
    for path in ("/", "/track", "/staff/", "/dashboard/"):
        response = page.goto(path)
        assert response is not None and response.status == 200
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        page.locator("#lang-switch").wait_for()
        assert_accessible(page, axe_source, f"{path} ({size}, vi)")
        assert_fits(page, f"{path} ({size}, vi)")
        page.locator("#lang-switch").click()
        assert page.evaluate("() => document.documentElement.lang") == "en"
        page.get_by_role("link", name=re.compile("Report|Police")).first.wait_for()
        assert_accessible(page, axe_source, f"{path} ({size}, en)")
        assert_fits(page, f"{path} ({size}, en)")
        shots(page, f"{path.strip('/') or 'report'}-en")
        page.locator("#lang-switch").click()
        assert page.evaluate("() => document.documentElement.lang") == "vi"

    # Keyboard: the first Tab reaches the skip link, which leads to the main content.
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"

    # A tip followed up at this size: the record, the conversation and the requests fit.
    marker = uuid.uuid4().hex[:8]
    filed = file_tip(base, "drugs", f"Có người bán ma túy trước cổng trường {marker}.")
    page.goto("/track")
    page.get_by_label("Mã theo dõi (nhập hoặc dán)").fill(filed["receipt"])
    page.get_by_role("button", name="Xem tin báo").click()
    page.locator("#tip-heading").get_by_text(filed["reference"]).wait_for()
    for summary in page.locator("#tip-view details:visible summary").all():
        summary.click()
    assert_fits(page, f"/track tip ({size})")
    shots(page, "track-tip")

    # Signed in (a supervisor: the province's queue and its review) at this size.
    make_staff(base, f"gs-{size}", "province_supervisor", province_code="79")
    page.goto("/staff/")
    page.get_by_label("Tên đăng nhập").fill(f"gs-{size}")
    page.get_by_label("Mật khẩu", exact=True).fill(STAFF_PASSWORD)
    page.get_by_label("Mật khẩu", exact=True).press("Enter")
    page.locator("#queue-status").get_by_text(re.compile("tin báo")).wait_for()
    assert_accessible(page, axe_source, f"/staff/ queue ({size})")
    assert_fits(page, f"/staff/ queue ({size})")
    shots(page, "staff-queue")
    page.get_by_label("Tìm (không dấu được)").fill(marker)
    page.get_by_role("button", name="Lọc").click()
    page.locator("#queue-status").get_by_text("1 tin báo đang hiển thị.", exact=True).wait_for()
    page.locator("#queue button.item").click()
    page.locator("#d-title").get_by_text(filed["reference"]).wait_for()
    page.locator("#d-actions details").first.wait_for()
    for summary in page.locator("#d-actions details summary").all():
        summary.click()
    assert_accessible(page, axe_source, f"/staff/ record ({size})")
    assert_fits(page, f"/staff/ record ({size})")
    shots(page, "staff-record")
    page.goto("/dashboard/")  # the session carries over within the tab
    page.locator("#sla").get_by_text(re.compile(".")).first.wait_for()
    page.locator("#map svg, #map p").first.wait_for()
    assert_accessible(page, axe_source, f"/dashboard/ ({size})")
    assert_fits(page, f"/dashboard/ ({size})")
    shots(page, "dashboard")
    page.locator("#lang-switch").click()
    page.get_by_role("heading", name="Review of tips").wait_for()
    assert_fits(page, f"/dashboard/ ({size}, en)")
    page.locator("#lang-switch").click()
    watched.check_clean()
    watched.close()


def test_queue_cursor_paging(web_server: WebServer, browser: Any, shots: Any) -> None:
    base = web_server.url
    make_staff(base, "giamsat-paging", "province_supervisor", province_code="79")
    supervisor = token(base, "giamsat-paging", STAFF_PASSWORD)
    for _ in range(30):
        _file_tip(base, "public_disorder")
    total = 0
    cursor = None
    while True:
        params = {"category_code": "public_disorder", "limit": "200"}
        if cursor:
            params["cursor"] = cursor
        page_ = http.get(f"{base}/api/v1/tips", params=params, headers=bearer(supervisor)).json()
        total += len(page_["items"])
        cursor = page_["next_cursor"]
        if not cursor:
            break
    assert total >= 30
    desk = Watched(browser, base, **DESKTOP)
    page = desk.page
    page.goto("/staff/")
    page.get_by_label("Tên đăng nhập").fill("giamsat-paging")
    page.get_by_label("Mật khẩu", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("#queue li").first.wait_for()
    page.get_by_label("Loại").select_option("public_disorder")
    page.get_by_label("Sắp xếp").select_option("due_at")
    page.get_by_role("button", name="Lọc").click()
    page.locator("#queue-status").get_by_text("25 tin báo đang hiển thị.", exact=True).wait_for()
    seen = 25
    while seen < total:
        page.get_by_role("button", name="Xem thêm").click()
        seen = min(total, seen + 25)
        page.locator("#queue-status").get_by_text(
            f"{seen} tin báo đang hiển thị.", exact=True
        ).wait_for()
    assert page.get_by_role("button", name="Xem thêm").is_hidden()
    references = page.evaluate(
        "() => Array.from(document.querySelectorAll('#queue button.item'))"
        ".map(b => b.dataset.reference)"
    )
    assert len(references) == len(set(references)) == total
    shots(page, "queue-paged")
    desk.check_clean()
    desk.close()
