"""Problem titles, keyed by the problem's ``code``."""

from __future__ import annotations

# problem code -> (Vietnamese title, English title)
TITLES: dict[str, tuple[str, str]] = {
    "validation_error": ("Dữ liệu không hợp lệ", "Invalid request data"),
    "malformed_json": ("JSON không hợp lệ", "Malformed JSON"),
    "invalid_cursor": ("Con trỏ phân trang không hợp lệ", "Invalid pagination cursor"),
    "invalid_encoding": ("Nội dung không phải UTF-8", "The body is not UTF-8"),
    "not_found": ("Không tìm thấy", "Not found"),
    "forbidden": ("Không có quyền", "Forbidden"),
    "unauthorized": ("Chưa xác thực", "Not authenticated"),
    "invalid_transition": ("Chuyển trạng thái không hợp lệ", "Invalid status transition"),
    "rate_limited": ("Quá nhiều yêu cầu", "Too many requests"),
    "request_timeout": ("Hết thời gian chờ nội dung yêu cầu", "Request timeout"),
    "payload_too_large": ("Dữ liệu quá lớn", "Payload too large"),
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
    "service_busy": ("Hệ thống đang quá tải", "Service busy"),
    "internal_error": ("Lỗi hệ thống", "Internal server error"),
    "deadline_limit": ("Vượt giới hạn gia hạn", "Deadline extension limit exceeded"),
    "already_claimed": ("Tin đã có cán bộ nhận xử lý", "Tip already claimed"),
    "notice": ("Thông báo", "Notice"),
    "transfer_not_allowed": ("Không được chuyển đến đơn vị này", "Transfer not allowed"),
    "nothing_to_correct": ("Không có gì thay đổi", "Nothing to correct"),
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
    # Complaints after non-prosecution and the reporter's storage (app.complaints, app.tips)
    "complaint_not_open": (
        "Chưa có quyết định để khiếu nại",
        "No decision to complain about",
    ),
    "complaint_window_closed": ("Đã hết thời hạn khiếu nại", "The complaint period has ended"),
    "complaint_already_filed": ("Khiếu nại đã được tiếp nhận", "A complaint was already filed"),
    "tip_storage_full": (
        "Tin báo đã lưu tối đa dung lượng tệp",
        "The tip holds the most files it may",
    ),
}
