"""Messages of privacy requests (app.privacy)."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

PRIVACY: dict[str, Entry] = {
    "privacy.no_reporter_identity": Entry(
        "no_reporter_identity",
        "Tin báo này không lưu thông tin liên hệ của người báo tin (ẩn danh hoặc đã xóa).",
        "No contact data of the reporter is held for this tip (anonymous, or erased).",
    ),
    "privacy.request_open": Entry(
        "privacy_request_open",
        "Đã có một yêu cầu loại này đang được xử lý.",
        "A request of this kind is already being handled.",
    ),
    "privacy.request_not_found": Entry(
        "not_found", "Không tìm thấy yêu cầu.", "Request not found."
    ),
    "privacy.request_closed": Entry(
        "invalid_transition",
        "Yêu cầu đã kết thúc ({status}).",
        "The request is already closed ({status}).",
    ),
    "privacy.no_identity_to_correct": Entry(
        "not_found",
        "Không còn thông tin người báo tin để sửa.",
        "There is no reporter identity left to correct.",
    ),
}
