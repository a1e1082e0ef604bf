"""Messages of the request itself: field errors, type names, bodies and headers, times, places,
periods and date windows."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

REQUESTS: dict[str, Entry] = {
    # An answer with nothing more specific to say: its problem's title (messages.title_message).
    # Only ever a detail, so its code is never read.
    "problem.title": Entry("bad_request", "{title}", "{title}"),
    # Generic field errors (mapped from request validation).
    "missing": Entry("missing", "Trường này là bắt buộc.", "This field is required."),
    "too_short": Entry(
        "too_short", "Cần ít nhất {min_length} ký tự.", "At least {min_length} characters."
    ),
    "too_long": Entry("too_long", "Tối đa {max_length} ký tự.", "At most {max_length} characters."),
    "too_short.items": Entry(
        "too_short", "Cần ít nhất {min_length} phần tử.", "At least {min_length} items."
    ),
    "too_long.items": Entry(
        "too_long", "Tối đa {max_length} phần tử.", "At most {max_length} items."
    ),
    "invalid_format": Entry(
        "invalid_format", "Giá trị không đúng định dạng.", "The value is not in a valid format."
    ),
    "invalid_format.datetime": Entry(
        "invalid_format",
        "Cần một thời điểm RFC 3339 có múi giờ, ví dụ 2026-11-20T21:00:00+07:00.",
        "Expected an RFC 3339 time with an offset, e.g. 2026-11-20T21:00:00+07:00.",
    ),
    "invalid_format.date": Entry(
        "invalid_format", "Cần một ngày dạng YYYY-MM-DD.", "Expected a day as YYYY-MM-DD."
    ),
    "invalid_format.phone": Entry(
        "invalid_format", "Số điện thoại không hợp lệ.", "Not a valid phone number."
    ),
    "invalid_format.email": Entry(
        "invalid_format", "Địa chỉ email không hợp lệ.", "Not a valid email address."
    ),
    "invalid_format.control": Entry(
        "invalid_format", "Không được chứa ký tự điều khiển.", "Control characters are not allowed."
    ),
    "invalid_choice": Entry(
        "invalid_choice", "Phải là một trong: {choices}.", "Must be one of: {choices}."
    ),
    "out_of_range.ge": Entry("out_of_range", "Phải từ {ge} trở lên.", "Must be at least {ge}."),
    "out_of_range.gt": Entry("out_of_range", "Phải lớn hơn {gt}.", "Must be greater than {gt}."),
    "out_of_range.le": Entry("out_of_range", "Phải không quá {le}.", "Must be at most {le}."),
    "out_of_range.lt": Entry("out_of_range", "Phải nhỏ hơn {lt}.", "Must be less than {lt}."),
    "out_of_range": Entry(
        "out_of_range", "Giá trị nằm ngoài phạm vi cho phép.", "The value is out of range."
    ),
    "out_of_range.date": Entry(
        "out_of_range", "Ngày giờ nằm ngoài phạm vi cho phép.", "The date is out of range."
    ),
    "extra_forbidden": Entry(
        "extra_forbidden", "Trường này không được chấp nhận.", "This field is not accepted."
    ),
    "invalid_type": Entry(
        "invalid_type", "Sai kiểu dữ liệu: cần {expected}.", "Wrong type: expected {expected}."
    ),
    "unknown_parameter": Entry(
        "unknown_parameter",
        "Tham số '{name}' không được hỗ trợ ở đây.",
        "The query parameter '{name}' is not supported here.",
    ),
    "invalid_cursor": Entry("invalid_format", "Con trỏ không hợp lệ.", "Invalid cursor."),
    "cursor.invalid": Entry(
        "invalid_cursor",
        "Con trỏ phân trang không hợp lệ.",
        "The pagination cursor is not valid.",
    ),
    # Names of types in "invalid_type" (the {expected} field).
    "type.string": Entry("invalid_type", "chuỗi ký tự", "a string"),
    "type.integer": Entry("invalid_type", "số nguyên", "an integer"),
    "type.number": Entry("invalid_type", "số", "a number"),
    "type.boolean": Entry("invalid_type", "true hoặc false", "true or false"),
    "type.object": Entry("invalid_type", "đối tượng JSON", "a JSON object"),
    "type.array": Entry("invalid_type", "mảng JSON", "a JSON array"),
    "type.null": Entry("invalid_type", "null", "null"),
    "type.value": Entry("invalid_type", "giá trị khác", "another value"),
    # Bodies and headers.
    "malformed_json": Entry(
        "invalid_format", "Nội dung không phải JSON hợp lệ.", "The body is not valid JSON."
    ),
    "json_too_deep": Entry(
        "too_long",
        "JSON lồng nhau quá {max_depth} cấp.",
        "The JSON is nested more than {max_depth} levels deep.",
    ),
    "invalid_encoding": Entry(
        "invalid_format",
        "Nội dung phải được mã hóa UTF-8.",
        "The body must be encoded in UTF-8.",
    ),
    "idempotency_key_length": Entry(
        "too_long",
        "Từ 1 đến {max_length} ký tự.",
        "Between 1 and {max_length} characters.",
    ),
    "idempotency_key_anonymous_short": Entry(
        "too_short",
        "Người gửi ẩn danh cần khóa từ {min_length} ký tự trở lên (ví dụ một UUID).",
        "Anonymous callers need a key of at least {min_length} characters (a UUID, say).",
    ),
    "multipart_boundary": Entry(
        "invalid_format",
        "Boundary của multipart phải từ 1 đến {max_length} ký tự.",
        "The multipart boundary must have 1 to {max_length} characters.",
    ),
    "multipart.unexpected_part": Entry(
        "extra_forbidden", "Phần multipart không được hỗ trợ.", "Unexpected multipart part."
    ),
    "multipart.part_once": Entry(
        "extra_forbidden", "Phần này chỉ được gửi một lần.", "This part may be sent only once."
    ),
    "body.too_large": Entry(
        "payload_too_large",
        "Nội dung yêu cầu vượt quá {cap} byte.",
        "The request body exceeds {cap} bytes.",
    ),
    "body.timed_out": Entry(
        "request_timeout",
        "Nội dung yêu cầu không đến trong {seconds:g} giây.",
        "The request body did not arrive within {seconds:g} seconds.",
    ),
    # Rate limits and the operations endpoints (/readyz, /metrics).
    "rate_limit.exceeded": Entry(
        "rate_limited",
        "Bạn đã gửi quá nhiều yêu cầu, vui lòng thử lại sau.",
        "Too many requests; retry later.",
    ),
    "ops.database_not_ready": Entry(
        "service_unavailable", "Cơ sở dữ liệu không sẵn sàng.", "Database not reachable."
    ),
    "ops.database_behind": Entry(
        "service_unavailable",
        "Cơ sở dữ liệu chưa được cập nhật ({current}, cần {head}): chạy `tinbao migrate`.",
        "Database at {current}, expected {head}: run `tinbao migrate`.",
    ),
    "ops.not_found": Entry("not_found", "Không tìm thấy.", "Not found."),
    "ops.metrics_token": Entry(
        "unauthorized", "Cần mã truy cập số liệu.", "A metrics token is required."
    ),
    # Times a person gives (occurred_at, received_at).
    "not_in_future": Entry("out_of_range", "Không được ở tương lai.", "Must not be in the future."),
    "not_before_year": Entry(
        "out_of_range",
        "Không được trước năm {year}.",
        "Must not be before the year {year}.",
    ),
    # Places.
    "place.required": Entry(
        "missing",
        "Cần mã xã/phường hoặc toạ độ của nơi xảy ra.",
        "A commune code or coordinates are required.",
    ),
    "place.one_code": Entry(
        "extra_forbidden",
        "Chỉ gửi một trong commune_code và legacy_commune_code.",
        "Send either commune_code or legacy_commune_code, not both.",
    ),
    "place.point": Entry(
        "out_of_range",
        "Cần cả lat và lon; lat trong [-90, 90], lon trong [-180, 180] ({name}).",
        "Both lat and lon are needed; lat in [-90, 90], lon in [-180, 180] ({name}).",
    ),
    "ambiguous_commune": Entry(
        "ambiguous_commune",
        "Mã xã/phường cũ này đã được chia cho nhiều xã/phường mới; hãy chọn một mã mới "
        "trong danh sách hoặc gửi kèm toạ độ.",
        "This pre-2025 commune was split among several communes; choose one of today's "
        "codes or send coordinates.",
    ),
    "unknown_commune": Entry(
        "unknown_commune", "Không có xã/phường nào có mã này.", "No commune has this code."
    ),
    "location_not_found": Entry(
        "location_not_found",
        "Toạ độ không thuộc xã/phường nào; hãy gửi mã xã/phường.",
        "The coordinates are not in any commune; send a commune code.",
    ),
    "unknown_category": Entry("unknown_category", "Không có lĩnh vực này.", "No such category."),
    # Periods (statistics and exports).
    "period.both": Entry(
        "extra_forbidden",
        "Dùng period hoặc from/to, không dùng cả hai.",
        "Use either period or from/to, not both.",
    ),
    "period.invalid": Entry(
        "invalid_format", "Kỳ không hợp lệ; dùng {help}", "Invalid period; use {help}"
    ),
    "period.bound": Entry(
        "invalid_format",
        "Cần một ngày (YYYY-MM-DD) hoặc thời điểm RFC 3339 có múi giờ.",
        "Expected a day (YYYY-MM-DD) or an RFC 3339 time with an offset.",
    ),
    "period.order": Entry("out_of_range", "'to' phải sau 'from'.", "'to' must be after 'from'."),
    "stats.group_by_count": Entry(
        "out_of_range",
        "Nhóm theo một hoặc hai chiều khác nhau (ví dụ category,unit).",
        "Group by one or two different dimensions (e.g. category,unit).",
    ),
    # Date windows (Open311 filters).
    "window.start_before_end": Entry(
        "out_of_range", "Phải trước end_date.", "Must be before end_date."
    ),
    "window.at_most_days": Entry(
        "out_of_range",
        "Khoảng thời gian tối đa {days} ngày.",
        "The date range is at most {days} days.",
    ),
}
