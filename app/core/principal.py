"""Who is calling: a staff user, a Front member, or a machine client's API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_key"]
    id: str
    role: str  # app.accounts.models.Role or ApiKeyRole value
    label: str  # username, or "api-key:<name>"; what timelines and the audit log show
    full_name: str = ""
    unit_code: str | None = None
    # Where the caller acts: supervisors, analysts and API keys their own province; unit staff
    # their unit's province; Front members their organization's (their scope stays the org).
    province_code: str | None = None
    organization_id: str | None = None
    # A user whose password was set by someone else: only POST /auth/password is allowed.
    password_change_required: bool = False

    @property
    def is_staff(self) -> bool:
        return self.kind == "user" and self.role != "front_member"
