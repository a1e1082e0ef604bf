"""The message catalogue: every text a client reads in an error, in Vietnamese and English.

Problem titles are keyed by the problem's ``code`` (``TITLES``). Everything else — details,
the ``errors[]`` items of a validation answer, the intake rules — is a ``Message``: a catalogue
key plus the values its template needs. Each entry names the stable ``errors[]`` code it answers
with (``missing``, ``too_short``, ``too_long``, ``invalid_format``, ``invalid_choice``,
``out_of_range``, ``extra_forbidden``, ``invalid_type``, ``unknown_parameter`` or a rule's own
word). Templates use ``str.format`` fields; both languages of an entry use the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from app.core.i18n import Lang

# The codes an ``errors[]`` item may carry besides a rule's own word (API.md, Conventions).
FIELD_CODES = frozenset(
    {
        "missing",
        "too_short",
        "too_long",
        "invalid_format",
        "invalid_choice",
        "out_of_range",
        "extra_forbidden",
        "invalid_type",
        "unknown_parameter",
    }
)


class Entry(NamedTuple):
    code: str  # the errors[] code
    vi: str
    en: str


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

MESSAGES: dict[str, Entry] = {
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
    # Times a person gives (occurred_at, received_at).
    "not_in_future": Entry("out_of_range", "Không được ở tương lai.", "Must not be in the future."),
    "not_before_year": Entry(
        "out_of_range",
        "Không được trước năm {year}.",
        "Must not be before the year {year}.",
    ),
    # Intake rules (POST /tips).
    "intake.province_required": Entry(
        "missing",
        "Cần mã tỉnh/thành phố khi không nhớ nơi xảy ra.",
        "province_code is required when location_unknown is true.",
    ),
    "intake.empty_when_unknown": Entry(
        "extra_forbidden",
        "Không gửi kèm khi không nhớ nơi xảy ra.",
        "Must be empty when location_unknown is true.",
    ),
    "intake.file_required": Entry(
        "missing",
        "Cần ít nhất một tệp (ảnh, video…) khi không nhớ nơi xảy ra.",
        "At least one file is required when location_unknown is true.",
    ),
    "intake.description_when_unknown": Entry(
        "too_short",
        "Cần mô tả ít nhất {min_length} ký tự khi không nhớ nơi xảy ra.",
        "At least {min_length} characters are required when location_unknown is true.",
    ),
    "intake.lat_lon_together": Entry("missing", "Cần cả lat và lon.", "lat and lon go together."),
    "intake.anonymous_no_reporter": Entry(
        "extra_forbidden",
        "Tin báo ẩn danh không kèm thông tin người báo.",
        "An anonymous tip carries no reporter.",
    ),
    "intake.full_name_required": Entry("missing", "Cần họ và tên.", "full_name is required."),
    "intake.contact_required": Entry(
        "missing", "Cần số điện thoại hoặc email.", "A phone number or email is required."
    ),
    "intake.organization_not_anonymous": Entry(
        "invalid_choice",
        "Tin báo thay mặt tổ chức không thể ẩn danh.",
        "A tip on behalf of an organisation cannot be anonymous.",
    ),
    "intake.organization_name_required": Entry(
        "missing", "Cần tên tổ chức.", "organization_name is required."
    ),
    "intake.organization_only": Entry(
        "extra_forbidden",
        "Chỉ dùng khi báo thay mặt tổ chức.",
        "Only with on_behalf_of_organization.",
    ),
    "intake.movement_model_front_only": Entry(
        "extra_forbidden",
        "Chỉ thành viên Mặt trận ghi mô hình phong trào.",
        "Only Front members name a movement model.",
    ),
    "intake.intake_record_staff_only": Entry(
        "extra_forbidden",
        "Chỉ dùng khi cán bộ tiếp nhận trực tiếp hoặc qua đường dây nóng.",
        "Only for staff walk-in or hotline intake.",
    ),
    "intake.unknown_province": Entry(
        "invalid_choice", "Không có tỉnh/thành phố này.", "No province has this code."
    ),
    "intake.commune_not_in_province": Entry(
        "invalid_choice",
        "Xã/phường không thuộc tỉnh/thành phố này.",
        "The commune is not in this province.",
    ),
    "intake.part_required": Entry(
        "missing", "Thiếu phần '{part}'.", "The '{part}' part is required."
    ),
    "files.multipart_required": Entry(
        "invalid_format",
        "Nội dung phải là multipart/form-data với các phần 'files'.",
        "The body must be multipart/form-data with 'files' parts.",
    ),
    "files.required": Entry("missing", "Cần ít nhất một tệp.", "At least one file is required."),
    "intake.json_or_multipart": Entry(
        "invalid_format",
        "Nội dung phải là application/json hoặc multipart/form-data.",
        "The body must be application/json or multipart/form-data.",
    ),
    "channel.machine_clients": Entry(
        "forbidden",
        "Ứng dụng kết nối chỉ gửi tin qua giao diện Open311.",
        "Machine clients file tips through the Open311 adapter only.",
    ),
    "channel.staff_only": Entry(
        "forbidden",
        "Chỉ cán bộ được tiếp nhận qua đường dây nóng hoặc trực tiếp.",
        "Only staff may file hotline or walk-in tips.",
    ),
    "channel.open311_only": Entry(
        "forbidden",
        "Kênh open311 dành cho giao diện Open311.",
        "The open311 channel is for the adapter.",
    ),
    "channel.front_only": Entry(
        "forbidden",
        "Kênh front dành cho thành viên Mặt trận.",
        "The front channel is for Front members.",
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
    # Staff workflow.
    "triage.assignee_not_member": Entry(
        "invalid_choice",
        "Phải là cán bộ hoặc lãnh đạo của đơn vị đang xử lý tin báo.",
        "Must be an active officer or lead of the tip's unit.",
    ),
    "triage.until_after_due": Entry(
        "out_of_range",
        "Hạn mới phải sau hạn hiện tại.",
        "The new date must be later than the current due date.",
    ),
    "triage.unknown_unit": Entry(
        "invalid_choice", "Không có đơn vị này.", "No such active police unit."
    ),
    "triage.same_unit": Entry(
        "invalid_choice", "Tin báo đã ở đơn vị này.", "The tip is already there."
    ),
    "triage.merge_target_missing": Entry(
        "invalid_choice",
        "Không tìm thấy tin báo khác để gộp vào.",
        "No other tip with this id that you can see.",
    ),
    "triage.merge_target_merged": Entry(
        "invalid_choice",
        "Tin báo đó đã được gộp vào tin khác; hãy gộp vào tin chính.",
        "That tip was itself merged into another; merge into the main tip.",
    ),
    "triage.note_required": Entry(
        "missing", "Cần ghi rõ lý do.", "A note giving the reason is required."
    ),
    "triage.outcome_required": Entry(
        "missing", "Cần kết quả giải quyết: {choices}.", "An outcome is required: {choices}."
    ),
    "triage.outcome_invalid": Entry(
        "invalid_choice",
        "Kết quả không hợp lệ cho loại tin này: {choices}.",
        "Not an outcome for this kind of tip: {choices}.",
    ),
    "triage.outcome_only_resolved": Entry(
        "extra_forbidden", "Chỉ dùng khi chuyển sang 'resolved'.", "Only with 'to': 'resolved'."
    ),
    "triage.summary_only_closing": Entry(
        "extra_forbidden", "Chỉ dùng khi kết thúc xử lý.", "Only when closing the tip."
    ),
    "triage.transition": Entry(
        "invalid_transition",
        "Không thể chuyển từ '{status}' sang '{target}'. Được phép: {listed}.",
        "Cannot move from '{status}' to '{target}'. Allowed: {listed}.",
    ),
    "triage.use_endpoint": Entry("invalid_choice", "dùng /{via}", "use /{via}"),
    # Problem details.
    "triage.extend_crime_twice": Entry(
        "deadline_limit",
        "Tin tố giác về tội phạm chỉ được gia hạn tối đa hai lần.",
        "A crime tip can be extended at most twice.",
    ),
    "triage.extend_order_once": Entry(
        "deadline_limit",
        "Phản ánh về an ninh trật tự chỉ được gia hạn một lần.",
        "A security/order report can be extended once.",
    ),
    "triage.extend_needs_decision": Entry(
        "missing",
        "Lần gia hạn thứ hai cần số quyết định của Viện kiểm sát.",
        "A second extension needs the procuracy's decision (decision_ref).",
    ),
    "triage.extend_latest": Entry(
        "deadline_limit",
        "Chỉ được gia hạn đến hết ngày {last_day}.",
        "The deadline can be extended to {last_day} at the latest.",
    ),
    "triage.transfer_not_allowed": Entry(
        "transfer_not_allowed",
        "Bạn chỉ được chuyển tin báo đến đơn vị trong tỉnh của mình hoặc Cơ quan CSĐT của tỉnh "
        "nơi xảy ra sự việc.",
        "You may transfer only to units of your own province or to the investigation agency of "
        "the province where the tip took place.",
    ),
    "intake.tip_type_staff_only": Entry(
        "extra_forbidden",
        "Chỉ cán bộ tiếp nhận trực tiếp hoặc qua đường dây nóng được ghi loại tin.",
        "Only staff recording a walk-in or hotline intake may set tip_type.",
    ),
    "triage.nothing_to_correct": Entry(
        "nothing_to_correct",
        "Không có trường nào khác với hiện tại.",
        "No field differs from what the tip has now.",
    ),
    "triage.correction_needs_lead": Entry(
        "forbidden",
        "Chỉ lãnh đạo đơn vị trở lên được sửa loại tin hoặc đổi giữa tội phạm và ANTT.",
        "Only unit leads and above may change tip_type or switch between crime and security/order.",
    ),
    "triage.kien_nghi_only_crime": Entry(
        "invalid_choice",
        "Loại tin này không hợp với lĩnh vực: {choices}.",
        "This tip_type does not fit the category's kind: {choices}.",
    ),
    "scope.out_of_province": Entry(
        "forbidden",
        "Tin báo này đã chuyển cho đơn vị tỉnh khác; bạn chỉ được xem.",
        "This tip is now held by another province's unit; you may only read it.",
    ),
    "scope.read_only": Entry(
        "forbidden",
        "Đơn vị của bạn chỉ được xem tin báo này.",
        "Your unit may only read this tip; it is handled by another unit.",
    ),
    "triage.search_forbidden": Entry(
        "forbidden",
        "Vai trò của bạn không được tìm kiếm theo nội dung tin báo (q).",
        "Your role may not search the tips' text (q).",
    ),
    "stats.cell_too_small": Entry(
        "out_of_range",
        "Ô lưới phải từ {minimum} m trở lên.",
        "Cells must be at least {minimum} m.",
    ),
    "stats.count_too_small": Entry(
        "out_of_range",
        "Mỗi ô phải có ít nhất {minimum} tin báo.",
        "Cells must hold at least {minimum} tips.",
    ),
    "triage.no_reporter": Entry(
        "not_found",
        "Tin báo này không có thông tin người báo tin (ẩn danh hoặc đã xóa).",
        "This tip holds no reporter identity (anonymous, or erased).",
    ),
    "triage.already_claimed": Entry(
        "already_claimed",
        "Tin báo đã có cán bộ khác nhận xử lý.",
        "Another officer has already claimed this tip.",
    ),
    "triage.stale": Entry(
        "conflict", "Tin báo vừa thay đổi; hãy tải lại.", "The tip changed; reload it."
    ),
    "triage.changed_meanwhile": Entry(
        "conflict",
        "Tin báo vừa được người khác thay đổi; hãy tải lại.",
        "The tip was changed by someone else meanwhile; reload it.",
    ),
    "triage.closed": Entry(
        "tip_closed", "Tin báo đã kết thúc xử lý ({status}).", "The tip is closed ({status})."
    ),
    "file_not_found": Entry("not_found", "Không tìm thấy tệp.", "File not found."),
    # Lines of the reporter's /track timeline (code "notice": not an error).
    "track.acknowledged": Entry(
        "notice",
        "Đơn vị công an đã xác nhận tiếp nhận tin báo của bạn.",
        "The police unit acknowledged receipt of your report.",
    ),
    "track.handed_over": Entry(
        "notice",
        "Tin báo đã được chuyển đến đơn vị có thẩm quyền giải quyết.",
        "Your report was handed to the competent unit.",
    ),
    "track.merged": Entry(
        "notice",
        "Tin báo được xử lý chung với một tin báo khác về cùng sự việc.",
        "Your report is handled together with another report of the same matter.",
    ),
    "track.no_tip": Entry("not_found", "Không tìm thấy tin báo.", "No tip matches this receipt."),
    "data_key_missing": Entry(
        "service_unavailable",
        "Khóa giải mã dữ liệu chưa được cấu hình.",
        "A data key needed to read this record is not configured.",
    ),
    "database_unavailable": Entry(
        "service_unavailable",
        "Cơ sở dữ liệu tạm thời không khả dụng.",
        "The database is unavailable.",
    ),
    "service_busy": Entry(
        "service_busy",
        "Hệ thống đang nhận quá nhiều tin báo cùng lúc; vui lòng gửi lại sau ít giây.",
        "Too many tips are being submitted at once; send it again in a few seconds.",
    ),
    "database_refused": Entry(
        "invalid_format",
        "Dữ liệu chứa giá trị không hợp lệ.",
        "The request contains an invalid value.",
    ),
}


@dataclass(frozen=True)
class Message:
    """A catalogue entry and the values its template needs."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return MESSAGES[self.key].code

    def text(self, lang: Lang) -> str:
        entry = MESSAGES[self.key]
        template = entry.en if lang is Lang.en else entry.vi
        values = {k: v.text(lang) if isinstance(v, Message) else v for k, v in self.params.items()}
        return template.format_map(values)


def msg(key: str, **params: Any) -> Message:
    """The catalogue's message ``key``; an unknown key fails here, where it is written."""
    if key not in MESSAGES:
        raise KeyError(f"no message {key!r} in the catalogue")
    return Message(key, params)


# What errors carry: a catalogue message, or (legacy) a (Vietnamese, English) pair or one string.
Text = str | tuple[str, str] | Message


def pick(text: Text | None, lang: Lang) -> str | None:
    if text is None or isinstance(text, str):
        return text
    if isinstance(text, Message):
        return text.text(lang)
    return text[1] if lang is Lang.en else text[0]


def bilingual(text: Text) -> tuple[str, str]:
    """(Vietnamese, English) of any text."""
    return pick(text, Lang.vi) or "", pick(text, Lang.en) or ""


def title_for(code: str, lang: Lang) -> str:
    vi, en = TITLES.get(code, (code, code))
    return en if lang is Lang.en else vi
