"""Messages of accounts (app.accounts): signing in, who may call, users, organizations, API
keys, movement models, and the password policy (app.core.passwords)."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

ACCOUNTS: dict[str, Entry] = {
    # Signing in and credentials (401).
    "auth.invalid_credentials": Entry(
        "unauthorized", "Sai tên đăng nhập hoặc mật khẩu.", "Incorrect username or password."
    ),
    "auth.required": Entry("unauthorized", "Cần đăng nhập.", "Authentication required."),
    "auth.bearer_only": Entry(
        "unauthorized",
        "Chỉ chấp nhận mã truy cập Bearer.",
        "Only Bearer access tokens are accepted.",
    ),
    "auth.token_invalid": Entry(
        "unauthorized",
        "Mã truy cập không hợp lệ hoặc đã hết hạn.",
        "The access token is invalid or expired.",
    ),
    "auth.api_key_invalid": Entry(
        "unauthorized",
        "Khóa API không hợp lệ hoặc đã bị thu hồi.",
        "The API key is invalid or revoked.",
    ),
    # Who may call (403).
    "auth.password_change_required": Entry(
        "forbidden",
        "Mật khẩu của bạn do người khác đặt: hãy đổi mật khẩu (POST /api/v1/auth/password).",
        "Your password was set by someone else: change it first (POST /api/v1/auth/password).",
    ),
    "auth.users_only": Entry("forbidden", "Chỉ dành cho người dùng.", "Users only."),
    "auth.staff_only": Entry("forbidden", "Chỉ dành cho cán bộ.", "Staff only."),
    "auth.role_forbidden": Entry(
        "forbidden",
        "Bạn không có quyền thực hiện thao tác này.",
        "Your role does not allow this action.",
    ),
    # Users.
    "accounts.role_not_grantable": Entry(
        "forbidden",
        "Bạn không được quản lý người dùng có vai trò {role}.",
        "You may not manage users with the role {role}.",
    ),
    "accounts.scope_not_used": Entry(
        "extra_forbidden",
        "Vai trò {role} không dùng trường này.",
        "Not used by the role {role}.",
    ),
    "accounts.scope_required": Entry(
        "missing", "Bắt buộc với vai trò {role}.", "Required for the role {role}."
    ),
    "accounts.unknown_unit": Entry(
        "invalid_format", "Không có đơn vị công an này.", "Unknown police unit."
    ),
    "accounts.unknown_province": Entry(
        "invalid_format", "Không có tỉnh/thành phố này.", "Unknown province."
    ),
    "accounts.unknown_organization": Entry(
        "invalid_format", "Không có tổ chức này.", "Unknown organization."
    ),
    "accounts.outside_province": Entry(
        "invalid_format", "Ngoài tỉnh/thành phố của bạn.", "Outside your province."
    ),
    # Says no more than that the user cannot be created: not whose the name is, nor where.
    "accounts.user_conflict": Entry(
        "conflict",
        "Không thể tạo người dùng với thông tin này.",
        "A user cannot be created with these details.",
    ),
    "accounts.user_not_found": Entry("not_found", "Không tìm thấy người dùng.", "User not found."),
    "accounts.last_admin": Entry(
        "conflict",
        "Không thể vô hiệu hóa hoặc hạ quyền quản trị viên cuối cùng.",
        "The last enabled admin cannot be disabled or demoted.",
    ),
    # Organizations.
    "accounts.unknown_commune": Entry(
        "invalid_format", "Không có xã/phường này.", "Unknown commune."
    ),
    "accounts.commune_not_in_province": Entry(
        "invalid_format", "Xã/phường không thuộc tỉnh/thành phố này.", "Not in this province."
    ),
    "accounts.unknown_parent": Entry(
        "invalid_format",
        "Không có tổ chức cấp trên này trong tỉnh.",
        "No such parent organization in the province.",
    ),
    # API keys.
    "accounts.api_key_not_found": Entry(
        "not_found", "Không tìm thấy khóa API.", "API key not found."
    ),
    # Front movement models: a code not among those open to the province.
    "accounts.unknown_movement_model": Entry(
        "invalid_choice",
        "Không có mô hình này cho tỉnh của tổ chức (xem GET /api/v1/movement-models).",
        "No such movement model for the organization's province (see GET /api/v1/movement-models).",
    ),
    # Passwords (app.core.passwords, app.accounts.passwords).
    "password.too_short": Entry(
        "too_short",
        "Mật khẩu cần ít nhất {min_length} ký tự.",
        "The password needs at least {min_length} characters.",
    ),
    "password.common": Entry(
        "invalid_format",
        "Mật khẩu này quá phổ biến, dễ bị đoán.",
        "This password is too common and easy to guess.",
    ),
    "password.few_distinct": Entry(
        "invalid_format",
        "Mật khẩu cần ít nhất {min_distinct} ký tự khác nhau.",
        "The password needs at least {min_distinct} different characters.",
    ),
    "password.contains_username": Entry(
        "invalid_format",
        "Mật khẩu không được chứa tên đăng nhập.",
        "The password may not contain the username.",
    ),
    "password.current_wrong": Entry(
        "invalid_format", "Mật khẩu hiện tại không đúng.", "The current password is wrong."
    ),
    "password.same_as_current": Entry(
        "invalid_format",
        "Mật khẩu mới phải khác mật khẩu hiện tại.",
        "The new password must differ from the current one.",
    ),
}
