"""Messages of intake (the rules of POST /tips) and the lines of the reporter's /track timeline."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

INTAKE: dict[str, Entry] = {
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
    "idempotency.conflict": Entry(
        "idempotency_conflict",
        "Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác.",
        "This Idempotency-Key was already used for a different request.",
    ),
    "intake.no_free_reference": Entry(
        "service_unavailable",
        "Không cấp được mã tin báo, vui lòng thử lại.",
        "No free reference; please retry.",
    ),
    "track.storage_full": Entry(
        "tip_storage_full",
        "Tin báo đã lưu tối đa {megabytes} MB tệp; không thể thêm.",
        "This tip already holds the most files it may ({megabytes} MB); no more can be added.",
    ),
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
