"""Vietnamese by default, English with ``Accept-Language: en``."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache

from starlette.types import Scope


class Lang(StrEnum):
    vi = "vi"
    en = "en"


def negotiate(accept_language: str | None) -> Lang:
    """Pick vi or en from an Accept-Language header (q-values honoured, vi wins ties)."""
    if not accept_language:
        return Lang.vi
    best: tuple[float, Lang] = (0.0, Lang.vi)
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-", 1)[0]
        if primary in ("vi", "en") and q > best[0]:
            best = (q, Lang(primary))
    return best[1]


@lru_cache(maxsize=256)
def _negotiate_header(accept_language: bytes) -> Lang:
    return negotiate(accept_language.decode("latin-1") or None)


def request_language(scope: Scope) -> Lang:
    """The language of the answer to this request (its ``Accept-Language``, negotiated)."""
    for key, value in scope["headers"]:
        if key == b"accept-language":
            return _negotiate_header(value)
    return Lang.vi


def with_language_headers(
    headers: Iterable[tuple[bytes, bytes]], lang: Lang
) -> list[tuple[bytes, bytes]]:
    """Every answer says its language (``Content-Language``) and that it depends on
    ``Accept-Language`` (``Vary``), problem+json and 404s included (app.core.edge)."""
    out: list[tuple[bytes, bytes]] = []
    vary: list[str] = []
    has_language = False
    for key, value in headers:
        name = key.lower()
        if name == b"vary":
            vary.extend(v.strip() for v in value.decode("latin-1").split(",") if v.strip())
            continue
        has_language = has_language or name == b"content-language"
        out.append((key, value))
    if not has_language:
        out.append((b"content-language", lang.value.encode()))
    if not any(v == "*" or v.lower() == "accept-language" for v in vary):
        vary.append("Accept-Language")
    out.append((b"vary", ", ".join(vary).encode("latin-1")))
    return out
