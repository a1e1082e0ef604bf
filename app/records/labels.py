"""Vietnamese words of the printed records (the API itself answers with codes)."""

from __future__ import annotations

from datetime import datetime

from app.core.time import to_local

CHANNELS = {
    "web": "Cổng thông tin điện tử",
    "mobile": "Ứng dụng di động",
    "hotline": "Qua điện thoại (đường dây nóng)",
    "walk_in": "Trực tiếp tại trụ sở",
    "open311": "Hệ thống kết nối (Open311)",
    "front": "Qua Mặt trận Tổ quốc",
}

STATUSES = {
    "received": "Mới tiếp nhận",
    "verifying": "Đang xác minh",
    "in_progress": "Đang giải quyết",
    "awaiting_info": "Chờ bổ sung thông tin",
    "suspended": "Tạm đình chỉ",
    "transferred": "Đã chuyển đơn vị khác",
    "referred": "Đã chuyển cơ quan khác",
    "resolved": "Đã giải quyết",
    "rejected": "Không thụ lý",
    "merged": "Đã gộp vào tin khác",
}

KIND_TITLES = {
    "crime": "tố giác, tin báo về tội phạm",
    "security_order": "phản ánh về an ninh, trật tự",
}


def local_time(value: datetime | None) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnamese local time; empty for None."""
    return to_local(value).strftime("%d/%m/%Y %H:%M") if value is not None else ""


def spoken_time(value: datetime) -> str:
    """``Hồi 09 giờ 30 phút, ngày 20 tháng 11 năm 2026`` (local time)."""
    local = to_local(value)
    return f"Hồi {local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} năm {local:%Y}"
