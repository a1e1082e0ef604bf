"""The audit log's table (``app.core.audit_log``, where its writer is)."""

from app.core.audit_log import AuditEntry

__all__ = ["AuditEntry"]
