"""The public-status mapping: what a reporter sees for each internal status, and its message.

The single point for this rule: the reporter's /track view, Open311, the Front's list, the
staff queue and the CSV export all read it here.
"""

from __future__ import annotations

from app.tips.models import PublicStatus, TipStatus

_PUBLIC_STATUS: dict[str, PublicStatus] = {
    TipStatus.received: PublicStatus.received,
    TipStatus.verifying: PublicStatus.processing,
    TipStatus.in_progress: PublicStatus.processing,
    TipStatus.transferred: PublicStatus.processing,
    TipStatus.suspended: PublicStatus.processing,
    TipStatus.merged: PublicStatus.processing,
    TipStatus.awaiting_info: PublicStatus.awaiting_info,
    TipStatus.resolved: PublicStatus.completed,
    TipStatus.referred: PublicStatus.completed,
    TipStatus.rejected: PublicStatus.not_accepted,
}

PUBLIC_STATUS_MESSAGES: dict[str, tuple[str, str]] = {
    PublicStatus.received: ("Tin báo đã được tiếp nhận.", "Your report has been received."),
    PublicStatus.processing: ("Tin báo đang được xử lý.", "Your report is being handled."),
    PublicStatus.awaiting_info: (
        "Cơ quan công an cần thêm thông tin từ bạn.",
        "The police need more information from you.",
    ),
    PublicStatus.completed: ("Tin báo đã được xử lý xong.", "Handling of your report is complete."),
    PublicStatus.not_accepted: ("Tin báo không được thụ lý.", "Your report was not accepted."),
}


def public_status_for(status: str) -> str:
    """What a reporter sees for an internal status."""
    return _PUBLIC_STATUS[status].value
