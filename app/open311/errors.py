"""Open311 errors: ``[{"code", "description"}]`` (XML ``<errors><error>…``), never problem+json.

The adapter's routes convert every error raised under them (``Open311Error``, the services'
``AppError``s, request validation, HTTP errors) into this shape; see ``app.open311.router``.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.errors import AppError, Text
from app.core.messages import bilingual

# TipCreate's field names → the GeoReport parameters a client sent them as.
_PARAMETERS: dict[str, str] = {
    "category_code": "service_code",
    "description": "description",
    "location": "lat/long or attribute[commune_code]",
    "location.commune_code": "attribute[commune_code]",
    "location.legacy_commune_code": "attribute[legacy_commune_code]",
    "location.province_code": "lat/long or attribute[commune_code]",
    "location.lat": "lat",
    "location.lon": "long",
    "location.address": "address_string",
    "reporter": "first_name/last_name/phone/email",
    "reporter.full_name": "first_name/last_name",
    "reporter.phone": "phone",
    "reporter.email": "email",
    "occurred_at": "attribute[occurred_at]",
    "persons_involved": "attribute[persons_involved]",
    "urgent": "attribute[urgent]",
    "anonymous": "attribute[anonymous]",
}

# Messages replaced by the adapter's own (the service's wording names TinBáo's fields).
_OUTSIDE_PROVINCE: Text = (
    "Nơi xảy ra không thuộc tỉnh/thành phố của khóa api_key.",
    "The place is outside the province of this api_key.",
)
_BAD_PHONE: Text = ("Số điện thoại không hợp lệ.", "Not a valid phone number.")
_BAD_EMAIL: Text = ("Địa chỉ email không hợp lệ.", "Not a valid email address.")
_REPLACED: dict[str, Text] = {
    "location.province_code": _OUTSIDE_PROVINCE,
    "reporter.phone": _BAD_PHONE,
    "reporter.email": _BAD_EMAIL,
}


class Open311Error(Exception):
    """An Open311 error answer: an HTTP status and one or more descriptions."""

    def __init__(
        self,
        status: int,
        *descriptions: Text,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.descriptions: list[Text] = list(descriptions) or [("Lỗi.", "Error.")]
        self.headers = headers


def missing(parameter: str) -> Open311Error:
    return Open311Error(
        400, (f"{parameter}: thiếu tham số bắt buộc.", f"{parameter}: this parameter is required.")
    )


def invalid(parameter: str, message: Text) -> Open311Error:
    vi, en = bilingual(message)
    return Open311Error(400, (f"{parameter}: {vi}", f"{parameter}: {en}"))


def not_found() -> Open311Error:
    return Open311Error(404, ("Không tìm thấy.", "Not found."))


def _status_for(exc: AppError) -> int:
    # Open311 knows 400, 403 and 404; other statuses keep their meaning (409, 413, 429, ...).
    return 400 if exc.status == 422 else exc.status


def parameter_errors(errors: Sequence[tuple[str, Text]]) -> list[Text]:
    """Descriptions naming the GeoReport parameter each TinBáo field came from."""
    out: list[Text] = []
    for field, message in errors:
        parameter = _PARAMETERS.get(field, field)
        out.append(_with_parameter(parameter, _REPLACED.get(field, message)))
    return out


def _with_parameter(parameter: str, message: Text) -> Text:
    vi, en = bilingual(message)
    return (f"{parameter}: {vi}", f"{parameter}: {en}")


def from_app_error(exc: AppError) -> Open311Error:
    """The Open311 form of a service's error."""
    descriptions = parameter_errors(exc.errors) if exc.errors else []
    candidates = exc.extra.get("candidates") if exc.code == "ambiguous_commune" else None
    if candidates:
        codes = ", ".join(f"{c['code']} ({c['name']})" for c in candidates)
        descriptions = [
            _with_parameter(
                "attribute[commune_code]",
                (
                    f"mã xã/phường cũ đã được chia; chọn một mã mới: {codes}, hoặc gửi lat/long.",
                    f"the pre-2025 commune was split; send one of {codes}, or lat/long.",
                ),
            )
        ]
    if not descriptions:
        descriptions = [exc.detail or (exc.code, exc.code)]
    return Open311Error(_status_for(exc), *descriptions, headers=exc.headers)
