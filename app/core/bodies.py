"""JSON bodies that are not UTF-8 or are nested too deeply: a clear 4xx, after authentication.

FastAPI parses a JSON body before it runs an operation's dependencies, so a body that is not
UTF-8 would be refused before the caller is authenticated, and a 100,000-deep array reaches the
parser's recursion limit. ``JsonBodyCheck`` looks at JSON bodies under ``/api/v1`` first (they
are small: ``TINBAO_MAX_JSON_BYTES``); a body it refuses is replaced by a placeholder every
operation's body schema rejects, and the refusal is noted in the request scope. The validation
handler then answers with the noted problem — after the dependencies (authentication) ran, so
an anonymous caller still gets 401 where the operation needs a token. Routes that parse their
own body (intake, follow-up messages) call ``check_json_text`` themselves.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import BODY_PROBLEM_KEY, AppError
from app.core.messages import msg

MAX_JSON_DEPTH = 32  # every body of the API nests at most 4 levels
PLACEHOLDER = b"[null]"  # no operation's body is a list that may hold null
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class InvalidEncoding(AppError):
    status, code = 400, "invalid_encoding"


class JsonTooDeep(AppError):
    status, code = 422, "json_too_deep"


def json_depth_exceeds(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than ``max_depth`` (no full parse)."""
    depth = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def body_problem(raw: bytes) -> AppError | None:
    """The error a JSON body deserves before parsing, or None."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return InvalidEncoding(msg("invalid_encoding"))
    if json_depth_exceeds(raw):
        return JsonTooDeep(msg("json_too_deep", max_depth=MAX_JSON_DEPTH))
    return None


def check_json_text(raw: bytes) -> None:
    """For routes that parse their own JSON: raise what ``body_problem`` finds."""
    problem = body_problem(raw)
    if problem is not None:
        raise problem


def noted_problem(scope: Scope) -> AppError | None:
    problem = scope.get(BODY_PROBLEM_KEY)
    return problem if isinstance(problem, AppError) else None


def _is_json(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class JsonBodyCheck:
    def __init__(self, app: ASGIApp, *, max_bytes: int, prefix: str = "/api/v1/") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _BODY_METHODS
            or not scope["path"].startswith(self.prefix)
            or not _is_json(scope)
        ):
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body", False) or size > self.max_bytes:
                break
        complete = buffered[-1]["type"] == "http.request" and not buffered[-1].get("more_body")
        if complete and size <= self.max_bytes:
            raw = b"".join(m.get("body", b"") for m in buffered)
            problem = body_problem(raw)
            if problem is not None:
                scope[BODY_PROBLEM_KEY] = problem
                buffered = [{"type": "http.request", "body": PLACEHOLDER, "more_body": False}]

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, replay, send)
