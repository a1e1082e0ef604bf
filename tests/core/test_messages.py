"""The message catalogue: complete in both languages, and what clients read from it."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.core.catalogue.entry import FIELD_CODES, Entry
from app.core.catalogue.titles import TITLES
from app.core.i18n import Lang
from app.core.messages import MESSAGES, _merged, msg
from app.core.validation import field_message, rule_error

APP = Path(__file__).resolve().parents[2] / "app"
TIPS = "/api/v1/tips"
_FIELDS = string.Formatter()


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in _FIELDS.parse(template) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_entry_has_both_languages_with_the_same_fields(key: str) -> None:
    entry = MESSAGES[key]
    assert entry.vi and entry.en and entry.vi != "" and entry.en != ""
    assert _fields(entry.vi) == _fields(entry.en)


def test_every_key_written_in_the_code_exists() -> None:
    written = set()
    for path in APP.rglob("*.py"):
        written |= set(re.findall(r"\bmsg\(\s*\"([^\"]+)\"", path.read_text(encoding="utf-8")))
    assert written, "the code uses the catalogue"
    assert written - set(MESSAGES) == set()


def test_field_codes_are_the_contracts_or_a_rule_word() -> None:
    rule_words = {code for code in (e.code for e in MESSAGES.values()) if code not in FIELD_CODES}
    # A rule's own word is a problem code too (so it has a title).
    assert rule_words <= set(TITLES) | {"service_unavailable"}


def test_unknown_keys_fail_where_they_are_written() -> None:
    with pytest.raises(KeyError):
        msg("no.such.message")


class _Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(pattern=r"^\+?[0-9]{6,}$")
    name: str = Field(min_length=3, max_length=5)
    count: int = Field(ge=1, le=10)
    kind: str = Field(pattern="^(a|b)$")
    tags: list[str] = Field(default_factory=list, max_length=1)


def _errors(data: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    with pytest.raises(ValidationError) as info:
        _Sample.model_validate(data)
    out = {}
    for err in info.value.errors():
        message = field_message(err)
        out[str(err["loc"][0])] = (message.code, message.text(Lang.vi), message.text(Lang.en))
    return out


def test_pydantic_errors_become_catalogue_codes_without_library_text() -> None:
    errors = _errors({"phone": "abc", "name": "ab", "count": 11, "kind": "c", "x": 1, "tags": [1]})
    assert errors["phone"] == (
        "invalid_format",
        "Số điện thoại không hợp lệ.",
        "Not a valid phone number.",
    )
    assert errors["name"] == ("too_short", "Cần ít nhất 3 ký tự.", "At least 3 characters.")
    assert errors["count"] == ("out_of_range", "Phải không quá 10.", "Must be at most 10.")
    assert errors["kind"][0] == "invalid_format"
    assert errors["x"][0] == "extra_forbidden"
    assert errors["tags"][0] == "invalid_type"
    for _code, vi, en in errors.values():
        assert "^" not in vi + en and "should" not in vi.lower()
    assert _errors({"name": "abcdef"})["name"][0] == "too_long"
    assert _errors({})["phone"][0] == "missing"


def test_a_validator_may_answer_with_its_own_entry() -> None:
    class Dated(BaseModel):
        year: int

        def model_post_init(self, context: Any) -> None:
            if self.year < 1900:
                raise rule_error("not_before_year", year=1900)

    with pytest.raises(ValidationError) as info:
        Dated(year=1)
    message = field_message(info.value.errors()[0])
    assert (message.code, message.text(Lang.en)) == (
        "out_of_range",
        "Must not be before the year 1900.",
    )


def _payload(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category_code": "drugs",
        "description": "Nhóm thanh niên tụ tập sử dụng ma túy.",
        "location": {"commune_code": "26734"},
        "anonymous": False,
        "reporter": {"full_name": "Nguyễn Văn A", "phone": "not a phone"},
    }
    body.update(changes)
    return body


async def test_a_vietnamese_answer_has_no_english_library_text(client: httpx.AsyncClient) -> None:
    response = await client.post(TIPS, json=_payload(channel="fax"))
    assert response.status_code == 422
    body = response.json()
    items = {e["field"]: e for e in body["errors"]}
    assert items["reporter.phone"]["code"] == "invalid_format"
    assert items["reporter.phone"]["message"] == "Số điện thoại không hợp lệ."
    assert items["channel"]["code"] == "invalid_choice"
    assert items["channel"]["message"].startswith("Phải là một trong: web, mobile")
    assert "String should" not in response.text and "[0-9]" not in response.text
    assert response.headers["content-language"] == "vi"


async def test_english_with_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TIPS, json=_payload(description="short"), headers={"Accept-Language": "en"}
    )
    items = {e["field"]: e for e in response.json()["errors"]}
    assert items["description"] == {
        "field": "description",
        "code": "too_short",
        "message": "At least 10 characters.",
    }
    assert response.json()["title"] == "Invalid request data"
    assert response.headers["content-language"] == "en"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/categories"),
        ("GET", "/api/v1/no-such-page"),
        ("GET", "/api/v1/tips/00000000-0000-0000-0000-000000000000"),
        ("POST", TIPS),
        ("GET", "/healthz"),
        ("GET", "/open311/v2/services.json"),
    ],
)
@pytest.mark.parametrize("accept", [None, "en", "vi;q=0.5, en;q=0.9"])
async def test_every_answer_names_its_language(
    client: httpx.AsyncClient, method: str, path: str, accept: str | None
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    response = await client.request(
        method, path, headers=headers, json={} if method == "POST" else None
    )
    expected = "en" if accept and "en" in accept else "vi"
    assert response.headers["content-language"] == expected
    vary = [v.strip().lower() for v in response.headers["vary"].split(",")]
    assert vary.count("accept-language") == 1


def test_a_key_written_in_two_domains_is_refused() -> None:
    one = {"a": Entry("missing", "A", "A")}
    assert _merged(one, {"b": Entry("missing", "B", "B")}).keys() == {"a", "b"}
    with pytest.raises(RuntimeError, match="'a'"):
        _merged(one, {"a": Entry("missing", "A2", "A2")})


@pytest.mark.parametrize("accept", [None, "en"])
async def test_a_routers_own_error_is_in_the_callers_language(
    client: httpx.AsyncClient, accept: str | None
) -> None:
    # Starlette's detail of a 405 is its English phrase ("Method Not Allowed").
    headers = {"Accept-Language": accept} if accept else {}
    response = await client.delete("/api/v1/categories", headers=headers)
    assert response.status_code == 405
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert body["detail"] == body["title"]
    expected = "Method not allowed" if accept else "Phương thức không được phép"
    assert body["detail"] == expected
    assert "Method Not Allowed" not in response.text


async def test_open311s_router_errors_are_in_the_callers_language(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete("/open311/v2/services.json")
    assert response.status_code == 405
    assert "Method Not Allowed" not in response.text
    assert "Phương thức không được phép" in response.text
