"""Messages of the staff workflow and the details of problems."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

WORKFLOW: dict[str, Entry] = {
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
    "triage.use_endpoint_detail": Entry(
        "validation_error",
        "Dùng POST /api/v1/tips/{{id}}/{via} cho trạng thái '{target}'.",
        "Use POST /api/v1/tips/{{id}}/{via} to reach '{target}'.",
    ),
    # Problem details.
    "triage.tip_not_found": Entry("not_found", "Không tìm thấy tin báo.", "Tip not found."),
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
}
