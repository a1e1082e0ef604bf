"""The parts of the web client the other browser tests do not reach (issue 18, point by point):
an identified report with the category's description, file sizes, upload progress and the copy
button; the reporter's data-subject requests (a correction carries the corrected fields; a
completed access request shows the data held); every staff action a unit lead has (note,
assign, extend, reveal, merge, transfer, transition with an outcome, the register), the queue's
unread and overdue markers and the inbox badge that follows the API without a reload; the
review page's outcome chart and every kind of period, with labels readable on a phone."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.tips.models import Tip
from tests.web.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, WebServer
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
    sign_in,
    token,
)
from tests.web.test_web_client import fill_report, read_receipt

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# The inbox badge polls every 15 s: a wait for its next refresh, never a measure of time.
POLL = 45_000


def size_text(n: int) -> str:
    """TB.fmtSize: what the page writes beside a file."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def test_identified_report_progress_copy_and_privacy_requests(
    web_server: WebServer, browser: Any, shots: Any, axe_source: str, tmp_path: Path
) -> None:
    base = web_server.url
    marker = uuid.uuid4().hex[:8]
    photo = tmp_path / "bien-so.png"
    photo.write_bytes(png_bytes((90, 90, 20)))
    phone = Watched(browser, base, permissions=["clipboard-read", "clipboard-write"], **PHONE)
    page = phone.page
    page.goto("/")
    page.get_by_label("Loại vụ việc").locator("option[value=drugs]").wait_for(state="attached")
    # The category's description is shown under the choice.
    categories = {c["code"]: c for c in http.get(f"{base}/api/v1/categories").json()}
    page.get_by_label("Loại vụ việc").select_option("theft_fraud")
    assert categories["theft_fraud"]["description"]
    help_text = page.locator("#category-help").inner_text().strip()
    assert help_text == categories["theft_fraud"]["description"].strip()
    fill_report(page, description=f"Kẻ gian trộm xe máy trước chợ lúc rạng sáng {marker}.")
    assert page.locator("#category-help").inner_text().strip() == (
        categories["drugs"]["description"].strip()
    )
    page.get_by_label("Ảnh, video, ghi âm hoặc tài liệu (không bắt buộc)").set_input_files(
        str(photo)
    )
    # Each file: a preview, its name and its size.
    row = page.locator("#file-list li")
    assert row.locator("img.thumb").count() == 1
    assert row.locator(".fsize").inner_text() == size_text(photo.stat().st_size)
    # An identity, kept confidential.
    page.get_by_label("Cho biết danh tính (được giữ bí mật)").check()
    page.locator("#rep-name").fill("Lê Thị Báo")
    page.locator("#rep-phone").fill("0912345678")
    assert_accessible(page, axe_source, "/ identified (phone)")
    shots(page, "01-identified")

    # The upload is held on its way: the progress bar shows while it is under way.
    held: list[Any] = []
    page.route("**/api/v1/tips", lambda route: held.append(route))
    page.get_by_role("button", name="Gửi tin báo").click()
    page.locator("#progress-box").wait_for(state="visible")
    assert page.locator("#upload-progress").is_visible()
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    shots(page, "02-uploading")
    held[0].continue_()
    receipt = read_receipt(page)
    assert page.locator("#progress-box").is_hidden()
    # Copy puts the receipt on the clipboard.
    page.get_by_role("button", name="Sao chép mã").click()
    page.locator("#receipt-copied").get_by_text("Đã sao chép.").wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == receipt
    page.unroute("**/api/v1/tips")

    admin = token(base, "admin", ADMIN_PASSWORD)
    found = http.get(f"{base}/api/v1/tips", params={"q": marker}, headers=bearer(admin))
    (item,) = found.json()["items"]
    record = http.get(f"{base}/api/v1/tips/{item['id']}", headers=bearer(admin)).json()
    assert record["reporter"].get("masked") is True  # identified, and masked to staff
    revealed = http.post(
        f"{base}/api/v1/tips/{item['id']}/reporter/reveal",
        json={"reason": "Kiểm tra phiếu thử"},
        headers=bearer(admin),
    ).json()["reporter"]
    assert revealed["full_name"] == "Lê Thị Báo" and revealed["phone"] == "0912345678"

    # The reporter's data-subject requests on /track: a correction carries the new phone.
    page.goto("/track")
    page.get_by_label("Mã theo dõi (nhập hoặc dán)").fill(receipt)
    page.get_by_role("button", name="Xem tin báo").click()
    page.locator("#tip-view").wait_for(state="visible")
    box = page.locator("#privacy-box")
    box.locator("summary").click()
    page.get_by_label("Loại yêu cầu").select_option("correction")
    page.get_by_label("Số điện thoại").fill("0987654321")
    box.get_by_role("button", name="Gửi").click()
    page.locator("#privacy-status").get_by_text("Đã gửi.").wait_for()
    page.locator("#privacy-list").get_by_text(
        re.compile("Sửa dữ liệu của tôi: đang chờ")
    ).wait_for()
    page.get_by_label("Loại yêu cầu").select_option("access")
    assert page.locator("#privacy-fields").is_hidden()
    box.get_by_role("button", name="Gửi").click()
    page.locator("#privacy-list").get_by_text(
        re.compile("Xem dữ liệu của tôi: đang chờ")
    ).wait_for()
    assert_fits(page, "/track privacy (phone)")
    assert_accessible(page, axe_source, "/track privacy requests")
    asked = http.get(f"{base}/api/v1/track/privacy-requests", headers={"X-Tip-Receipt": receipt})
    assert sorted(r["kind"] for r in asked.json()) == ["access", "correction"]

    # Done by staff: the access request shows the data held, on the reporter's page.
    requests = http.get(
        f"{base}/api/v1/privacy/requests",
        params={"kind": "access", "limit": "200"},
        headers=bearer(admin),
    ).json()["items"]
    access = next(r for r in requests if r["tip_id"] == item["id"])
    done = http.post(
        f"{base}/api/v1/privacy/requests/{access['id']}/complete", headers=bearer(admin)
    )
    assert done.status_code == 200, done.text
    page.get_by_role("button", name="Đóng (xóa mã khỏi trang)").click()
    page.get_by_label("Mã theo dõi (nhập hoặc dán)").fill(receipt)
    page.get_by_role("button", name="Xem tin báo").click()
    if page.locator("#privacy-box[open]").count() == 0:  # still open from before
        page.locator("#privacy-box summary").click()
    page.locator("#privacy-list").get_by_text(re.compile("Dữ liệu đang lưu: Lê Thị Báo")).wait_for()
    shots(page, "03-privacy-requests")
    phone.check_clean()
    phone.close()


