"""Messages of the integration API (app.integration): statistics' scope and webhooks."""

from __future__ import annotations

from app.core.catalogue.entry import Entry

INTEGRATION: dict[str, Entry] = {
    # A scope outside the caller's province answers like an unknown code.
    "integration.province_not_found": Entry(
        "not_found", "Không tìm thấy tỉnh/thành phố.", "Province not found."
    ),
    "integration.unit_not_found": Entry("not_found", "Không tìm thấy đơn vị.", "Unit not found."),
    # Webhooks.
    "webhooks.not_found": Entry("not_found", "Không tìm thấy webhook.", "Webhook not found."),
    "webhooks.delivery_not_found": Entry(
        "not_found", "Không tìm thấy lần gửi.", "Delivery not found."
    ),
    "webhooks.redeliver_not_dead": Entry(
        "conflict",
        "Chỉ gửi lại được lần gửi đã thất bại hẳn (dead).",
        "Only a dead-lettered delivery can be redelivered.",
    ),
    "webhooks.url_invalid": Entry("invalid_format", "URL không hợp lệ.", "Invalid URL."),
    "webhooks.url_scheme": Entry(
        "invalid_format",
        "Chỉ chấp nhận URL http:// hoặc https://.",
        "Only http(s) URLs are accepted.",
    ),
    "webhooks.url_unresolvable": Entry(
        "invalid_format", "Không phân giải được tên máy.", "The host name does not resolve."
    ),
    "webhooks.url_private": Entry(
        "invalid_format",
        "Không chấp nhận địa chỉ nội bộ hoặc loopback.",
        "Private, loopback and link-local targets are refused.",
    ),
}
