"""Messages of reference data: categories and their routing, police units, the working
calendar, movement models, administrative units and their change-sets (app.administration,
app.admin_units, app.units, app.scope), and the Front's organizations (app.front)."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

ADMINISTRATION: dict[str, Entry] = {
    # Categories and each province's own rule.
    "categories.not_found": Entry("not_found", "Không có lĩnh vực này.", "No such category."),
    "categories.code_taken": Entry(
        "conflict", "Mã lĩnh vực đã tồn tại.", "A category with this code exists."
    ),
    "categories.province_not_found": Entry(
        "not_found", "Không có tỉnh/thành phố này.", "No such province."
    ),
    "categories.no_province_rule": Entry(
        "not_found", "Tỉnh này không có quy tắc riêng.", "No rule of this province."
    ),
    # Police units.
    "units.not_found": Entry("not_found", "Không có đơn vị này.", "No such police unit."),
    "units.code_taken": Entry(
        "conflict", "Mã đơn vị đã tồn tại.", "A police unit with this code exists."
    ),
    "units.commune_required": Entry(
        "invalid_format",
        "Công an xã cần mã xã/phường thuộc tỉnh.",
        "A commune police needs a commune of the province.",
    ),
    "units.department_required": Entry(
        "missing", "Cần mã phòng/cơ quan.", "A department code is required."
    ),
    "units.supervisor_fields": Entry(
        "forbidden",
        "Giám sát viên chỉ được đổi tên và cờ vùng sâu, vùng xa của đơn vị.",
        "Supervisors may change only a unit's name and remote flag.",
    ),
    "units.duty_desk_active": Entry(
        "conflict",
        "Không thể ngừng hoạt động trực ban của Công an tỉnh.",
        "A provincial duty desk cannot be deactivated.",
    ),
    "units.parent_cycle": Entry(
        "invalid_format", "Cấp trên tạo vòng lặp.", "The parent makes a cycle."
    ),
    "units.unknown_parent": Entry(
        "invalid_format", "Không có đơn vị cấp trên này.", "No such parent unit."
    ),
    # A province_code field naming no province (units, movement models).
    "administration.unknown_province": Entry(
        "invalid_format", "Không có tỉnh này.", "No such province."
    ),
    # The working calendar.
    "calendar.year_range": Entry(
        "out_of_range", "Năm trong [{low}, {high}].", "A year in [{low}, {high}]."
    ),
    "calendar.day_of_year": Entry(
        "invalid_format",
        "Ngày phải thuộc năm này và không trùng lặp.",
        "Dates must be in this year and not repeated.",
    ),
    # Movement models.
    "movement_models.national_is_admins": Entry(
        "forbidden",
        "Chỉ quản trị viên thêm hoặc sửa mô hình toàn quốc; giám sát viên chỉ mô hình của "
        "tỉnh mình.",
        "Only admins add or edit national models; supervisors only their province's.",
    ),
    "movement_models.code_taken": Entry(
        "conflict", "Mã mô hình đã tồn tại.", "A movement model with this code exists."
    ),
    "movement_models.not_found": Entry(
        "not_found", "Không có mô hình này.", "No such movement model."
    ),
    # Change-sets of administrative units: each item names the change (changes.<index>).
    "changesets.commune_twice": Entry(
        "invalid_format", "Mã xã/phường bị lặp.", "A commune is listed twice."
    ),
    "changesets.communes_of_one_province": Entry(
        "invalid_format",
        "Chỉ sáp nhập các xã/phường cùng tỉnh.",
        "Only communes of one province merge.",
    ),
    "changesets.invalid_geojson": Entry(
        "invalid_format", "GeoJSON không hợp lệ ({error}).", "Invalid GeoJSON ({error})."
    ),
    "changesets.invalid_boundary": Entry(
        "invalid_format",
        "Ranh giới phải là Polygon/MultiPolygon hợp lệ.",
        "A boundary must be a valid Polygon or MultiPolygon.",
    ),
    "changesets.part_codes": Entry(
        "invalid_format", "Mỗi phần cần một mã mới.", "Each part needs a new code of its own."
    ),
    "changesets.province_twice": Entry(
        "invalid_format", "Tỉnh bị lặp.", "A province is listed twice."
    ),
    "changesets.province_code_taken": Entry(
        "invalid_format", "Mã tỉnh {code} đã được dùng.", "Province code {code} is taken."
    ),
    "changesets.commune_code_taken": Entry(
        "invalid_format", "Mã xã/phường {code} đã được dùng.", "Commune code {code} is taken."
    ),
    "changesets.commune_not_live": Entry(
        "invalid_format",
        "Xã/phường {code} không tồn tại hoặc đã bị giải thể.",
        "Commune {code} does not exist or was already retired.",
    ),
    "changesets.province_not_live": Entry(
        "invalid_format",
        "Tỉnh/thành phố {code} không tồn tại hoặc đã sáp nhập.",
        "Province {code} does not exist or was already merged.",
    ),
    "changesets.successor_inactive": Entry(
        "invalid_format",
        "Đơn vị nhận {unit} không tồn tại hoặc đang ngừng hoạt động.",
        "The successor unit {unit} does not exist or is inactive.",
    ),
    # Administrative units (the public look-ups).
    "admin_units.commune_not_found": Entry(
        "not_found", "Không có xã/phường nào có mã này.", "No commune has this code."
    ),
    "admin_units.point_outside": Entry(
        "location_not_found",
        "Vị trí không thuộc xã/phường nào.",
        "The point is not in any commune.",
    ),
    "admin_units.province_not_found": Entry(
        "not_found", "Không có tỉnh/thành phố nào có mã này.", "No province has this code."
    ),
    # Who may change a province's reference data.
    "scope.not_your_province": Entry(
        "forbidden",
        "Bạn chỉ được thay đổi dữ liệu của tỉnh mình.",
        "You may only change your own province's data.",
    ),
    # The Front's organizations.
    "front.organization_not_found": Entry(
        "not_found", "Không tìm thấy tổ chức.", "Organization not found."
    ),
}
