"""Errors of the triage workflow, each with a stable ``code`` (titles in app.core.i18n)."""

from __future__ import annotations

from app.core.errors import AppError


class DeadlineLimit(AppError):
    """An extension past the statutory bounds, or one more than the law allows."""

    status, code = 409, "deadline_limit"


class AlreadyClaimed(AppError):
    status, code = 409, "already_claimed"


class TipClosed(AppError):
    """The action needs an open tip (not resolved, rejected, referred or merged)."""

    status, code = 409, "tip_closed"


class StaleTip(AppError):
    """Someone else changed the tip between our read and our write; reload and retry."""

    status, code = 409, "conflict"
