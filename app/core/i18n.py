"""Vietnamese by default, English with ``Accept-Language: en``."""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    vi = "vi"
    en = "en"


def negotiate(accept_language: str | None) -> Lang:
    """Pick vi or en from an Accept-Language header (q-values honoured, vi wins ties)."""
    if not accept_language:
        return Lang.vi
    best: tuple[float, Lang] = (0.0, Lang.vi)
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-", 1)[0]
        if primary in ("vi", "en") and q > best[0]:
            best = (q, Lang(primary))
    return best[1]


# code -> (Vietnamese title, English title)
TITLES: dict[str, tuple[str, str]] = {
    "validation_error": ("Dữ liệu không hợp lệ", "Invalid request data"),
    "malformed_json": ("JSON không hợp lệ", "Malformed JSON"),
    "not_found": ("Không tìm thấy", "Not found"),
    "forbidden": ("Không có quyền", "Forbidden"),
    "unauthorized": ("Chưa xác thực", "Not authenticated"),
    "invalid_transition": ("Chuyển trạng thái không hợp lệ", "Invalid status transition"),
    "rate_limited": ("Quá nhiều yêu cầu", "Too many requests"),
    "payload_too_large": ("Dữ liệu quá lớn", "Payload too large"),
    "request_timeout": ("Hết thời gian chờ nội dung yêu cầu", "Request timeout"),
    "unsupported_media_type": ("Định dạng không được hỗ trợ", "Unsupported media type"),
    "ambiguous_commune": ("Mã xã không xác định duy nhất", "Ambiguous commune code"),
    "unknown_commune": ("Không có xã/phường này", "Unknown commune"),
    "unknown_category": ("Không có lĩnh vực này", "Unknown category"),
    "location_not_found": ("Vị trí không thuộc xã/phường nào", "Location is not in any commune"),
    "idempotency_conflict": (
        "Khóa Idempotency-Key đã dùng cho yêu cầu khác",
        "Idempotency-Key already used for a different request",
    ),
    "conflict": ("Xung đột dữ liệu", "Conflict"),
    "method_not_allowed": ("Phương thức không được phép", "Method not allowed"),
    "not_acceptable": ("Không thể đáp ứng định dạng yêu cầu", "Not acceptable"),
    "service_unavailable": ("Dịch vụ tạm thời không khả dụng", "Service temporarily unavailable"),
    "internal_error": ("Lỗi hệ thống", "Internal server error"),
    "deadline_limit": ("Vượt giới hạn gia hạn", "Deadline extension limit exceeded"),
    "already_claimed": ("Tin đã có cán bộ nhận xử lý", "Tip already claimed"),
    "tip_closed": ("Tin báo đã kết thúc xử lý", "The tip is closed"),
    "bad_request": ("Yêu cầu không hợp lệ", "Bad request"),
    "no_reporter_identity": (
        "Không lưu thông tin liên hệ của người báo tin",
        "No reporter contact data is held",
    ),
    "privacy_request_open": (
        "Đã có yêu cầu cùng loại đang xử lý",
        "A request of this kind is already open",
    ),
}


def title_for(code: str, lang: Lang) -> str:
    vi, en = TITLES.get(code, (code, code))
    return en if lang is Lang.en else vi
