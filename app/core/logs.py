"""Logging: text or JSON lines (``TINBAO_LOG_FORMAT``), every line tied to its request.

* ``X-Request-ID``: the client's when sane (1-128 of ``A-Za-z0-9._:-``), else a new one;
  answered on every response and carried by every log line written while handling it
  (app.core.edge sets and answers it).
* One access line per request: method, path (never the query string, so no ``api_key``
  value or search text reaches the log; receipts travel in a header), status, duration.
  No client address: it can identify an anonymous reporter.
* Exceptions are logged as their type only (the README's policy: a traceback can hold values).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.types import Scope

from app.core.config import LogFormat, Settings

request_id_var: ContextVar[str | None] = ContextVar("tinbao_request_id", default=None)

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("tinbao.access")


def _exception_type(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return record.exc_info[0].__name__
    return None


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        exc_type = _exception_type(record)
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return f"{line} exception={exc_type}" if exc_type else line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        exc_type = _exception_type(record)
        if exc_type:
            entry["exception"] = exc_type
        for key in ("method", "route", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Install the one stderr handler (idempotent: a second app replaces it). uvicorn's own
    loggers propagate to it; uvicorn's access log is replaced by ``tinbao.access``."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_tinbao", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._tinbao = True  # type: ignore[attr-defined]
    handler.addFilter(_RequestIdFilter())
    json_format = settings.log_format is LogFormat.json
    handler.setFormatter(JsonFormatter() if json_format else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def request_id_from(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


REQUEST_ID_HEADER = b"x-request-id"


def with_request_id(
    headers: Iterable[tuple[bytes, bytes]], request_id: bytes
) -> list[tuple[bytes, bytes]]:
    """An answer's headers with the request's id (replacing one the application set)."""
    kept = [(key, value) for key, value in headers if key != REQUEST_ID_HEADER]
    kept.append((REQUEST_ID_HEADER, request_id))
    return kept


def log_access(method: str, path: str, status: int, started: float) -> None:
    """The access line: method, path (never the query string), status, duration."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    access_log.info(
        "%s %s %s %.1fms",
        method,
        path,
        status,
        duration_ms,
        extra={"method": method, "route": path, "status": status, "duration_ms": duration_ms},
    )
