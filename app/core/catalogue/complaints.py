"""Messages of complaints against a decision not to prosecute and of protection requests
(app.complaints)."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

COMPLAINTS: dict[str, Entry] = {
    "complaints.not_open": Entry(
        "complaint_not_open",
        "Chỉ có thể khiếu nại sau khi có quyết định không khởi tố vụ án.",
        "A complaint can be filed only after a decision not to prosecute.",
    ),
    # ``deadline`` is a date: written dd/mm/yyyy in Vietnamese, ISO 8601 in English.
    "complaints.window_closed": Entry(
        "complaint_window_closed",
        "Đã hết thời hạn khiếu nại (ngày cuối: {deadline:%d/%m/%Y}).",
        "The complaint period has ended (last day: {deadline:%Y-%m-%d}).",
    ),
    "complaints.already_filed": Entry(
        "complaint_already_filed",
        "Khiếu nại về quyết định này đã được tiếp nhận; bổ sung bằng tin nhắn.",
        "A complaint about this decision was already received; add to it with a message.",
    ),
    # Protection requests.
    "protection.not_found": Entry(
        "not_found", "Không tìm thấy yêu cầu bảo vệ.", "Protection request not found."
    ),
    "protection.transition": Entry(
        "invalid_transition",
        "Không thể chuyển yêu cầu từ '{status}' sang '{target}'.",
        "A request cannot go from '{status}' to '{target}'.",
    ),
}