def _deliver_notices(server: WebServer) -> None:
    """One pass of the notice worker (the test server runs no scheduler): the inbox fills."""
    done = subprocess.run(
        [sys.executable, "-c", "from app.cli import cli; cli()", "notifications", "deliver"],
        env=server.env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def _action(staff: Any, name: str) -> Any:
    staff.locator("#d-actions summary", has_text=name).click()
    return staff.locator("#d-actions details[open]", has_text=name)


def _badge_says(staff: Any, n: int) -> None:
    """The inbox button's label ends with the unread count ``n`` (its next poll included).
    Not a wait_for_function of a string: Playwright 1.50 (the lower bound) evaluates it with eval,
    which the page's CSP (script-src 'self') refuses."""
    from playwright.sync_api import expect

    label = re.compile(rf": {n} chưa đọc$")
    expect(staff.locator("#inbox-btn")).to_have_attribute("aria-label", label, timeout=POLL)


def _done(staff: Any) -> None:
    staff.locator("#action-status").get_by_text("Đã thực hiện.").wait_for()


def _open(staff: Any, marker: str, reference: str) -> None:
    staff.get_by_label("Tìm (không dấu được)").fill(marker)
    staff.get_by_role("button", name="Lọc").click()
    staff.locator("#queue-status").get_by_text("1 tin báo đang hiển thị.", exact=True).wait_for()
    staff.locator("#queue button.item").click()
    staff.locator("#d-title").get_by_text(reference).wait_for()


def test_unit_lead_uses_every_action_markers_and_live_inbox_badge(
    web_server: WebServer, browser: Any, sync_engine: Engine, shots: Any, axe_source: str
) -> None:
    base = web_server.url
    marker = uuid.uuid4().hex[:8]
    make_staff(base, "truong-cax", "unit_lead", unit_code="CAX-26740")
    officer = make_staff(base, "canbo-giao", "officer", unit_code="CAX-26740")
    h = bearer(token(base, "truong-cax", STAFF_PASSWORD))
    admin = bearer(token(base, "admin", ADMIN_PASSWORD))  # reads what moved out of the unit
    kept = file_tip(
        base,
        "drugs",
        f"Bán ma túy ở quán cà phê đầu hẻm {marker}k.",
        anonymous=False,
        reporter={"full_name": "Phạm Văn Tố", "phone": "0901234567"},
    )
    duplicate = file_tip(base, "drugs", f"Quán cà phê đầu hẻm bán ma túy {marker}d.")
    moved = file_tip(base, "public_disorder", f"Đua xe trái phép mỗi đêm {marker}t.")
    _deliver_notices(web_server)  # tip.new for the unit's leads

    desk = Watched(browser, base, **DESKTOP)
    staff = desk.page
    staff.goto("/staff/")
    sign_in(staff, "truong-cax", STAFF_PASSWORD)
    staff.locator("#queue li").first.wait_for()

    # The inbox badge shows the API's unread count, then follows it without a reload.
    unread = http.get(f"{base}/api/v1/notifications", headers=h).json()["unread"]
    assert unread >= 3
    _badge_says(staff, unread)
    assert staff.locator("#inbox-badge").inner_text() == str(unread)
    assert http.post(f"{base}/api/v1/notifications/read-all", headers=h).status_code < 300
    _badge_says(staff, 0)
    assert staff.locator("#inbox-badge").is_hidden()
    file_tip(base, "drugs", f"Thêm một tin báo cho hộp thư {marker}n.")
    _deliver_notices(web_server)
    _badge_says(staff, 1)
    assert staff.locator("#inbox-badge").inner_text() == "1"

    # Markers: a reporter's unread message, and a tip past its deadline.
    said = http.post(
        f"{base}/api/v1/track/messages",
        json={"body": "Tôi bổ sung: họ bán từ 7 giờ tối."},
        headers={"X-Tip-Receipt": kept["receipt"]},
    )
    assert said.status_code < 300, said.text
    with Session(sync_engine) as session:
        session.execute(
            update(Tip)
            .where(Tip.id == moved["id"])
            .values(due_at=datetime.now(UTC) - timedelta(days=1))
        )
        session.commit()
    staff.get_by_label("Tìm (không dấu được)").fill(marker)
    staff.get_by_role("button", name="Lọc").click()
    staff.locator("#queue-status").get_by_text("4 tin báo đang hiển thị.", exact=True).wait_for()
    item_kept = staff.locator("#queue button.item", has_text=kept["reference"])
    item_kept.locator(".tag.unread").wait_for()
    staff.locator("#queue button.item", has_text=moved["reference"]).locator(
        ".tag.overdue"
    ).wait_for()
    staff.get_by_label("Quá hạn").check()
    staff.get_by_role("button", name="Lọc").click()
    staff.locator("#queue-status").get_by_text("1 tin báo đang hiển thị.", exact=True).wait_for()
    assert moved["reference"] in staff.locator("#queue button.item").inner_text()
    shots(staff, "01-queue-markers")
    staff.get_by_label("Quá hạn").uncheck()

    # Merge the duplicate into the tip kept.
    _open(staff, f"{marker}d", duplicate["reference"])
    form = _action(staff, "Gộp vào tin báo khác")
    form.get_by_label("Mã (id) tin báo giữ lại").fill(kept["id"])
    form.get_by_role("button", name="Thực hiện").click()
    _done(staff)
    merged = http.get(f"{base}/api/v1/tips/{duplicate['id']}", headers=admin).json()
    assert merged["status"] == "merged"

    # Transfer one to the province's investigation agency.
    _open(staff, f"{marker}t", moved["reference"])
    form = _action(staff, "Chuyển đơn vị khác")
    form.get_by_label("Mã đơn vị nhận").fill("CAT-79-CSDT")
    form.get_by_label("Lý do").fill("Có dấu hiệu tổ chức đua xe, chuyển cơ quan điều tra.")
    form.get_by_role("button", name="Thực hiện").click()
    _done(staff)
    record = http.get(f"{base}/api/v1/tips/{moved['id']}", headers=admin).json()
    assert [e["unit_code"] for e in record["register_entries"]][-1] == "CAT-79-CSDT"

    # The kept tip: note, assign, extend, reveal, the register, then a resolved outcome.
    _open(staff, f"{marker}k", kept["reference"])
    form = _action(staff, "Ghi chú nội bộ")
    form.get_by_label("Nội dung").fill(f"Đã phối hợp với tổ dân phố {marker}.")
    form.get_by_role("button", name="Thực hiện").click()
    _done(staff)
    form = _action(staff, "Giao cho cán bộ")
    # A unit lead may not list users (GET /users is for admin and supervisors): the field is
    # a text box for the officer's id, where a supervisor gets a list of the unit's users.
    form.get_by_label("Cán bộ được giao").fill(officer["id"])
    form.get_by_role("button", name="Thực hiện").click()
    _done(staff)
    staff.locator("#d-facts").get_by_text("Nguyễn Văn Canbo-Giao").wait_for()
    until = (datetime.now(LOCAL) + timedelta(days=40)).date()
    form = _action(staff, "Gia hạn")
    form.get_by_label("Đến ngày").fill(until.isoformat())
    form.get_by_label("Lý do").fill("Vụ việc phức tạp, cần xác minh nhiều nơi.")
    form.get_by_role("button", name="Thực hiện").click()
    _done(staff)
    record = http.get(f"{base}/api/v1/tips/{kept['id']}", headers=h).json()
    assert datetime.fromisoformat(record["due_at"]).astimezone(LOCAL).date() == until
    assert record["assignee"]["id"] == officer["id"]
    events = http.get(f"{base}/api/v1/tips/{kept['id']}/events", headers=h).json()
    types = [e["type"] for e in (events["items"] if isinstance(events, dict) else events)]
    assert {"tip.note_added", "tip.assigned", "tip.deadline_extended"} <= set(types)
    assert staff.locator("#d-reporter").inner_text() != "Phạm Văn Tố"
    form = _action(staff, "Xem danh tính người báo tin")
    form.get_by_label("Lý do").fill("Cần liên hệ người báo tin để xác minh.")
    form.get_by_role("button", name="Thực hiện").click()
    staff.locator("#d-reporter").get_by_text(re.compile("Phạm Văn Tố · 0901234567")).wait_for()
    with desk.context.expect_page() as opened:
        staff.get_by_role("button", name="In sổ tiếp nhận của đơn vị").click()
    opened.value.wait_for_load_state()
    assert opened.value.url.startswith("blob:")
    opened.value.close()
    for step in ("verifying", "in_progress"):
        form = _action(staff, "Chuyển trạng thái")
        form.get_by_label("Trạng thái mới").select_option(step)
        form.get_by_role("button", name="Thực hiện").click()
        _done(staff)
    form = _action(staff, "Chuyển trạng thái")
    form.get_by_label("Trạng thái mới").select_option("resolved")
    form.get_by_label("Kết quả (khi kết thúc)").select_option("prosecuted")
    form.get_by_label("Tóm tắt kết quả cho người báo tin").fill("Đã khởi tố vụ án.")
    form.get_by_role("button", name="Thực hiện").click()
    _done(staff)
    record = http.get(f"{base}/api/v1/tips/{kept['id']}", headers=h).json()
    assert (record["status"], record["outcome"]) == ("resolved", "prosecuted")
    assert_accessible(staff, axe_source, "/staff/ record after every action")
    shots(staff, "02-record-after-actions")
    desk.check_clean()
    desk.close()


def _cell(value: Any) -> str:
    """How the SLA table writes a figure (js/dashboard.js renderSla)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.1f}"
    return str(value)


def _label_year(kind: str, day: date) -> int:
    """The Circular 124 evaluation year a day falls in (named by the year it ends)."""
    start = (11, 1) if kind == "eval_residential" else (11, 16)
    return day.year + 1 if (day.month, day.day) >= start else day.year


def test_review_outcome_chart_every_period_and_readable_labels(
    web_server: WebServer, browser: Any, shots: Any
) -> None:
    base = web_server.url
    make_staff(base, "giamsat-ky", "province_supervisor", province_code="79")
    make_staff(base, "truong-ky", "unit_lead", unit_code="CAX-26740")
    supervisor = bearer(token(base, "giamsat-ky", STAFF_PASSWORD))
    lead = bearer(token(base, "truong-ky", STAFF_PASSWORD))
    filed = file_tip(base, "drugs", f"Tin báo cho kỳ đánh giá {uuid.uuid4().hex}.")
    for body in (
        {"to": "verifying"},
        {"to": "in_progress"},
        {"to": "resolved", "outcome": "prosecuted", "outcome_summary": "Đã khởi tố."},
    ):
        answer = http.post(f"{base}/api/v1/tips/{filed['id']}/transitions", json=body, headers=lead)
        assert answer.status_code == 200, answer.text
    day = datetime.fromisoformat(filed["created_at"]).astimezone(LOCAL).date()

    phone = Watched(browser, base, **PHONE)
    page = phone.page
    page.goto("/dashboard/")
    sign_in(page, "giamsat-ky", STAFF_PASSWORD)
    page.locator("#c-outcome .bar-row").first.wait_for()
    # Labels as large on a phone as the stylesheet says (14 px), not shrunk with the drawing.
    heights = page.evaluate(
        "() => Array.from(document.querySelectorAll('#c-category svg text'))"
        ".map(t => t.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 12, heights
    parts = {
        "month": f"{day.month:02d}",
        "quarter": f"Q{(day.month - 1) // 3 + 1}",
        "half": f"H{1 if day.month <= 6 else 2}",
    }
    for kind in ("month", "quarter", "half", "year", "eval_residential", "eval_commune"):
        year = _label_year(kind, day) if kind.startswith("eval") else day.year
        period = f"{kind}:{year}-{parts[kind]}" if kind in parts else f"{kind}:{year}"
        summary = http.get(
            f"{base}/api/v1/stats/summary",
            params={"period": period, "group_by": "outcome", "province_code": "79"},
            headers=supervisor,
        ).json()
        assert summary["total"] >= 1, period
        page.get_by_label("Kỳ", exact=True).select_option(kind)
        page.get_by_label("Năm", exact=True).fill(str(year))
        if kind in parts:
            page.get_by_label("Tháng / quý / nửa năm").select_option(parts[kind])
        else:
            assert page.locator("#p-part-box").is_hidden()
        # What the last period drew is wiped first, so that what is read next is this one's.
        page.evaluate(
            "() => { document.getElementById('c-outcome').replaceChildren();"
            " document.getElementById('dash-status').textContent = ''; }"
        )
        page.get_by_role("button", name="Xem").click()
        page.locator("#dash-status").get_by_text(
            re.compile(rf"^Tổng số tin báo trong kỳ: {summary['total']}$")
        ).wait_for()
        page.locator("#c-outcome .bar-row").first.wait_for()
        drawn = page.evaluate(
            """() => Array.from(document.querySelectorAll('#c-outcome .bar-row'))
                .map(g => [g.dataset.key, Number(g.dataset.count)])"""
        )
        wanted = [[g["key"] or "", g["count"]] for g in summary["groups"]]
        assert sorted(map(tuple, drawn)) == sorted(map(tuple, wanted)), period
        assert dict(map(tuple, drawn)).get("prosecuted", 0) >= 1, period
    # The SLA table holds the figures of /stats/sla for the period shown (the last one).
    sla = http.get(
        f"{base}/api/v1/stats/sla",
        params={"period": period, "province_code": "79"},
        headers=supervisor,
    ).json()
    shown = page.evaluate(
        """() => Array.from(document.querySelectorAll('#sla tbody tr')).map(r =>
            [r.querySelector('th').textContent,
             ...Array.from(r.querySelectorAll('td')).map(td => td.textContent)])"""
    )
    fields = (
        "received",
        "resolved_on_time",
        "resolved_late",
        "open_overdue",
        "median_hours_to_first_response",
    )
    wanted_rows = [
        [u["unit_name"] or u["unit_code"], *(_cell(u[f]) for f in fields)] for u in sla["units"]
    ]
    assert sla["units"] and sorted(shown) == sorted(wanted_rows)
    assert_fits(page, "/dashboard/ Circular 124 year (phone)")
    shots(page, "01-eval-commune-year")
    phone.check_clean()
    phone.close()
