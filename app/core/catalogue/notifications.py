"""Messages of notifications (app.notifications): preferences, urgent alerts, dead letters."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

NOTIFICATIONS: dict[str, Entry] = {
    "notifications.not_found": Entry(
        "not_found", "Không tìm thấy thông báo.", "Notification not found."
    ),
    "notifications.users_only": Entry(
        "forbidden", "Chỉ dành cho tài khoản người dùng.", "For user accounts only."
    ),
    "notifications.web_push_off": Entry(
        "not_found", "Chưa cấu hình Web Push.", "Web Push is not configured."
    ),
    # Urgent alerts.
    "notifications.no_urgent_alert": Entry(
        "not_found", "Tin báo này không có cảnh báo khẩn.", "This tip raised no urgent alert."
    ),
    "notifications.acknowledge_forbidden": Entry(
        "forbidden",
        "Chỉ đơn vị được cảnh báo hoặc đơn vị thụ lý mới xác nhận được.",
        "Only the alerted duty desk or the holding unit may acknowledge.",
    ),
    # Dead letters (admin).
    "notifications.admin_only": Entry("forbidden", "Chỉ quản trị viên.", "Admin only."),
    "notifications.delivery_not_found": Entry(
        "not_found", "Không tìm thấy lần gửi.", "Delivery not found."
    ),
    "notifications.redeliver_not_failed": Entry(
        "conflict",
        "Chỉ gửi lại được lần gửi đã thất bại.",
        "Only a failed or dead-lettered delivery can be redelivered.",
    ),
}
