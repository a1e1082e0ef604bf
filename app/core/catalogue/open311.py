"""Messages of the Open311 GeoReport v2 adapter (its parameters, key and errors).

Open311 answers ``[{"code", "description"}]`` with the HTTP status as the code, so an entry's
code here is what the same situation would carry in an ``errors[]`` item or a problem.
"""

from __future__ import annotations

from app.core.catalogue.entry import Entry

OPEN311: dict[str, Entry] = {
    # A description naming the GeoReport parameter at fault ({message} is another message).
    "open311.parameter": Entry(
        "invalid_format", "{parameter}: {message}", "{parameter}: {message}"
    ),
    # Parameters (query string and form body).
    "open311.required": Entry("missing", "Thiếu tham số bắt buộc.", "This parameter is required."),
    "open311.invalid_character": Entry(
        "invalid_format", "Ký tự không hợp lệ.", "Invalid character."
    ),
    "open311.parameter_once": Entry(
        "extra_forbidden", "Chỉ được gửi một lần.", "Send this parameter once."
    ),
    "open311.form_required": Entry(
        "invalid_format", "Gửi tham số dạng {form}.", "Send the parameters as {form}."
    ),
    "open311.form_encoding": Entry(
        "invalid_format",
        "Nội dung không hợp lệ (UTF-8).",
        "The body is not valid UTF-8 form data.",
    ),
    "open311.too_many_parameters": Entry("too_long", "Quá nhiều tham số.", "Too many parameters."),
    "open311.datetime": Entry(
        "invalid_format",
        "Ngày giờ không hợp lệ (RFC 3339).",
        "Not a valid date-time (RFC 3339).",
    ),
    "open311.too_many_ids": Entry("too_long", "Tối đa {max_items} mã.", "At most {max_items} ids."),
    "open311.status_choice": Entry(
        "invalid_choice", "Chỉ nhận open, closed.", "Only open and closed."
    ),
    "open311.true_or_false": Entry(
        "invalid_choice", "Phải là true hoặc false.", "Must be true or false."
    ),
    "open311.unknown_attribute": Entry(
        "extra_forbidden",
        "Không có thuộc tính này (xem services/{{service_code}}.json).",
        "No such attribute (see services/{{service_code}}.json).",
    ),
    "open311.media_url": Entry(
        "extra_forbidden",
        "Không nhận tệp qua đường dẫn; hãy gửi tin báo không kèm media_url.",
        "Media by URL is not accepted; send the request without media_url.",
    ),
    "open311.name_too_long": Entry("too_long", "Họ tên quá dài.", "The name is too long."),
    "open311.outside_province": Entry(
        "invalid_choice",
        "Nơi xảy ra không thuộc tỉnh/thành phố của khóa api_key.",
        "The place is outside the province of this api_key.",
    ),
    "open311.ambiguous_commune": Entry(
        "ambiguous_commune",
        "mã xã/phường cũ đã được chia; chọn một mã mới: {codes}, hoặc gửi lat/long.",
        "the pre-2025 commune was split; send one of {codes}, or lat/long.",
    ),
    # The api_key.
    "open311.api_key_required": Entry("missing", "Thiếu khóa api_key.", "api_key is required."),
    "open311.api_key_invalid": Entry(
        "forbidden",
        "Khóa api_key không hợp lệ hoặc đã bị thu hồi.",
        "The api_key is invalid or revoked.",
    ),
    # Problems.
    "open311.not_found": Entry("not_found", "Không tìm thấy.", "Not found."),
    "open311.unknown_service": Entry("not_found", "Không có dịch vụ này.", "No such service."),
    "open311.unknown_request": Entry(
        "not_found", "Không tìm thấy yêu cầu này.", "No such service request."
    ),
    "open311.method_not_allowed": Entry(
        "method_not_allowed", "Phương thức không được phép.", "Method not allowed."
    ),
    "open311.internal_error": Entry("internal_error", "Lỗi hệ thống.", "Internal server error."),
}
