"""The text of every notice, in Vietnamese and English.

A notice is built only from fixed sentences and these values: the tip's reference, a
category name, a unit code, a public status, an outcome word, a date. Never a description, a
message body, a note, a person's name or contact, nor the receipt. SMS texts are kept within
two UCS-2 segments (see :func:`sms_segments`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

LOCALES = ("vi", "en")

# (title, body, sms) per locale; {reference}, {unit}, {category}, {level} are filled in.
STAFF: dict[str, dict[str, tuple[str, str, str]]] = {
    "tip.new": {
        "vi": (
            "Tin báo mới {reference}",
            "Đơn vị {unit} nhận tin báo mới {reference} ({category}).",
            "TinBao: tin bao moi {reference} ({unit}).",
        ),
        "en": (
            "New tip {reference}",
            "Unit {unit} received a new tip {reference} ({category}).",
            "TinBao: new tip {reference} ({unit}).",
        ),
    },
    "tip.urgent": {
        "vi": (
            "KHẨN: tin báo {reference}",
            "Tin báo khẩn {reference} ({category}) tại đơn vị {unit}. Hãy xác nhận đã nhận.",
            "TinBao KHAN: tin bao {reference} ({unit}). Hay xac nhan da nhan.",
        ),
        "en": (
            "URGENT: tip {reference}",
            "Urgent tip {reference} ({category}) at unit {unit}. Please acknowledge the alert.",
            "TinBao URGENT: tip {reference} ({unit}). Please acknowledge.",
        ),
    },
    "tip.escalated": {
        "vi": (
            "Chuyển cấp trên: tin báo {reference}",
            "Tin báo {reference} của đơn vị {unit} được báo lên cấp trên (mức {level}).",
            "TinBao: tin bao {reference} ({unit}) bao len cap tren, muc {level}.",
        ),
        "en": (
            "Escalated: tip {reference}",
            "Tip {reference} of unit {unit} was escalated to supervisors (level {level}).",
            "TinBao: tip {reference} ({unit}) escalated, level {level}.",
        ),
    },
    "tip.assigned": {
        "vi": (
            "Được giao tin báo {reference}",
            "Bạn được giao xử lý tin báo {reference} ({category}).",
            "TinBao: ban duoc giao tin bao {reference}.",
        ),
        "en": (
            "Tip {reference} assigned to you",
            "You were assigned tip {reference} ({category}).",
            "TinBao: tip {reference} assigned to you.",
        ),
    },
    "tip.reporter_message": {
        "vi": (
            "Tin nhắn mới về tin báo {reference}",
            "Người báo tin gửi tin nhắn mới về tin báo {reference}.",
            "TinBao: tin nhan moi ve tin bao {reference}.",
        ),
        "en": (
            "New message on tip {reference}",
            "The reporter sent a new message on tip {reference}.",
            "TinBao: new message on tip {reference}.",
        ),
    },
    "tip.overdue": {
        "vi": (
            "Quá hạn: tin báo {reference}",
            "Tin báo {reference} của đơn vị {unit} đã quá hạn giải quyết.",
            "TinBao: tin bao {reference} ({unit}) qua han.",
        ),
        "en": (
            "Overdue: tip {reference}",
            "Tip {reference} of unit {unit} is past its deadline.",
            "TinBao: tip {reference} ({unit}) is overdue.",
        ),
    },
    "tip.acknowledge_overdue": {
        "vi": (
            "Chưa xác nhận tiếp nhận: tin báo {reference}",
            "Tin báo {reference} của đơn vị {unit} đã quá hạn xác nhận tiếp nhận.",
            "TinBao: tin bao {reference} ({unit}) qua han xac nhan.",
        ),
        "en": (
            "Not acknowledged: tip {reference}",
            "Tip {reference} of unit {unit} is past its acknowledgement deadline.",
            "TinBao: tip {reference} ({unit}) not acknowledged in time.",
        ),
    },
    "privacy_request.due": {
        "vi": (
            "Yêu cầu về dữ liệu cá nhân sắp đến hạn: {reference}",
            "Một yêu cầu về dữ liệu cá nhân của tin báo {reference} sắp đến hạn trả lời.",
            "TinBao: yeu cau du lieu ca nhan ({reference}) sap den han.",
        ),
        "en": (
            "Privacy request due: {reference}",
            "A data-subject request on tip {reference} is due for an answer.",
            "TinBao: privacy request ({reference}) due.",
        ),
    },
    "protection_request.new": {
        "vi": (
            "Yêu cầu bảo vệ: tin báo {reference}",
            "Người báo tin của tin báo {reference} yêu cầu được bảo vệ.",
            "TinBao: yeu cau bao ve, tin bao {reference}.",
        ),
        "en": (
            "Protection request: tip {reference}",
            "The reporter of tip {reference} asked for protection.",
            "TinBao: protection request, tip {reference}.",
        ),
    },
    "tip.complaint_filed": {
        "vi": (
            "Khiếu nại: tin báo {reference}",
            "Người báo tin của tin báo {reference} khiếu nại quyết định không khởi tố.",
            "TinBao: khieu nai quyet dinh khong khoi to, tin bao {reference}.",
        ),
        "en": (
            "Complaint: tip {reference}",
            "The reporter of tip {reference} complained about the decision not to prosecute.",
            "TinBao: complaint about non-prosecution, tip {reference}.",
        ),
    },
}

PUBLIC_STATUS_SENTENCE: dict[str, dict[str, str]] = {
    "received": {"vi": "Tin báo đã được tiếp nhận.", "en": "Your report was received."},
    "processing": {"vi": "Tin báo đang được xử lý.", "en": "Your report is being handled."},
    "awaiting_info": {
        "vi": "Công an cần thêm thông tin từ bạn.",
        "en": "The police need more information from you.",
    },
    "completed": {"vi": "Tin báo đã xử lý xong.", "en": "Your report has been handled."},
    "not_accepted": {"vi": "Tin báo không được thụ lý.", "en": "Your report was not accepted."},
}

OUTCOME_WORD: dict[str, dict[str, str]] = {
    "prosecuted": {"vi": "khởi tố vụ án", "en": "a case was opened"},
    "not_prosecuted": {"vi": "không khởi tố", "en": "no case was opened"},
    "suspended": {"vi": "tạm đình chỉ", "en": "suspended"},
    "handled": {"vi": "đã xử lý", "en": "handled"},
    "mediated": {"vi": "đã hòa giải", "en": "mediated"},
    "unfounded": {"vi": "không có căn cứ", "en": "unfounded"},
    "noted": {"vi": "đã ghi nhận", "en": "noted"},
}

REPORTER_TITLE = {"vi": "TinBáo: tin báo {reference}", "en": "TinBáo: report {reference}"}
FOLLOW_UP = {
    "vi": "Tra cứu bằng mã biên nhận trên TinBáo.",
    "en": "Follow up with your receipt on TinBáo.",
}
REPORTER_SENTENCE = {
    "reporter.acknowledged": {
        "vi": "Đơn vị đã xác nhận tiếp nhận tin báo.",
        "en": "The police unit acknowledged your report.",
    },
    "reporter.message": {
        "vi": "Bạn có tin nhắn mới từ cơ quan công an.",
        "en": "You have a new message from the police.",
    },
    "reporter.outcome": {"vi": "Kết quả: {outcome}.", "en": "Outcome: {outcome}."},
    "complaint": {
        "vi": "Khiếu nại trước {deadline}.",
        "en": "Complaints until {deadline}.",
    },
}


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str


def _locale(locale: str | None) -> str:
    return locale if locale in LOCALES else "vi"


def render_staff(notice_type: str, locale: str | None, **values: object) -> Rendered:
    title, body, sms = STAFF[notice_type][_locale(locale)]
    return Rendered(title.format(**values), body.format(**values), sms.format(**values))


def _date(value: date, locale: str) -> str:
    return value.strftime("%d/%m/%Y") if locale == "vi" else value.isoformat()


def render_reporter(
    notice_type: str,
    locale: str | None,
    *,
    reference: str,
    public_status: str | None = None,
    outcome: str | None = None,
    complaint_deadline: date | None = None,
) -> Rendered:
    """A reporter's notice: the reference, one short sentence, how to follow up."""
    lang = _locale(locale)
    sentences: list[str] = []
    if notice_type == "reporter.status" and public_status is not None:
        sentences.append(PUBLIC_STATUS_SENTENCE[public_status][lang])
    elif notice_type == "reporter.outcome" and outcome is not None:
        word = OUTCOME_WORD.get(outcome, {}).get(lang, outcome)
        sentences.append(REPORTER_SENTENCE["reporter.outcome"][lang].format(outcome=word))
        if complaint_deadline is not None:
            sentences.append(
                REPORTER_SENTENCE["complaint"][lang].format(
                    deadline=_date(complaint_deadline, lang)
                )
            )
    else:
        sentences.append(REPORTER_SENTENCE[notice_type][lang])
    sentence = " ".join(sentences)
    follow = FOLLOW_UP[lang]
    title = REPORTER_TITLE[lang].format(reference=reference)
    return Rendered(
        title=title,
        body=f"{sentence}\n{follow}",
        sms=f"TinBáo {reference}: {sentence} {follow}",
    )


# --- SMS segments --------------------------------------------------------------------------

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> tuple[str, int]:
    """The encoding an SMS of ``text`` needs and how many segments it takes.

    GSM-7 when every character is in the GSM 03.38 basic set or its extension (which counts
    two septets): 160 septets in one segment, 153 per segment when concatenated. Otherwise
    UCS-2 (Vietnamese letters with diacritics such as "á", "ư", "ệ" are not in GSM-7): 70
    UTF-16 code units in one segment, 67 per segment when concatenated.
    """
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        septets = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        return "gsm7", 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return "ucs2", 1 if units <= 70 else -(-units // 67)
