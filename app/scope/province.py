"""Who may change a province's reference data (categories' province rules, units, movement
models).

Which tips belong to a province (the one rule of API.md) is in ``app.tips.provinces``, beside
the tips: intake writes its stored form.
"""

from __future__ import annotations

from app.accounts.models import Role
from app.core.errors import Forbidden, Message, msg
from app.core.principal import Principal

NOT_YOUR_PROVINCE: Message = msg("scope.not_your_province")


def may_change_province(actor: Principal, province_code: str | None) -> bool:
    """Whether ``actor`` may change reference data of ``province_code`` (None: national
    data): an admin any, a province supervisor only their own province's."""
    if actor.role == Role.admin:
        return True
    return (
        actor.role == Role.province_supervisor
        and province_code is not None
        and province_code == actor.province_code
    )


def ensure_may_change_province(
    actor: Principal, province_code: str | None, *, refusal: Message = NOT_YOUR_PROVINCE
) -> None:
    """403 with ``refusal`` unless ``may_change_province``."""
    if not may_change_province(actor, province_code):
        raise Forbidden(refusal)
